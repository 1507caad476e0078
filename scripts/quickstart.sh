#!/usr/bin/env bash
# Warden quickstart: builds warden and a small real tool, then on a fresh home walks the whole
# pipeline with the real CLI: keys, a signed and authorized tool, confined runs, denials by the
# policy and by the kernel, an approval round trip, the CloudEvent, a run handed to a resident
# `warden serve`, and ledger verification.
#   bash scripts/quickstart.sh          readable output
#   bash scripts/quickstart.sh --json   one JSON object per step (JSON Lines) on stdout
#   WARDEN_BIN=PATH bash scripts/quickstart.sh   the same walk with a given binary (CI uses it
#                                                for the release build, scripts/build-release.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
JSON=0; [ "${1:-}" = "--json" ] && JSON=1
if [ -n "${WARDEN_BIN:-}" ]; then
  W="$WARDEN_BIN"
else
  # The first build compiles the dependencies too (minutes on 2 cores): its progress goes to
  # stderr, so --json output stays one object per line.
  echo "quickstart: building warden (swift build; the first build takes a few minutes)" >&2
  swift build --product warden 2>&1 | while IFS= read -r line; do
    case "$line" in \[*|*error*|*warning:\ unre*|Build*|Fetching*|Computing*|Creating*) printf '  %s\n' "$line" >&2;; esac
  done
  [ "${PIPESTATUS[0]}" = 0 ] || { echo "quickstart: swift build failed" >&2; exit 125; }
  W="$PWD/.build/debug/warden"
fi
work=$(mktemp -d /tmp/warden-quickstart.XXXXXX)
export WARDEN_HOME="${WARDEN_HOME:-$work/home}"
mkdir -p "$work/workspace"
cd "$work"

say()  { [ $JSON = 1 ] || printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { [ $JSON = 1 ] || printf '$ %s\n' "$*"; }
# step NAME EXPECTED_STATUS CMD...: runs a warden command, shows it, checks its exit status.
step() {
  local name=$1 want=$2; shift 2
  show "warden ${*}"
  local out status
  out=$("$W" "$@" 2>&1); status=$?
  if [ $JSON = 1 ]; then
    python3 -c 'import json,sys; print(json.dumps({"step":sys.argv[1],"command":sys.argv[2],"status":int(sys.argv[3]),"expected":int(sys.argv[4]),"output":sys.argv[5]}))' \
      "$name" "warden $*" "$status" "$want" "$out"
  else
    printf '%s\n' "$out" | sed 's/^/  /'
    printf '  → exit %s%s\n' "$status" "$([ "$status" = "$want" ] && echo "" || echo " (EXPECTED $want)")"
  fi
  [ "$status" = "$want" ] || { echo "quickstart: step '$name' exited $status, expected $want" >&2; exit 1; }
  LAST="$out"
}

say "A small real tool (samples/hello-tool/hello.c), built statically"
cc -static -O2 -o "$work/hello" "$OLDPWD/samples/hello-tool/hello.c" 2>/dev/null || cc -O2 -o "$work/hello" "$OLDPWD/samples/hello-tool/hello.c" || exit 125
show "cc -static -O2 -o hello samples/hello-tool/hello.c"

say "Keys: one per role; the algorithm is fixed by the key, never by a token"
step init 0 init
step key-publisher 0 key generate publisher --role publisher
step key-authorizer 0 key generate authorizer --role authorizer --alg es256
step key-approver 0 key generate approver --role approver
step key-runner 0 key generate runner --role runner
APPROVER_KID=$("$W" key list --json | python3 -c 'import json,sys; print([k["kid"] for k in json.load(sys.stdin) if k["name"]=="approver"][0])')
cp "$OLDPWD/samples/policies/quickstart.yaml" "$work/policy.yaml"
sed "s/APPROVER_KID/$APPROVER_KID/" "$OLDPWD/samples/policies/quickstart-gated.yaml" > "$work/gated.yaml"

say "Admit: sign, verify, add and authorize the tool (and a variant that declares it writes)"
step sign 0 tool sign hello --name hello --version 1.0.0 --key publisher -o hello.jws
step sign-writer 0 tool sign hello --name notes --version 1.0.0 --key publisher --writable ./workspace -o notes.jws
step verify 0 tool verify hello.jws --artifact hello
step add 0 tool add hello.jws hello
step add-writer 0 tool add notes.jws hello
step authorize 0 tool authorize hello@1.0.0 --tenant demo --key authorizer
step authorize-writer 0 tool authorize notes@1.0.0 --tenant demo --key authorizer
step policy-check 0 policy check policy.yaml

say "Run: allowed, confined (read-only system, private /tmp, no network, own uid)"
step run 0 run hello --tenant demo --policy policy.yaml -- greet quickstart

say "Denied by the kernel: the tool tries to run curl, write outside its workspace, reach the network"
step deny-exec 1 run hello --tenant demo --policy policy.yaml -- exec /usr/bin/curl https://example.com
step deny-write 1 run hello --tenant demo --policy policy.yaml -- write "$work/outside.txt" data
step deny-net 1 run hello --tenant demo --policy policy.yaml -- connect 127.0.0.1 22

say "Denied by admission: a tenant the tool is not authorized for (exit 126)"
step deny-tenant 126 run hello --tenant intruder --policy policy.yaml -- greet x

say "Approval round trip: under gated.yaml a run that can write needs an approver's signed, single-use token\n   (the tool works in ./workspace, its only writable tree)"
step approval-needed 126 run notes --tenant demo --policy gated.yaml --json -- write notes.txt "approved write"
REQ=$(printf '%s' "$LAST" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[0])["approval"]["request_id"])')
step approvals 0 approvals list
step approve 0 approve "$REQ" --key approver --json
TOKEN=$(printf '%s' "$LAST" | python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])["token"])')
step approved-run 0 run notes --tenant demo --policy gated.yaml --approval "$TOKEN" -- write notes.txt "approved write"
step replayed-token 126 run notes --tenant demo --policy gated.yaml --approval "$TOKEN" -- write notes.txt "approved write"
[ $JSON = 1 ] || printf '  workspace/notes.txt now holds: %s\n' "$(cat "$work/workspace/notes.txt")"

