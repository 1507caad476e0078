import Foundation

/// Time formats used on the command line, in documents and in records.
public enum Timestamp {
    /// RFC 3339 UTC with seconds, e.g. `2026-11-22T10:00:00Z`.
    public static func rfc3339(_ date: Date) -> String { RFC3339.format(date) }

    /// Parses RFC 3339 (`2027-01-01T00:00:00Z`, offsets allowed) or a bare date (`2027-01-01`,
    /// meaning midnight UTC). `field` names the flag or field for the error.
    public static func parse(_ text: String, field: String) throws(WardenError) -> Date {
        if let d = RFC3339.parse(text) { return d }
        if text.utf8.count == 10, let d = RFC3339.parse(text + "T00:00:00Z") { return d }
        throw .usage("time.malformed", "\(field): expected an RFC 3339 time (2027-01-01T00:00:00Z) or a date (2027-01-01), got \"\(text.prefix(60))\"")
    }

    /// Parses a duration: a whole number followed by `s`, `m`, `h` or `d` (`90d`, `12h`).
    public static func parseDuration(_ text: String, field: String) throws(WardenError) -> TimeInterval {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last, let factor = units[unit], let n = Int(text.dropLast()), n > 0, n <= 36_500 * 86400
        else {
            throw .usage("time.bad_duration", "\(field): expected a positive duration like 30s, 15m, 12h or 90d, got \"\(text.prefix(40))\"")
        }
        return Double(n) * factor
    }

    /// Whole seconds since the epoch.
    public static func unix(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}
