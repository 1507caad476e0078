import WardenCore

/// Pure part of a group commit: turns queued entries into signed, chained records on top of
/// `state`, and decides whether to sign a checkpoint. No I/O; the store runs it inside its
/// transaction.
struct BatchBuilder {
    let signer: RecordSigner
    let node: String
    let origin: String
    let policy: CheckpointPolicy

    struct Output: Sendable {
        var appended: [AppendedRecord]
        var checkpoint: StoredCheckpoint?
    }

    func build(entries: [EncodedEntry], on state: LedgerState, now: Int64, forceCheckpoint: Bool) throws(WardenError) -> (LedgerWrite, Output) {
        var s = state
        if s.size == s.checkpointSize && !entries.isEmpty { s.pendingSinceMillis = now }
        var rows: [StoredRecord] = []
        rows.reserveCapacity(entries.count)
        var appended: [AppendedRecord] = []
        appended.reserveCapacity(entries.count)
        var prevJSON: [UInt8] = []
        prevJSON.reserveCapacity(66)
        for e in entries {
            // Sequential by construction: `prev` covers the previous record's signature.
            prevJSON.removeAll(keepingCapacity: true)
            RecordEncoding.writeHexString(s.lastHash, into: &prevJSON)
            let (head, tail) = RecordEncoding.parts(e, prevJSON: prevJSON, seq: s.size, time: now)
            let signature = try signer.sign(head + tail)
            let bytes = RecordEncoding.signed(head: head, signature: signature, tail: tail)
            let hash = LedgerRecord.hash(of: bytes)
            rows.append(StoredRecord(seq: s.size, hash: hash, bytes: bytes))
            appended.append(AppendedRecord(seq: s.size, hash: hash, time: now))
            s.frontier.append(leafHash: MerkleHash.leaf(hash))
            s.size += 1
            s.lastHash = hash
        }
        var checkpoint: StoredCheckpoint?
        let pending = s.size - s.checkpointSize
        let due = pending >= policy.everyRecords || (pending > 0 && now - s.pendingSinceMillis >= policy.everyMillis)
        if forceCheckpoint || due {
            let note = try Checkpoint(origin: origin, size: UInt64(s.size), root: s.frontier.root).sign(with: signer)
            checkpoint = StoredCheckpoint(size: s.size, note: note, createdMillis: now)
            s.checkpointSize = s.size
            s.pendingSinceMillis = 0
        }
        return (LedgerWrite(records: rows, checkpoints: checkpoint.map { [$0] } ?? [], state: s), Output(appended: appended, checkpoint: checkpoint))
    }
}
