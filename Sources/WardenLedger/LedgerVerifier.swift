import Crypto
import Dispatch
import Foundation
import WardenCore

/// Verifies a ledger from any source of records, streaming (constant memory apart from
/// the checkpoint list):
///
/// 1. Every checkpoint note is signed by a trusted key under the ledger's origin.
/// 2. Record by record: bytes parse strictly and are canonical; `seq` is 0, 1, 2, … with no
///    gap, repeat or reordering; `prev` equals the previous record's hash; `kid` is trusted;
///    the stored hash (if any) equals SHA-256 of the bytes; the Merkle frontier is extended.
/// 3. When the tree reaches a checkpoint's size, its root must equal the checkpoint's root.
/// 4. At the end, no checkpoint (and no externally held `trusted` checkpoint) may be larger
///    than the ledger: that is truncation or rollback.
/// 5. Ed25519 signatures are checked in parallel batches; the reported failure is the one
///    with the smallest seq.
public final class LedgerVerifier {
    public let keyring: LedgerKeyring
    public let origin: String?

    private var report = VerificationReport()
    private var expected: Int64 = 0
    private var prevHash = [UInt8](repeating: 0, count: 32)
    private var frontier = MerkleFrontier()
    /// Checkpoints by size, ascending, still to be matched; `trusted` marks the external one.
    private var pendingCheckpoints: [(size: Int64, root: [UInt8], label: String)] = []
    private var chainFailure: VerificationFailure?
    private var signatureFailure: VerificationFailure?
    private var batch: [(seq: Int64, message: [UInt8], signature: [UInt8], key: Curve25519.Signing.PublicKey)] = []
    private var chainStart = DispatchTime.now()
    /// The last kid looked up (records of one signer repeat it).
    private var lastKid: (kid: String, key: Curve25519.Signing.PublicKey)?
    private var signatureNanos: UInt64 = 0
    private var signatureCPU: Double = 0

    /// - Parameters:
    ///   - checkpoints: signed notes from the ledger itself (store or export).
    ///   - trusted: a checkpoint held elsewhere (a previous export, a SIEM event); proves the
    ///     ledger was not truncated or rolled back below it.
    ///   - origin: the expected checkpoint origin (`Checkpoint.origin(node:)`), or nil to
    ///     take it from the first checkpoint.
    public init(keyring: LedgerKeyring, checkpoints: [(note: String, source: String)], trusted: (note: String, source: String)? = nil,
                origin: String? = nil) {
        self.keyring = keyring
        var origin = origin
        var parsed: [(Int64, [UInt8], String)] = []
        var all = checkpoints.map { ($0.note, $0.source, false) }
        if let trusted { all.append((trusted.note, trusted.source, true)) }
        for (note, source, isTrusted) in all where chainFailure == nil {
            do throws(WardenError) {
                let cp = try SignedCheckpoint.parse(note, source: source)
                if origin == nil { origin = cp.checkpoint.origin }
                guard cp.checkpoint.origin == origin else {
                    chainFailure = VerificationFailure(seq: nil, code: "ledger.checkpoint_origin",
                        message: "\(source): origin \"\(cp.checkpoint.origin)\" is not this ledger's \"\(origin ?? "")\"")
                    break
                }
                guard cp.verifiedSigner(in: keyring) != nil else {
                    chainFailure = VerificationFailure(seq: nil, code: "ledger.checkpoint_signature",
                        message: "\(source): checkpoint for size \(cp.checkpoint.size) has no valid signature by a trusted key (forged or altered)")
                    break
                }
                guard cp.checkpoint.size <= UInt64(Int64.max) else { continue }
                parsed.append((Int64(cp.checkpoint.size), cp.checkpoint.root, isTrusted ? "trusted checkpoint \(source)" : source))
            } catch {
                chainFailure = VerificationFailure(seq: nil, code: error.code, message: error.message)
            }
        }
        self.origin = origin
        pendingCheckpoints = parsed.sorted { $0.0 < $1.0 }.map { (size: $0.0, root: $0.1, label: $0.2) }
        if chainFailure == nil { matchCheckpoints() }
        stopped = chainFailure != nil
    }

    /// True while feeding more records is useful.
    /// (As of the last finished chunk: a failure in the chunk being checked in the background
    /// shows up one chunk later.)
    public var wantsMore: Bool { !stopped }

    /// Records waiting for the next parallel chunk.
    private var pending: [(bytes: [UInt8], storedHash: [UInt8]?)] = []
    /// Records per parallel chunk (tests use small chunks to cross chunk boundaries).
    var chunkSize = 16384
    private let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Feeds the next record's canonical bytes (and the hash the store claims, if any).
    /// Records are checked in chunks; returns false once a failure has been found.
    @discardableResult
    public func feed(_ bytes: [UInt8], storedHash: [UInt8]? = nil) -> Bool {
        guard !stopped else { return false }
        pending.append((bytes, storedHash))
        if pending.count >= chunkSize { dispatchChunk() }
        return !stopped
    }

