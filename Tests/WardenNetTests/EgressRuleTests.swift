import Testing
@testable import WardenNet

/// The rule grammar, matching and the special ranges: the pure half of egress.
@Suite struct EgressRuleTests {
    func rule(_ text: String) throws -> EgressRule { try EgressRule(parsing: text) }

    func ip(_ text: String) -> [UInt8] {
        (text.contains(":") ? try? EgressRuleParser.ipv6(text, offset: 0) : try? EgressRuleParser.ipv4(text)) ?? []
    }

    @Test func validRulesNormalize() throws {
        let ok: [String: String] = [
            "140.82.112.0/20:443": "140.82.112.0/20:443",
            "10.0.0.5:5432": "10.0.0.5/32:5432",
            "9.9.9.9:53/udp": "9.9.9.9/32:53/udp",
            "[2606:50c0::]/32:443": "[2606:50c0::/32]:443",
            "[2001:db8::/32]:443": "[2001:db8::/32]:443",
            "[2001:DB8::1]:22": "[2001:db8::1/128]:22",
            "2001:db8::/32": "2001:db8::/32",
            "api.github.com:443": "api.github.com:443",
            "API.GitHub.com.:443": "api.github.com:443",
            "*.pythonhosted.org:443": "*.pythonhosted.org:443",
            "example.com:8000-8100": "example.com:8000-8100",
            "example.com:443,80": "example.com:80,443",
            "example.com:80,81,82": "example.com:80-82",
            "example.com": "example.com",
            "example.com:443/TCP": "example.com:443",
        ]
        for (text, normalized) in ok {
            #expect(try rule(text).description == normalized, "\(text)")
            // The normal form parses back to the same rule.
            #expect(try rule(rule(text).description) == rule(text), "\(text)")
        }
    }

