import Foundation
import WardenCore
import WardenNet
import WardenServer
import WardenTrust

/// One fuzz input through every parser that reads untrusted bytes on the admission path:
/// the strict JSON parser, the compact JWS parser, the manifest and authorization schemas,
/// full verification against a fixed in-memory key, `warden serve`'s request frames, and what
/// an egress run's tool sends or its resolvers answer (DNS queries and responses, the TLS
/// ClientHello the proxy peeks, egress rules), and how untrusted text is shown on a terminal.
/// Any trap is a finding; invariants
/// (canonical re-encoding is a fixed point) are checked with `precondition`.
enum FuzzHarness {
    static let key: TrustedKey = {
        let material = PrivateKeyMaterial.ed25519(try! .init(rawRepresentation: [UInt8](repeating: 7, count: 32)))
        return TrustedKey(name: "fuzz", kid: KeyCodec.keyID(material.publicKey), alg: .EdDSA, role: .publisher,
                          publicKeyPEM: KeyCodec.publicPEM(material.publicKey), hasPrivateKey: false,
                          notAfter: nil, revokedAt: nil, createdAt: Date(timeIntervalSince1970: 0))
    }()

    static func run(_ bytes: [UInt8]) {
        if let value = try? StrictJSONParser.parse(bytes) {
            let canonical = CanonicalJSON.encode(value)
            precondition((try? StrictJSONParser.parse(canonical)) == value, "canonical form does not re-parse to the same value")
            _ = try? ToolManifest(payload: value)
            _ = try? AuthorizationStatement(payload: value)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if let parsed = try? JWS.parse(text) {
            _ = try? ToolManifest(payload: parsed.payload)
        }
        _ = try? ManifestVerifier.verify(text, now: Date(timeIntervalSince1970: 1_800_000_000)) { (kid: String) throws(WardenError) -> TrustedKey? in
            kid == key.kid ? key : nil
        }
        // What `warden serve` reads from a peer: a frame header, a payload, a run request.
        if bytes.count >= 4, let n = try? Frame.payloadLength(header: Array(bytes.prefix(4))), n <= bytes.count - 4,
           let m = try? Frame.decode(payload: Array(bytes[4..<(4 + n)])), let call = try? RunCallMessage(message: m) {
            precondition((try? RunCallMessage(message: call.message.objectValue ?? [:])) == call, "run request does not round-trip")
        }
        fuzzNetwork(bytes, text)
        fuzzELF(bytes)
        fuzzDisplay(bytes, text)
        _ = try? KeyCodec.publicKey(fromPEM: text, source: "fuzz")
        _ = try? KeyCodec.privateKey(fromPEM: text, source: "fuzz")
    }

    /// The egress parsers. A query the stub accepts must yield an answer that parses back as
    /// a response with the same question; a rule's normal form must parse to the same rule.
    static func fuzzNetwork(_ bytes: [UInt8], _ text: String) {
        if let query = try? DNSMessage.parseQuery(bytes) {
            let answer = DNSMessage.response(to: query, rcode: 0, addresses: [[192, 0, 2, 1]], ttl: 60)
            precondition((try? DNSMessage.parseResponse(answer)) != nil, "the stub's answer to an accepted query does not parse")
        }
        if let response = try? DNSMessage.parseResponse(bytes) {
            _ = DNSMessage.addresses(for: "example.com", type: 1, in: response)
        }
        _ = TLSClientHello.peek(bytes)
        _ = RefusedPacket(packet: Array(bytes.prefix(96)))
        if text.utf8.count <= 400, let rule = try? EgressRule(parsing: text) {
            precondition((try? EgressRule(parsing: rule.description)) == rule, "a rule's normal form does not re-parse to it")
        }
    }

    /// What a terminal is shown of untrusted text: never a raw control, bidi or invisible
    /// formatting character, and never more than the limit plus the elision note.
    static func fuzzDisplay(_ bytes: [UInt8], _ text: String) {
        let limit = bytes.first.map { Int($0) + 1 } ?? 1
        for shown in [DisplayText.escape(bytes: bytes, limit: limit), DisplayText.escape(text, limit: limit)] {
            precondition(!shown.unicodeScalars.contains { s in
                let v = s.value
                return v < 0x20 || v == 0x7F || (0x80..<0xA0).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            }, "a control character reached the terminal")
            precondition(shown.count <= limit + 48, "elision exceeded its limit")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func wardenFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    FuzzHarness.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if WARDEN_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// SwiftPM links an executable's entry point as `<module>_main`; in fuzz mode that entry hands
/// control to libFuzzer's driver.
@_cdecl("warden_fuzz_main")
func wardenFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector, wardenFuzzOne)
}
#else
/// Replay mode (ordinary builds): runs every file under the given paths through the harness,
/// so a corpus or a crash reproducer can be checked without libFuzzer.
@main
struct FuzzReplay {
    static func main() {
        var count = 0
        for root in CommandLine.arguments.dropFirst() {
            let files: [String]
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue {
                files = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []).map { root + "/" + $0 }
            } else {
                files = [root]
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                FuzzHarness.run([UInt8](data))
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash")
    }
}
#endif
