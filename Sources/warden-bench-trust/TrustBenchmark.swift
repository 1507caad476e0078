import Foundation
import WardenCore
import WardenTrust

/// Admission-path micro-benchmarks (run in release mode; see docs/BENCHMARKS.md):
/// streaming SHA-256 of an artifact file, and signature sign/verify rates.
@main
struct TrustBenchmark {
    static func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func main() throws {
        let args = CommandLine.arguments
        let path = args.count > 1 ? args[1] : NSTemporaryDirectory() + "warden-bench-artifact.bin"
        let megabytes = args.count > 2 ? Int(args[2]) ?? 512 : 512
        if !FileManager.default.fileExists(atPath: path) {
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            var x: UInt64 = 0x243F6A8885A308D3
            let fh = FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path)! : nil
            for _ in 0..<megabytes {
                for i in chunk.indices { x = x &* 6364136223846793005 &+ 1442695040888963407; chunk[i] = UInt8(truncatingIfNeeded: x >> 33) }
                fh?.write(Data(chunk))
            }
            try fh?.close()
        }
        let size = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.doubleValue ?? 0)
        _ = try ArtifactHasher.hash(path: path)  // warm the page cache
        var rates: [Double] = []
        var digest = ""
        for _ in 0..<5 {
            let t = try time { digest = try ArtifactHasher.hash(path: path).digest.description }
            rates.append(size / t / 1e9)
        }
        print(String(format: "sha256 artifact hashing: median %.2f GB/s over 5 runs of %.0f MiB (%@)", median(rates), size / 1048576, digest))

        for alg in [JWSAlgorithm.EdDSA, .ES256] {
            let key = PrivateKeyMaterial.generate(alg)
            let pub = key.publicKey
            let message = Array(repeating: UInt8(0x61), count: 512)
            let n = 4000
            var signRates: [Double] = [], verifyRates: [Double] = []
            var sig: [UInt8] = []
            for _ in 0..<5 {
                signRates.append(Double(n) / (try time { for _ in 0..<n { sig = try key.sign(message) } }))
                var ok = true
                verifyRates.append(Double(n) / time { for _ in 0..<n { ok = ok && pub.verify(sig, for: message) } })
                precondition(ok)
            }
            print(String(format: "%@ sign: median %.0f/s, verify: median %.0f/s (512-byte message, 5 x %d ops)",
                         alg.rawValue, median(signRates), median(verifyRates), n))
        }
    }
}
