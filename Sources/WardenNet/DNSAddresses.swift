extension DNSMessage {
    /// CNAME hops `addresses(for:type:in:)` follows.
    public static let maxCNAMEHops = 8

    /// The addresses of `name` (matched case-insensitively, a trailing dot ignored) of `type`
    /// (A or AAAA; anything else yields none) in `response`'s kept answers, following CNAME
    /// records from `name` at most 8 hops (the first CNAME of an owner wins; a loop ends the
    /// chain), with the minimum TTL of the records used along the way. Duplicates are dropped,
    /// order kept. No addresses → `([], 0)`. The rcode is not looked at: callers check it.
    public static func addresses(for name: String, type: UInt16, in response: DNSResponse) -> (addresses: [[UInt8]], ttl: UInt32) {
        guard type == typeA || type == typeAAAA else { return ([], 0) }
        let size = type == typeA ? 4 : 16
        var current = DNSName.normalize(name)
        var ttl = UInt32.max
        var seen: Set<String> = [current]
        for hop in 0...maxCNAMEHops {
            var found: [[UInt8]] = []
            var foundTTL = UInt32.max
            for record in response.answers where record.type == type && record.name == current && record.data.count == size {
                if !found.contains(record.data) { found.append(record.data) }
                foundTTL = min(foundTTL, record.ttl)
            }
            if !found.isEmpty { return (found, min(ttl, foundTTL)) }
            guard hop < maxCNAMEHops,
                  let alias = response.answers.first(where: { $0.type == typeCNAME && $0.name == current }) else { break }
            current = String(decoding: alias.data, as: UTF8.self)
            ttl = min(ttl, alias.ttl)
            guard seen.insert(current).inserted else { break }
        }
        return ([], 0)
    }
}
