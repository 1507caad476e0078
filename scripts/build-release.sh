#!/usr/bin/env bash
# The shipped `warden`: a release build linked fully static (glibc and the Swift runtime inside,
# no PIE). It starts in about 1.2 ms instead of 3.7 ms for the same build with only the Swift
# standard library static: no dynamic loader, no relocation of a 110 MB image at every start
# (docs/BENCHMARKS.md). Name lookups (getpwuid, getaddrinfo) still load glibc's NSS modules,
# so run it where it was built or on the same glibc version.
# Prints the binary's path.
#   scripts/build-release.sh [--product NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
product=warden
[ "${1:-}" = "--product" ] && product=$2
swift build -c release -Xswiftc -static-executable --scratch-path .build-release --product "$product" >&2
echo "$PWD/.build-release/release/$product"
