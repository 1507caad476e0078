@testable import WardenNet

/// ClientHellos captured once from Python's `ssl` module (OpenSSL 3.0.19) writing into a
/// memory BIO (`SSLContext(PROTOCOL_TLS_CLIENT).wrap_bio(..., server_hostname=...)`), plus a
/// builder for synthetic ones.
enum TLSFixtures {
    /// server_hostname="api.test.example", no ALPN. 517 bytes in one record (padding extension).
    static let sni = bytes(hex: """
        1603010200010001fc0303d53c09f200ce7cf68148901a63b3ff0a26824c958dbf82ab64df55c52a73bd31204a089d02
        2742e91c560363c5db6c2746d2b16e9e742c25d02fe177a49959b3950024130213031301c02cc030c02bc02fcca9cca8
        c024c028c023c027009f009e006b006700ff0100018f0000001500130000106170692e746573742e6578616d706c6500
        0b000403000102000a00160014001d0017001e0019001801000101010201030104002300000016000000170000000d00
        2a0028040305030603080708080809080a080b080408050806040105010601030303010302040205020602002b000504
        03040303002d00020101003300260024001d0020759dd3c943fb82b3bdd1a37ecfb8941873dce95d8004a191dc3e439a
        b0f0705b001500dd00000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000
        """)

    /// server_hostname=None: no server_name extension.
    static let noSNI = bytes(hex: """
        1603010200010001fc0303bd52925b471de7d90ad187aadd248f7018413298165b5d4568e38eef50c1d03720ac61ea2f
        067ef2766bc1cc2bf8751852de6edc36478fda8eb9e28e15327ed8950024130213031301c02cc030c02bc02fcca9cca8
        c024c028c023c027009f009e006b006700ff0100018f000b000403000102000a00160014001d0017001e001900180100
        0101010201030104002300000016000000170000000d002a0028040305030603080708080809080a080b080408050806
        040105010601030303010302040205020602002b00050403040303002d00020101003300260024001d0020db1d33be20
        5378c43ea0c5a6ce33992bc48f927beea539cfad1e4251f3b68866001500f60000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000
        """)

    /// server_hostname="api.test.example", ALPN ["h2", "http/1.1"].
    static let alpn = bytes(hex: """
        1603010200010001fc0303900684018da784fbc96e0089df5f22e2319191ff6008b023c551173bca7b5aea20c20937d6
        4a370c9ff35cf39a9607230d7746b2413785709192dd9f35921b35c20024130213031301c02cc030c02bc02fcca9cca8
        c024c028c023c027009f009e006b006700ff0100018f0000001500130000106170692e746573742e6578616d706c6500
        0b000403000102000a00160014001d0017001e0019001801000101010201030104002300000010000e000c0268320868
        7474702f312e310016000000170000000d002a0028040305030603080708080809080a080b0804080508060401050106
        01030303010302040205020602002b00050403040303002d00020101003300260024001d002003874ba61ad5f1f7737b
        0e9ac8acafe39049abe46e2c1f627f8a7b053f5bd319001500cb00000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
        00000000000000000000000000000000000000000000000000000000000000000000000000
        """)

    static func bytes(hex: String) -> [UInt8] {
        let digits = hex.utf8.compactMap { c -> UInt8? in
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        return stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    static func u16(_ n: Int) -> [UInt8] { [UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] }
    static func u24(_ n: Int) -> [UInt8] { [UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] }

    /// The handshake message (header included) inside a single-record hello.
    static func handshake(of record: [UInt8]) -> [UInt8] { Array(record[5...]) }

    /// `handshake` split into records carrying at most `size` bytes each.
    static func records(_ handshake: [UInt8], size: Int, version: UInt8 = 1) -> [UInt8] {
        stride(from: 0, to: handshake.count, by: size).flatMap { start -> [UInt8] in
            let chunk = handshake[start..<min(start + size, handshake.count)]
            return [22, 3, version] + u16(chunk.count) + chunk
        }
    }

    static func ext(_ type: Int, _ data: [UInt8]) -> [UInt8] { u16(type) + u16(data.count) + data }

    /// server_name with the given (name type, name) entries.
    static func serverName(_ entries: [(Int, [UInt8])]) -> [UInt8] {
        let list = entries.flatMap { [UInt8($0.0)] + u16($0.1.count) + $0.1 }
        return ext(0, u16(list.count) + list)
    }

    static func serverName(_ name: String) -> [UInt8] { serverName([(0, Array(name.utf8))]) }

    static func alpn(_ protocols: [String]) -> [UInt8] {
        let list = protocols.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        return ext(16, u16(list.count) + list)
    }

    /// A ClientHello body: TLS 1.2 legacy version, fixed random, a 32-byte session id, two
    /// suites, null compression, then `extensions` (nil: no extensions field at all).
    static func body(extensions: [UInt8]?, sessionID: [UInt8] = [UInt8](repeating: 0x55, count: 32)) -> [UInt8] {
        var body: [UInt8] = [3, 3] + [UInt8](repeating: 0xAA, count: 32)
        body += [UInt8(sessionID.count)] + sessionID
        body += u16(4) + [0x13, 0x01, 0x13, 0x02]
        body += [1, 0]
        if let extensions { body += u16(extensions.count) + extensions }
        return body
    }

    /// One record holding one ClientHello handshake message with `body`.
    static func hello(body: [UInt8]) -> [UInt8] {
        let handshake = [1] + u24(body.count) + body
        return [22, 3, 1] + u16(handshake.count) + handshake
    }

    static func hello(extensions: [UInt8]...) -> [UInt8] { hello(body: body(extensions: extensions.flatMap { $0 })) }
}
