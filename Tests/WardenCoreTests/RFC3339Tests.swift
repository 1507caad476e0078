import Foundation
import Testing
@testable import WardenCore

@Suite struct RFC3339Tests {
    @Test func formatsMillisWithPaddingAndNegativeTimes() {
        #expect(RFC3339.format(millis: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(millis: 1_795_390_092_042) == "2026-11-22T23:28:12.042Z")
        #expect(RFC3339.format(millis: 5) == "1970-01-01T00:00:00.005Z")
        #expect(RFC3339.format(millis: -1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func parsesStrictlyAndRoundTrips() throws {
        let d = try #require(RFC3339.parse("2027-01-01T02:00:00+02:00"))
        #expect(RFC3339.format(d) == "2027-01-01T00:00:00Z")
        for bad in ["2027-02-30T00:00:00Z", "2027-01-01 00:00:00Z", "2027-01-01T24:00:00Z", "2027-1-01T00:00:00Z", "2027-01-01T00:00:00"] {
            #expect(RFC3339.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func timestampAcceptsRFC3339OrABareDate() throws {
        #expect(Timestamp.rfc3339(try Timestamp.parse("2030-01-01", field: "f")) == "2030-01-01T00:00:00Z")
        #expect(Timestamp.rfc3339(try Timestamp.parse("2030-01-01T12:30:00Z", field: "f")) == "2030-01-01T12:30:00Z")
        #expect(throws: WardenError.self) { try Timestamp.parse("tomorrow", field: "--not-after") }
        #expect(throws: WardenError.self) { try Timestamp.parse("2030-13-01", field: "--not-after") }
    }
}
