import Testing
import WardenCore
@testable import WardenServer

@Suite struct FrameTests {
    @Test func roundTrip() throws {
        let value: JSONValue = ["a": 1, "b": ["x", true, .null]]
        let bytes = Frame.encode(value)
        let n = try Frame.payloadLength(header: Array(bytes.prefix(4)))
        #expect(n == bytes.count - 4)
        #expect(try Frame.decode(payload: Array(bytes.dropFirst(4))) == value.objectValue)
    }

    @Test func refusesBadHeadersAndPayloads() {
        func code(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch let e as WardenError { return e.code } catch { return "\(error)" }
        }
        #expect(code { _ = try Frame.payloadLength(header: [0, 0, 0, 0]) } == "serve.bad_frame")
        #expect(code { _ = try Frame.payloadLength(header: [0xff, 0, 0, 0]) } == "serve.bad_frame")
        #expect(code { _ = try Frame.payloadLength(header: [0, 0, 1]) } == "serve.bad_frame")
        let max = Frame.maxPayload
        let top: [UInt8] = [UInt8(max >> 24), UInt8((max >> 16) & 0xff), UInt8((max >> 8) & 0xff), UInt8(max & 0xff)]
        #expect(code { _ = try Frame.payloadLength(header: top) } == nil)
        #expect(code { _ = try Frame.decode(payload: Array("[1]".utf8)) } == "serve.bad_frame")
        #expect(code { _ = try Frame.decode(payload: Array("{\"a\":".utf8)) } != nil)
        #expect(code { _ = try Frame.decode(payload: Array("{\"a\":1,\"a\":2}".utf8)) } != nil)
    }

    @Test func controlBufferRoundTrip() {
        let control = ControlBuffer.rights([3, 7, 11])
        #expect(control.count == ControlBuffer.space(3))
        let fds = control.withUnsafeBytes { ControlBuffer.parseRights($0) }
        #expect(fds == [3, 7, 11])
        // A truncated or garbage control buffer yields nothing rather than reading past its end.
        let cut = Array(control.prefix(10))
        #expect(cut.withUnsafeBytes { ControlBuffer.parseRights($0) } == [])
        var bogus = control
        bogus[0] = 0xff  // cmsg_len far beyond the buffer
        #expect(bogus.withUnsafeBytes { ControlBuffer.parseRights($0) } == [])
    }
}

@Suite struct RunCallMessageTests {
    let call = RunCallMessage(tool: "hello@1.0.0", tenant: "acme", policy: "/p.yaml", session: nil, approval: "tok", stdin: true,
                              events: false, json: true, arguments: ["greet", "x"], workingDirectory: "/work", actor: "alice")

    @Test func roundTrip() throws {
        let parsed = try RunCallMessage(message: call.message.objectValue ?? [:])
        #expect(parsed == call)
        #expect(parsed.descriptorCount == 3)
    }

    @Test func refusesWhatItDoesNotKnowOrExpect() {
        func code(_ edit: (inout [String: JSONValue]) -> Void) -> String? {
            var m = call.message.objectValue ?? [:]
            edit(&m)
            do throws(WardenError) { _ = try RunCallMessage(message: m); return nil } catch { return error.code }
        }
        #expect(code { _ in } == nil)
        #expect(code { $0["extra"] = 1 } == "serve.bad_request")
        #expect(code { $0["v"] = 2 } == "serve.version")
        #expect(code { $0["v"] = nil } == "serve.version")
        #expect(code { $0["op"] = "exec" } == "serve.bad_request")
        #expect(code { $0["tool"] = 5 } == "serve.bad_request")
        #expect(code { $0["tenant"] = nil } == "serve.bad_request")
        #expect(code { $0["policy"] = "relative.yaml" } == "serve.bad_request")
        #expect(code { $0["policy"] = .null } == nil)
        #expect(code { $0["cwd"] = "work" } == "serve.bad_request")
        #expect(code { $0["stdin"] = "yes" } == "serve.bad_request")
        #expect(code { $0["arguments"] = ["a", 1] } == "serve.bad_request")
        #expect(code { $0["arguments"] = "a" } == "serve.bad_request")
    }
}
