#!/usr/bin/env bash
# Egress benchmark (docs/BENCHMARKS.md, "Network egress"): side by side in one run, as root,
# against a test host in a network namespace this script creates and removes (198.18.77.0/24,
# the benchmarking range; nothing else is contacted).
#   1. setup: warden exec --egress RULE -- /bin/true  vs  --net none (hyperfine)
#   2. TCP connect latency (median of 300) from the host vs from the sandbox through the proxy
#   3. bulk TCP throughput (iperf3, 5 s) from the host vs from the sandbox
# usage: bash scripts/bench-egress.sh [WARDEN_BINARY]   (default: a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-egress: run as root (it creates a network namespace)" >&2; exit 2; }
W=${1:-$(bash scripts/build-release.sh)}
for t in hyperfine iperf3 ip nft; do command -v $t >/dev/null || { echo "bench-egress: needs $t (apt-get install hyperfine iperf3 iproute2 nftables)" >&2; exit 2; }; done
ns=wbench-$$ veth=wbh$$
dir=$(mktemp -d /tmp/warden-bench-egress.XXXXXX); chmod 755 "$dir"
cleanup() { ip netns pids $ns 2>/dev/null | xargs -r kill -9; ip netns del $ns 2>/dev/null || true; ip link del $veth 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
ip netns add $ns
ip link add $veth type veth peer name ${veth}p
ip link set ${veth}p netns $ns
ip addr add 198.18.77.1/24 dev $veth; ip link set $veth up
ip -n $ns addr add 198.18.77.2/24 dev ${veth}p; ip -n $ns link set ${veth}p up; ip -n $ns link set lo up
cat > "$dir/lat.py" <<'PY'
import socket, statistics, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
samples = []
for _ in range(n):
    t = time.perf_counter(); s = socket.create_connection((host, port)); samples.append((time.perf_counter() - t) * 1e6); s.close()
print("%.1f" % statistics.median(samples))
PY
ip netns exec $ns python3 -c '
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("198.18.77.2", 8080)); s.listen(512)
while True:
    c, _ = s.accept(); c.close()' &
ip netns exec $ns iperf3 -s -D -B 198.18.77.2 -p 5201 >/dev/null
sleep 0.5
rule=198.18.77.2/32:8080
echo "== 1. setup cost (hyperfine)"
hyperfine -N -w 10 -r 100 --export-json "$dir/setup.json" \
  "$W exec --no-stdin -- /bin/true" "$W exec --no-stdin --egress $rule -- /bin/true" 2>&1 | grep -E "Time|±|faster|Benchmark" || true
python3 - "$dir/setup.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
a, b = r[0]["median"] * 1000, r[1]["median"] * 1000
print("median none %.2f ms, egress %.2f ms: setup adds %.2f ms" % (a, b, b - a))
PY
echo "== 2. connect latency (median of 300, µs)"
direct=$(python3 "$dir/lat.py" 198.18.77.2 8080 300)
proxied=$("$W" exec --no-stdin --ro "$dir:/opt/b" --egress $rule -- /usr/bin/python3 /opt/b/lat.py 198.18.77.2 8080 300)
echo "host $direct µs, sandbox through the proxy $proxied µs (+$(python3 -c "print('%.1f' % ($proxied - $direct))") µs)"
echo "== 3. bulk TCP (iperf3 -t 5)"
bps() { python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'; }
d=$(iperf3 -c 198.18.77.2 -p 5201 -t 5 -J | bps)
p=$("$W" exec --no-stdin --timeout 30 --egress 198.18.77.2/32:5201 -- /usr/bin/iperf3 -c 198.18.77.2 -p 5201 -t 5 -J | bps)
echo "host $d Gbit/s, sandbox $p Gbit/s ($(python3 -c "print('%.0f' % (100 * $p / $d))")% of direct)"
