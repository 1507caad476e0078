import Testing
@testable import WardenCore

@Suite struct CanonicalJSONTests {
    @Test func sortsKeysByUTF16AndEscapesMinimally() {
        let v: JSONValue = ["b": 1, "a": ["z": true, "é": "x\n\u{1}\"\\/"], "A": nil]
        #expect(CanonicalJSON.string(v) == #"{"A":null,"a":{"z":true,"é":"x\n\u0001\"\\/"},"b":1}"#)
    }

    @Test func roundTripsThroughStrictParser() throws {
        let text = #"{"k":[1,-2,9223372036854775807,-9223372036854775808,"s",false,null,{}]}"#
        let v = try StrictJSONParser.parse(text)
        #expect(CanonicalJSON.string(v) == text)
    }
}
