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

    func build(entries: [LedgerEntry], on state: LedgerState, now: Int64, forceCheckpoint: Bool) throws(WardenError) -> (LedgerWrite, Output) {
        var s = state
        if s.size == s.checkpointSize && !entries.isEmpty { s.pendingSinceMillis = now }
        var rows: [StoredRecord] = []
        rows.reserveCapacity(entries.count)
        var appended: [AppendedRecord] = []
        appended.reserveCapacity(entries.count)
        for e in entries {
            var record = LedgerRecord(
                seq: s.size, time: now, node: node, tenant: e.tenant, actor: e.actor, event: e.event, subject: e.subject,
                decision: e.decision, details: e.details, prev: Hex.encode(s.lastHash), kid: signer.kid, sig: "")
            let parts = record.canonicalParts
            let signature = try signer.sign(parts.head + parts.tail)
            record = LedgerRecord(
                seq: record.seq, time: record.time, node: record.node, tenant: record.tenant, actor: record.actor,
                event: record.event, subject: record.subject, decision: record.decision, details: record.details,
                prev: record.prev, kid: record.kid, sig: Base64URL.encode(signature))
            let bytes = record.signedBytes(parts: parts)
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
        return (LedgerWrite(records: rows, checkpoint: checkpoint, state: s), Output(appended: appended, checkpoint: checkpoint))
    }
}
