import WardenCore
import WardenHome
import WardenLedger
import WardenSandbox

/// config.json's `network` section: `{"resolvers": ["ADDR[:PORT]", ...]}`, the upstream DNS
/// servers egress runs' stub asks (default: the host's /etc/resolv.conf).
enum NetworkConfig {
    static func resolvers(home: Home) throws(WardenError) -> [SandboxSpec.Resolver] {
        let config = try HomeConfig.load(home: home)
        var section = try config.section("network")
        let list = try section.array("resolvers") ?? []
        try section.finish()
        var out: [SandboxSpec.Resolver] = []
        for (i, item) in list.enumerated() {
            guard case .string(let text) = item else { throw section.fail("resolvers[\(i)]", "must be a string") }
            do throws(WardenError) { out.append(try SandboxSpec.Resolver(parsing: text)) } catch {
                throw section.fail("resolvers[\(i)]", error.message)
            }
        }
        return out
    }
}