    /// The previous chunk's chain work, running on another thread while the caller reads
    /// the next chunk. Only that work touches the chain state (expected seq, prev, frontier,
    /// checkpoints, `batch`, `chainFailure`) until it is joined; the caller's thread only
    /// touches `pending` and `stopped`.
    private var inFlight: DispatchGroup?
    /// A failure was seen at the last join: stop reading.
    private var stopped = false

    private func joinChainWork() {
        inFlight?.wait()
        inFlight = nil
        stopped = chainFailure != nil
    }

    /// Hands a full chunk over: joins the previous chunk's chain work, verifies its
    /// signatures (alone on the machine's cores, so the phases are timed separately), then
    /// starts this chunk's chain work in the background and returns to the reader. Reading
    /// overlaps only with chain work, never with signature verification.
    private func dispatchChunk() {
        let items = pending
        pending = []
        pending.reserveCapacity(chunkSize)
        joinChainWork()
        flushSignatures()
        guard !stopped, !items.isEmpty else { return }
        let group = DispatchGroup()
        let me = UncheckedSendableRef(self)
        DispatchQueue.global().async(group: group) { me.value.processChunk(items) }
        inFlight = group
    }

    /// One record after the order-independent work (parse, canonical check, hash).
    private enum Prepared {
        case ok(ScannedRecord, hash: [UInt8], leaf: [UInt8])
        case bad(WardenError)
    }

    /// Parses one record: the single-pass scanner for canonical records, else the full strict
    /// parse (which accepts exactly the same records and names what is wrong otherwise).
    private static func prepare(_ bytes: [UInt8]) -> Prepared {
        if let scanned = RecordScanner.scan(bytes) { return ok(scanned, bytes) }
        do throws(WardenError) {
            let (record, message) = try LedgerRecord.parseWithMessage(bytes)
            let scanned = ScannedRecord(seq: record.seq, prevHex: Array(record.prev.utf8), kid: record.kid,
                                        signature: record.signatureBytes, message: message)
            return ok(scanned, bytes)
        } catch {
            return .bad(error)
        }
    }

    /// Hashing is order-independent too, so the record hash and its Merkle leaf hash are
    /// computed here, in parallel; only the frontier update stays sequential.
    private static func ok(_ scanned: ScannedRecord, _ bytes: [UInt8]) -> Prepared {
        let hash = LedgerRecord.hash(of: bytes)
        return .ok(scanned, hash: hash, leaf: MerkleHash.leaf(hash))
    }