say "Emit: the CloudEvent of a run (structured mode JSON)"
step event 0 run hello --tenant demo --policy policy.yaml --events -- greet events
[ $JSON = 1 ] || printf '%s\n' "$LAST" | grep '^{' | tail -1 | python3 -m json.tool | sed 's/^/  /' | head -40

say "Serve: a resident warden keeps the home open; warden run hands it the request (same checks)"
show "warden serve &"
"$W" serve 2>"$work/serve.log" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 200); do [ -S "$WARDEN_HOME/warden.sock" ] && break; sleep 0.05; done
step served-run 0 run hello --tenant demo --policy policy.yaml -- greet served
step served-deny 1 run hello --tenant demo --policy policy.yaml -- exec /usr/bin/curl https://example.com
show "kill -TERM \$server   # stops after runs in progress"
kill -TERM $server; wait $server; served=$?
trap - EXIT
[ $JSON = 1 ] || sed 's/^/  /' "$work/serve.log"
[ "$served" = 0 ] || { echo "quickstart: warden serve exited $served" >&2; exit 1; }

say "Self-protection: nothing a tool does can change what Warden trusts"
# A policy whose writable tree holds Warden's home: the home is masked in the sandbox (the
# runner key stays unreadable), and the same policy kept inside that tree is refused.
pdir=$(mktemp -d /tmp/warden-quickstart-policy.XXXXXX)
sed 's#writable: \[./workspace\]#writable: [./]#' policy.yaml > "$pdir/wide.yaml"
cp "$pdir/wide.yaml" wide-inside.yaml
step protect-home 1 run hello --tenant demo --policy "$pdir/wide.yaml" -- read "$WARDEN_HOME/keys/runner.pem"
step protect-policy 126 run hello --tenant demo --policy wide-inside.yaml -- greet x
# Inside a writable tree, what other programs later run or trust stays read-only (here an
# agent's .mcp.json, absent: it cannot be created); ordinary files are written as usual.
step protect-entry 1 run hello --tenant demo --policy policy.yaml -- write .mcp.json '{"mcpServers":{}}'
step write-ordinary 0 run hello --tenant demo --policy policy.yaml -- write result.txt ok
rm -rf "$pdir"

