import Foundation
import Testing
import WardenCore
@testable import WardenServer

/// The transport from the outside: a real server thread on a real socket, clients sending
/// frames with descriptors, and peers that misbehave.
@Suite(.serialized) struct LocalServerTests {
    final class Running: @unchecked Sendable {
        let dir: String
        let server: LocalServer
        let done = DispatchSemaphore(value: 0)
        var path: String { server.path }

        /// The handler writes "to-stdout" to the first descriptor and echoes the request.
        init() throws {
            dir = NSTemporaryDirectory() + "warden-serve-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            server = try LocalServer(path: dir + "/s.sock") { r in
                if let fd = r.descriptors.first { _ = "to-stdout".withCString { write(fd, $0, 9) } }
                return ["echo": .object(r.message), "descriptors": .int(Int64(r.descriptors.count)), "uid": .int(Int64(r.peer.uid))]
            }
            let thread = Thread { [server, done] in
                server.serve()
                done.signal()
            }
            thread.start()
        }

        func stop() -> Bool {
            server.stop()
            return done.wait(timeout: .now() + 10) == .success
        }

        deinit { try? FileManager.default.removeItem(atPath: dir) }
    }

    func call(_ path: String, _ message: JSONValue, descriptors: [Int32] = []) throws -> [String: JSONValue] {
        guard case .success(let fd) = UnixSocket.connect(path: path) else { throw WardenError.usage("test", "connect") }
        defer { close(fd) }
        try UnixSocket.send(fd, message, descriptors: descriptors)
        return try UnixSocket.receive(fd).message
    }

    @Test func answersWithDescriptorsAndStopsCleanly() throws {
        let s = try Running()
        var p: [Int32] = [0, 0]
        #expect(pipe(&p) == 0)
        let reply = try call(s.path, ["hello": "world"], descriptors: [p[1]])
        close(p[1])
        #expect(reply["echo"] == ["hello": "world"])
        #expect(reply["descriptors"] == 1)
        #expect(reply["uid"]?.intValue == Int64(geteuid()))
        var buf = [UInt8](repeating: 0, count: 64)
        let n = read(p[0], &buf, 64)
        close(p[0])
        #expect(n == 9 && String(decoding: buf.prefix(9), as: UTF8.self) == "to-stdout")
        // The socket is owner-only.
        var st = stat()
        #expect(lstat(s.path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(s.stop(), "serve() did not return after stop()")
        #expect(lstat(s.path, &st) != 0, "socket file left behind")
        if case .success(let fd) = UnixSocket.connect(path: s.path) {
            close(fd)
            Issue.record("a stopped server still accepts connections")
        }
    }

    @Test func refusesGarbageTooManyDescriptorsAndSilence() throws {
        let s = try Running()
        defer { _ = s.stop() }
        // A frame that is not JSON.
        guard case .success(let fd) = UnixSocket.connect(path: s.path) else { Issue.record("connect"); return }
        let junk: [UInt8] = [0, 0, 0, 3, 0x7b, 0x7b, 0x7b]
        _ = junk.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        let reply = try UnixSocket.receive(fd).message
        close(fd)
        #expect(reply["error"]?["code"] == "serve.bad_json" || reply["error"]?["code"]?.stringValue?.hasPrefix("json.") == true,
                "\(reply)")
        // A length beyond the limit is refused before anything is allocated for it.
        guard case .success(let fd2) = UnixSocket.connect(path: s.path) else { Issue.record("connect"); return }
        let huge: [UInt8] = [0x7f, 0xff, 0xff, 0xff]
        _ = huge.withUnsafeBytes { send(fd2, $0.baseAddress, $0.count, 0) }
        #expect(try UnixSocket.receive(fd2).message["error"]?["code"] == "serve.bad_frame")
        close(fd2)
        // Four descriptors: more than a run ever sends.
        guard case .success(let fd3) = UnixSocket.connect(path: s.path) else { Issue.record("connect"); return }
        var fds: [Int32] = []
        for _ in 0..<4 { fds.append(open("/dev/null", O_RDONLY)) }
        // Bypass `send`'s own limit: build the control message by hand.
        let bytes = Frame.encode(["x": 1])
        var control = ControlBuffer.rights(fds)
        var iovBytes = bytes
        let sent = iovBytes.withUnsafeMutableBytes { raw in
            control.withUnsafeMutableBytes { c in
                var iov = iovec(iov_base: raw.baseAddress, iov_len: raw.count)
                return withUnsafeMutablePointer(to: &iov) { iovp in
                    var msg = msghdr()
                    msg.msg_iov = iovp
                    msg.msg_iovlen = 1
                    msg.msg_control = c.baseAddress
                    msg.msg_controllen = c.count
                    return sendmsg(fd3, &msg, 0)
                }
            }
        }
        #expect(sent == bytes.count)
        for f in fds { close(f) }
        #expect(try UnixSocket.receive(fd3).message["error"]?["code"] == "serve.bad_frame")
        close(fd3)
        // The server still answers well-formed requests.
        #expect(try call(s.path, ["ok": true])["echo"] == ["ok": true])
    }

    @Test func refusesPeersOfAnotherUser() throws {
        let s = try Running()
        defer { _ = s.stop() }
        // Let uid 65534 reach the socket at all; the credential check must still refuse it.
        chmod(s.dir, 0o755)
        chmod(s.path, 0o666)
        let script = """
            import socket, struct, sys
            s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
            body = b'{"x":1}'; s.sendall(struct.pack('>I', len(body)) + body)
            def exactly(n):
                data = b''
                while len(data) < n:
                    chunk = s.recv(n - len(data))
                    if not chunk: raise SystemExit('closed early')
                    data += chunk
                return data
            n = struct.unpack('>I', exactly(4))[0]
            sys.stdout.write(exactly(n).decode())
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid", "65534", "--regid", "65534", "--clear-groups", "/usr/bin/python3", "-c", script, s.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        #expect(p.terminationStatus == 0, "client failed: \(text)")
        #expect(text.contains("serve.peer_refused"), "uid 65534 was served: \(text)")
    }

    @Test func socketPathRules() throws {
        let dir = NSTemporaryDirectory() + "warden-serve-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func code(_ body: () throws -> Void) -> String? {
            do { try body(); return nil } catch let e as WardenError { return e.code } catch { return "\(error)" }
        }
        // Not a socket: refused, left alone.
        FileManager.default.createFile(atPath: dir + "/file", contents: Data("keep".utf8))
        #expect(code { _ = try LocalServer(path: dir + "/file") { _ in [:] } } == "serve.path_taken")
        #expect((try? String(contentsOfFile: dir + "/file", encoding: .utf8)) == "keep")
        // Too long for sockaddr_un.
        #expect(code { _ = try LocalServer(path: dir + "/" + String(repeating: "x", count: 120)) { _ in [:] } } == "serve.socket_path")
        // A stale socket (nobody listening) is replaced.
        let stale = try UnixSocket.listen(path: dir + "/stale.sock")
        close(stale)
        #expect(code { let s = try LocalServer(path: dir + "/stale.sock") { _ in [:] }; s.stop() } == nil)
    }
}
