#!/usr/bin/env bash
# Admission-path benchmark: Warden's hashing and signing next to sha256sum and openssl on the
# same data, in one run. Usage: scripts/bench-trust.sh [MiB]   (see docs/BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-512}
file=$(mktemp -d)/artifact.bin
bash scripts/build-release.sh --product warden-bench-trust >/dev/null
echo "== warden (swift-crypto / BoringSSL)"
.build-release/release/warden-bench-trust "$file" "$mib"
echo "== sha256sum on the same file (median of 5)"
for i in 1 2 3 4 5; do /usr/bin/time -f "%e" sha256sum "$file" 2>&1 >/dev/null; done | sort -n | sed -n 3p |
  awk -v mib="$mib" '{printf "sha256sum: median %.2f GB/s\n", mib*1048576/$1/1e9}'
echo "== openssl speed (same machine, same run)"
openssl speed -seconds 2 -bytes 1048576 sha256 2>/dev/null | grep -E "^sha256" || true
openssl speed -seconds 2 ed25519 2>/dev/null | grep -E "Ed25519\)$|ed25519" | tail -1 || true
openssl speed -seconds 2 ecdsap256 2>/dev/null | grep -E "nistp256\)" | tail -1 || true
rm -f "$file"