    /// Parses and hashes the pending chunk on all cores, then walks it in order for the
    /// sequential checks (seq, prev, kid, stored hash, Merkle, checkpoints).
    private func processChunk(_ items: [(bytes: [UInt8], storedHash: [UInt8]?)]) {
        guard !items.isEmpty, chainFailure == nil else { return }
        var prepared = [Prepared](repeating: .bad(.denied("", "")), count: items.count)
        let per = (items.count + threads - 1) / threads
        prepared.withUnsafeMutableBufferPointer { out in
            let slots = UnsafeSendableBuffer(out)
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                for i in (t * per)..<min(items.count, (t + 1) * per) {
                    slots.buffer[i] = Self.prepare(items[i].bytes)
                }
            }
        }
        for (i, p) in prepared.enumerated() {
            if !check(p, storedHash: items[i].storedHash) { break }
        }
    }

    private func check(_ p: Prepared, storedHash: [UInt8]?) -> Bool {
        let seq = expected
        func fail(_ code: String, _ message: String) -> Bool {
            chainFailure = VerificationFailure(seq: seq, code: code, message: message)
            return false
        }
        guard case .ok(let record, let hash, let leaf) = p else {
            if case .bad(let error) = p { return fail(error.code, "record is malformed: \(error.message)") }
            return false
        }
        if record.seq != seq {
            let what = record.seq < seq ? "duplicated or reordered" : "missing, deleted or reordered"
            return fail("ledger.seq_mismatch", "expected seq \(seq), found seq \(record.seq) (record \(what))")
        }
        if !Self.hexEquals(record.prevHex, prevHash) {
            return fail("ledger.chain_broken", seq == 0
                ? "prev is not the genesis value (64 zeros)"
                : "prev does not equal the hash of seq \(seq - 1) (chain broken: a record was altered, removed or inserted)")
        }
        if record.kid != lastKid?.kid { lastKid = keyring.keys[record.kid].map { (record.kid, $0) } }
        guard let key = lastKid?.key else {
            return fail("ledger.unknown_key", "signed by kid \(record.kid), which is not a trusted key")
        }
        if let storedHash, storedHash != hash {
            return fail("ledger.stored_hash_mismatch", "the stored hash column differs from SHA-256 of the record bytes")
        }
        batch.append((seq, record.message, record.signature, key))
        frontier.append(leafHash: leaf)
        prevHash = hash
        expected += 1
        return matchCheckpoints()
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// True when `hex` is the lowercase hex spelling of `bytes`.
    private static func hexEquals(_ hex: [UInt8], _ bytes: [UInt8]) -> Bool {
        guard hex.count == 2 * bytes.count else { return false }
        for (k, b) in bytes.enumerated() where hex[2 * k] != hexDigits[Int(b >> 4)] || hex[2 * k + 1] != hexDigits[Int(b & 0x0F)] {
            return false
        }
        return true
    }

    /// Compares every checkpoint whose size the tree has reached.
    @discardableResult
    private func matchCheckpoints() -> Bool {
        while let next = pendingCheckpoints.first, next.size <= expected {
            pendingCheckpoints.removeFirst()
            if next.size < expected { continue }  // duplicates of an already matched size
            guard frontier.root == next.root else {
                chainFailure = VerificationFailure(
                    seq: next.size == 0 ? 0 : next.size - 1, code: "ledger.checkpoint_mismatch",
                    message: "\(next.label): Merkle root of records 0..<\(next.size) does not match the signed checkpoint (records altered or the checkpoint forged)")
                return false
            }
            if !next.label.hasPrefix("trusted checkpoint") {
                report.checkpointsVerified += 1
                report.latestCheckpointSize = next.size
            }
        }
        return true
    }

    private func flushSignatures() {
        guard !batch.isEmpty else { return }
        let start = DispatchTime.now()
        let cpuStart = Self.processCPUSeconds()
        let items = batch
        batch.removeAll(keepingCapacity: true)
        report.signatureThreads = threads
        let chunk = (items.count + threads - 1) / threads
        let firstBad = FirstBad()
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let lo = t * chunk
            let hi = min(items.count, lo + chunk)
            guard lo < hi else { return }
            for i in lo..<hi {
                let it = items[i]
                if !(it.signature.count == 64 && it.key.isValidSignature(it.signature, for: it.message)) {
                    firstBad.record(it.seq)
                    return
                }
            }
        }
        if let bad = firstBad.value, signatureFailure == nil {
            signatureFailure = VerificationFailure(seq: bad, code: "ledger.bad_signature",
                message: "Ed25519 signature does not verify over the record (altered record, or a signature from another record)")
        }
        signatureNanos += DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds
        signatureCPU += Self.processCPUSeconds() - cpuStart
    }

    /// User + system CPU seconds of this process so far (all threads).
    static func processCPUSeconds() -> Double {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// Finishes: checks remaining checkpoints and signatures, and returns the report.
    public func finish() -> VerificationReport {
        dispatchChunk()
        joinChainWork()
        flushSignatures()
        if chainFailure == nil, let next = pendingCheckpoints.first {
            chainFailure = VerificationFailure(seq: expected, code: "ledger.truncated",
                message: "\(next.label) covers \(next.size) records but the ledger has only \(expected) (truncated or rolled back; first missing seq \(expected))")
        }
        var r = report
        r.records = expected
        r.root = frontier.root
        // The earliest failure wins; a checkpoint failure without seq ranks first.
        let failures = [chainFailure, signatureFailure].compactMap { $0 }
        r.failure = failures.min { ($0.seq ?? -1) < ($1.seq ?? -1) }
        let total = DispatchTime.now().uptimeNanoseconds - chainStart.uptimeNanoseconds
        r.signatureSeconds = Double(signatureNanos) / 1e9
        r.signatureCPUSeconds = signatureCPU
        r.chainSeconds = Double(total - min(total, signatureNanos)) / 1e9
        return r
    }
}

/// Hands the verifier to its background chain work; `dispatchChunk`/`joinChainWork` keep
/// the two threads from touching the same state at the same time.
private struct UncheckedSendableRef<T: AnyObject>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// Lets `concurrentPerform` workers write disjoint slots of one buffer.
private struct UnsafeSendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

/// The smallest failing seq across verification threads.
private final class FirstBad: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var value: Int64?

    func record(_ seq: Int64) {
        lock.lock()
        if let v = value, v <= seq {} else { value = seq }
        lock.unlock()
    }
}

extension LedgerVerifier {
    /// Verifies everything in `store` against `keyring` (and an optional externally held checkpoint).
    public static func verify(store: LedgerStore, keyring: LedgerKeyring, origin: String?,
                              trusted: (note: String, source: String)? = nil) throws(WardenError) -> VerificationReport {
        // Checkpoints first, then records: the ledger only grows, so every checkpoint read
        // is covered by the records read after it.
        let checkpoints = try store.checkpoints().map { (note: $0.note, source: "checkpoint \($0.size)") }
        let verifier = LedgerVerifier(keyring: keyring, checkpoints: checkpoints, trusted: trusted, origin: origin)
        if verifier.wantsMore {
            try store.forEachRecord(from: 0) { r in verifier.feed(r.bytes, storedHash: r.hash) }
        }
        return verifier.finish()
    }
}
