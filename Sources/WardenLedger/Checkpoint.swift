import Crypto
import Foundation
import WardenCore

/// A tree head in the C2SP `tlog-checkpoint` format:
///
///     <origin>\n<tree size>\n<base64 root hash>\n
///
/// signed as a C2SP `signed-note`: the body, an empty line, then one line per signature
/// `— <key name> <base64(4-byte key hash ‖ 64-byte Ed25519 signature)>`, where the key hash
/// is SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[0..<4]. The key name is the origin.
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let size: UInt64
    public let root: [UInt8]

    public init(origin: String, size: UInt64, root: [UInt8]) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The origin line for a node's ledger.
    public static func origin(node: String) -> String { "warden/\(node)/ledger" }

    /// The note body (the signed text).
    public var body: String { "\(origin)\n\(size)\n\(Data(root).base64EncodedString())\n" }

    /// The signed-note key hash of an Ed25519 key named `name`.
    public static func keyHash(name: String, key: Curve25519.Signing.PublicKey) -> [UInt8] {
        Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + Array(key.rawRepresentation)).prefix(4))
    }

    /// The signed note text.
    public func sign(with signer: RecordSigner) throws(WardenError) -> String {
        let sig = try signer.sign(Array(body.utf8))
        let blob = Checkpoint.keyHash(name: origin, key: signer.publicKey) + sig
        return body + "\n— \(origin) \(Data(blob).base64EncodedString())\n"
    }
}

/// A parsed signed note holding a checkpoint.
public struct SignedCheckpoint: Sendable, Equatable {
    public let checkpoint: Checkpoint
    /// The full note text as stored/exported.
    public let note: String
    /// (key name, key hash, signature) per signature line.
    let signatures: [(name: String, keyHash: [UInt8], signature: [UInt8])]

    public static func == (a: Self, b: Self) -> Bool { a.note == b.note }

    static let maxNoteBytes = 16 * 1024

    /// Parses a signed note strictly: UTF-8, LF line endings, a body of origin / decimal size
    /// (no leading zeros) / base64 32-byte root (+ optional extension lines), one empty line,
    /// then signature lines. Errors name `source`.
    public static func parse(_ text: String, source: String) throws(WardenError) -> SignedCheckpoint {
        func bad(_ why: String) -> WardenError { .denied("ledger.checkpoint_malformed", "\(source): \(why)") }
        guard text.utf8.count <= maxNoteBytes else { throw bad("note larger than \(maxNoteBytes) bytes") }
        guard !text.contains("\r") else { throw bad("CR characters are not allowed") }
        guard let split = text.range(of: "\n\n", options: .backwards) else { throw bad("no blank line before signatures") }
        let body = String(text[text.startIndex..<text.index(after: split.lowerBound)])
        let sigText = String(text[split.upperBound...])
        let lines = body.dropLast().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3, !lines.contains(where: \.isEmpty) else { throw bad("body needs origin, size and root lines") }
        let origin = lines[0]
        guard let size = UInt64(lines[1]), String(size) == lines[1] else { throw bad("tree size \"\(lines[1].prefix(30))\" is not a decimal integer") }
        guard let rootData = Data(base64Encoded: lines[2]), rootData.count == 32,
            rootData.base64EncodedString() == lines[2]
        else { throw bad("root hash is not base64 of 32 bytes") }
        guard sigText.hasSuffix("\n") else { throw bad("signature block must end with a newline") }
        var sigs: [(String, [UInt8], [UInt8])] = []
        for line in sigText.dropLast().split(separator: "\n", omittingEmptySubsequences: false) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "—", !parts[1].isEmpty,
                let blob = Data(base64Encoded: String(parts[2])), blob.count >= 5,
                blob.base64EncodedString() == parts[2]
            else { throw bad("malformed signature line") }
            sigs.append((String(parts[1]), Array(blob.prefix(4)), Array(blob.dropFirst(4))))
        }
        guard !sigs.isEmpty else { throw bad("no signature lines") }
        return SignedCheckpoint(
            checkpoint: Checkpoint(origin: origin, size: size, root: [UInt8](rootData)), note: text,
            signatures: sigs.map { (name: $0.0, keyHash: $0.1, signature: $0.2) }, body: body)
    }

    let body: String

    init(checkpoint: Checkpoint, note: String, signatures: [(name: String, keyHash: [UInt8], signature: [UInt8])], body: String) {
        self.checkpoint = checkpoint
        self.note = note
        self.signatures = signatures
        self.body = body
    }

    /// The kid of the keyring key that signed this note under the origin's name, or nil when
    /// no signature line verifies. Lines by unknown keys are ignored (signed-note rule).
    public func verifiedSigner(in keyring: LedgerKeyring) -> String? {
        let message = Array(body.utf8)
        for s in signatures where s.name == checkpoint.origin && s.signature.count == 64 {
            for (kid, key) in keyring.keys.sorted(by: { $0.key < $1.key })
            where Checkpoint.keyHash(name: s.name, key: key) == s.keyHash {
                if key.isValidSignature(s.signature, for: message) { return kid }
            }
        }
        return nil
    }
}