    @Test func badRulesSayWhereAndWhy() {
        let bad: [(String, String, Int?)] = [
            ("", "empty", 0),
            ("10.0.0.0/33", "prefix", 9),
            ("[2001:db8::]/129:443", "prefix", nil),
            ("example.com:0", "port", nil),
            ("example.com:65536", "port", nil),
            ("example.com:90-80", "", nil),
            ("2001:db8::/32:443", "bracket", nil),
            ("*", "", nil),
            ("140.82.112.7/20:443", "host bits", nil),
            ("a.*.example.com", "", nil),
            ("exa mple.com", "", nil),
            ("bücher.example", "punycode", 1),
            ("[10.0.0.1]:80", "IPv6", nil),
            ("example.com:443/icmp", "", nil),
            ("10.0.0.256", "", nil),
            ("-bad.example", "", nil),
            (String(repeating: "a", count: 400), "longer", nil),
        ]
        for (text, word, offset) in bad {
            do {
                _ = try EgressRule(parsing: text)
                Issue.record("\(text) parsed as \((try? EgressRule(parsing: text))?.description ?? "")")
            } catch {
                #expect(word.isEmpty || error.message.contains(word), "\(text): \(error.message)")
                if let offset { #expect(error.offset == offset, "\(text): \(error.offset)") }
                #expect(error.offset >= 0 && error.offset <= max(text.count, 300), "\(text)")
            }
        }
    }

    @Test func wildcardsMatchOneOrMoreLabelsNeverTheSuffix() throws {
        let w = try rule("*.pythonhosted.org:443")
        #expect(w.matches(name: "files.pythonhosted.org"))
        #expect(w.matches(name: "a.b.pythonhosted.org."))
        #expect(w.matches(name: "FILES.PythonHosted.org"))
        #expect(!w.matches(name: "pythonhosted.org"))
        #expect(!w.matches(name: "evilpythonhosted.org"))
        #expect(!w.matches(name: "pythonhosted.org.evil.com"))
        let exact = try rule("api.github.com:443")
        #expect(exact.matches(name: "api.github.com."))
        #expect(!exact.matches(name: "x.api.github.com"))
    }

    @Test func cidrContainsAndPorts() throws {
        let r = try rule("140.82.112.0/20:443,8000-8100")
        #expect(r.contains(address: ip("140.82.127.255")))
        #expect(!r.contains(address: ip("140.82.128.0")))
        #expect(!r.contains(address: ip("2001:db8::1")))
        #expect(r.allowsPort(443) && r.allowsPort(8000) && r.allowsPort(8100))
        #expect(!r.allowsPort(80) && !r.allowsPort(8101))
        #expect(try rule("1.2.3.4").allowsPort(1))
    }

    @Test func coversIsContainment() throws {
        #expect(try rule("140.82.112.0/20:443").covers(rule("140.82.113.0/24:443")))
        #expect(try !rule("140.82.113.0/24:443").covers(rule("140.82.112.0/20:443")))
        #expect(try !rule("140.82.112.0/20:443").covers(rule("140.82.113.0/24:80")))
        #expect(try !rule("140.82.112.0/20:443").covers(rule("140.82.113.0/24")), "any port is more than 443")
        #expect(try rule("140.82.112.0/20").covers(rule("140.82.113.0/24:22")))
        #expect(try !rule("9.9.9.9:53").covers(rule("9.9.9.9:53/udp")))
        #expect(try rule("*.example.com:443").covers(rule("api.example.com:443")))
        #expect(try rule("*.example.com:443").covers(rule("*.a.example.com:443")))
        #expect(try !rule("*.example.com:443").covers(rule("example.com:443")))
        #expect(try !rule("api.example.com:443").covers(rule("*.example.com:443")))
        #expect(try !rule("0.0.0.0/0:443").covers(rule("example.com:443")), "an address block never covers a name")
        #expect(try !rule("0.0.0.0/0").covers(rule("[2001:db8::]/32:443")))
    }

    @Test func intersectionNamesTheRuleAskedFor() throws {
        let policy = [try rule("*.github.com:443"), try rule("140.82.112.0/20:443")]
        let ok = EgressGrant.intersect(manifest: [try rule("api.github.com:443")], policy: policy)
        #expect(try ok.get() == [try rule("api.github.com:443")])
        let more = EgressGrant.intersect(manifest: [try rule("api.github.com:443"), try rule("api.github.com:22")], policy: policy)
        guard case .failure(let denial) = more else { Issue.record("granted"); return }
        #expect(denial.rule == (try rule("api.github.com:22")))
        #expect(denial.message.contains("api.github.com:22"))
        #expect(try EgressGrant.intersect(manifest: [], policy: policy).get().isEmpty)
    }

    @Test func specialRangesNeedAnExplicitRule() throws {
        let wide = EgressGrant(rules: [try rule("0.0.0.0/0:443"), try rule("[::]/0:443")])
        for address in ["127.0.0.1", "169.254.169.254", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1",
                        "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "fd00:ec2::254", "::ffff:7f00:1",
                        "64:ff9b::a9fe:a9fe", "::ffff:a00:1"] {
            #expect(wide.rule(forAddress: ip(address), port: 443, proto: .tcp, hostAddresses: []) == nil, "\(address)")
            #expect(!wide.answerAllowed(ip(address), hostAddresses: []), "\(address)")
        }
        #expect(wide.rule(forAddress: ip("140.82.112.3"), port: 443, proto: .tcp, hostAddresses: []) != nil)
        #expect(wide.rule(forAddress: ip("140.82.112.3"), port: 80, proto: .tcp, hostAddresses: []) == nil)
        #expect(wide.rule(forAddress: ip("203.0.113.9"), port: 443, proto: .tcp, hostAddresses: [ip("203.0.113.9")]) == nil,
                "the host's own address")

        let named = EgressGrant(rules: [try rule("10.0.0.5:5432"), try rule("203.0.113.9:22")])
        #expect(named.rule(forAddress: ip("10.0.0.5"), port: 5432, proto: .tcp, hostAddresses: []) != nil)
        #expect(named.rule(forAddress: ip("::ffff:a00:5"), port: 5432, proto: .tcp, hostAddresses: []) != nil)
        #expect(named.rule(forAddress: ip("10.0.0.6"), port: 5432, proto: .tcp, hostAddresses: []) == nil)
        #expect(named.rule(forAddress: ip("203.0.113.9"), port: 22, proto: .tcp, hostAddresses: [ip("203.0.113.9")]) != nil)
        // A block that reaches beyond the private range is not an explicit grant of it.
        let beyond = EgressGrant(rules: [try rule("8.0.0.0/6:443")])
        #expect(beyond.rule(forAddress: ip("10.0.0.1"), port: 443, proto: .tcp, hostAddresses: []) == nil)
    }

    @Test func tcpPortsMergeForLandlock() throws {
        #expect(EgressGrant(rules: [try rule("a.example:443"), try rule("b.example:80,444"), try rule("9.9.9.9:53/udp")]).tcpPorts
                == [80...80, 443...444])
        #expect(EgressGrant(rules: [try rule("a.example:443"), try rule("1.2.3.4")]).tcpPorts == nil)
    }
}