say "Egress: a signed need, a policy allowing it, enforced by the kernel and Warden's proxy"
# A test host of our own (a network namespace joined by a veth pair, 198.18.77.2:8080, the
# benchmarking range): nothing else is contacted. Needs root, ip and nft; skipped otherwise.
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && command -v nft >/dev/null; then
  qns=wq-$$ qveth=wqh$$
  cleanup_net() { ip netns pids $qns 2>/dev/null | xargs -r kill -9 2>/dev/null; ip netns del $qns 2>/dev/null; ip link del $qveth 2>/dev/null; }
  trap cleanup_net EXIT
  ip netns add $qns && ip link add $qveth type veth peer name ${qveth}p && ip link set ${qveth}p netns $qns \
    && ip addr add 198.18.77.1/24 dev $qveth && ip link set $qveth up \
    && ip -n $qns addr add 198.18.77.2/24 dev ${qveth}p && ip -n $qns link set ${qveth}p up || exit 125
  ip netns exec $qns python3 -c '
import socket, threading
def echo():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("198.18.77.2", 9999))
    while True:
        d, peer = u.recvfrom(512); u.sendto(b"echo " + d, peer)
threading.Thread(target=echo, daemon=True).start()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("198.18.77.2", 8080)); s.listen(8)
while True:
    c, _ = s.accept(); c.close()' &
  sleep 0.3
  cp "$OLDPWD/samples/policies/quickstart-egress.yaml" "$work/egress.yaml"
  step sign-fetcher 0 tool sign hello --name fetcher --version 1.0.0 --key publisher --network 198.18.77.2:8080 --network 198.18.77.2:9999/udp -o fetcher.jws
  step add-fetcher 0 tool add fetcher.jws hello
  step authorize-fetcher 0 tool authorize fetcher@1.0.0 --tenant demo --key authorizer
  step egress-allowed 0 run fetcher --tenant demo --policy egress.yaml -- connect 198.18.77.2 8080
  step egress-udp 0 run fetcher --tenant demo --policy egress.yaml -- udp 198.18.77.2 9999
  step egress-other-port 1 run fetcher --tenant demo --policy egress.yaml -- connect 198.18.77.2 8081
  step egress-undeclared 1 run hello --tenant demo --policy egress.yaml -- connect 198.18.77.2 8080
  cleanup_net; trap - EXIT
else
  say "(egress steps skipped: they need root, ip (iproute2) and nft (nftables) to build their test host)"
fi

say "Only allowed code runs: the loader cannot map a program that is not allowed"
# Only env may execute here; running the dynamic loader on id used to work around that.
step loader-refused 127 exec --no-stdin -- /usr/bin/env /lib64/ld-linux-x86-64.so.2 /usr/bin/id
step loader-allowed 0 exec --no-stdin --allow-exec /usr/bin/id -- /usr/bin/env /lib64/ld-linux-x86-64.so.2 /usr/bin/id
say "Native tools are read at admission: a build for another machine never enters the armory"
python3 -c 'import sys; b=bytearray(open(sys.argv[1],"rb").read()); b[18:20]=bytes([183,0]); open(sys.argv[2],"wb").write(b)' hello hello-arm64
show "(hello-arm64: hello with its ELF machine set to AArch64)"
step sign-foreign 126 tool sign hello-arm64 --name arm --version 1.0.0 --key publisher -o arm.jws

say "Record: every decision is in the signed, hash-chained, Merkle-checkpointed ledger"
step audit-tail 0 audit show --tail 3
step audit-checkpoint 0 audit checkpoint
step audit-verify 0 audit verify
say "Done. Home: $WARDEN_HOME"
