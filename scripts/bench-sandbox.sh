#!/bin/sh
# Sandbox benchmark (docs/SANDBOX.md, "Benchmark"): builds the shipped release binaries
# (scripts/build-release.sh: fully static, about 3x faster process start than a build with
# only the Swift standard library static),
# then runs `warden exec -- /bin/true` side by side with bubblewrap in one hyperfine run, and
# the in-process Sandbox.run benchmark. Run as root (root mode); needs hyperfine and bwrap.
# Usage: scripts/bench-sandbox.sh [BASELINE_DIR]
#   BASELINE_DIR: a directory holding an older `warden` (and optionally its
#   `warden-bench-sandbox`) to compare in the same run; the in-process benchmarks of the two
#   then alternate, twice each.
set -eu
cd "$(dirname "$0")/.."
bash scripts/build-release.sh --product warden >/dev/null
bash scripts/build-release.sh --product warden-bench-sandbox >/dev/null
mkdir -p /tmp/bench
cp .build-release/release/warden .build-release/release/warden-bench-sandbox /tmp/bench/
BWRAP='bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/sbin /sbin --proc /proc --dev /dev --tmpfs /tmp /bin/true'
set -- '/bin/true' '/tmp/bench/warden exec --no-stdin -- /bin/true' "$BWRAP" \
  '/tmp/bench/warden exec --net host -- /bin/true' ${1:+"$1/warden exec --no-stdin -- /bin/true"} ${1:+"$1"}
BASE=""
if [ $# -eq 6 ]; then BASE=$6; set -- "$1" "$2" "$3" "$4" "$5"; fi
uptime
(cd /tmp && hyperfine -N --warmup 20 --runs 300 -i "$@")
if [ -n "$BASE" ] && [ -x "$BASE/warden-bench-sandbox" ]; then
  for round in 1 2; do
    echo "== baseline ($BASE)"; uptime; "$BASE/warden-bench-sandbox" 200
    echo "== this build"; uptime; /tmp/bench/warden-bench-sandbox 200
  done
else
  /tmp/bench/warden-bench-sandbox 200
fi
uptime
