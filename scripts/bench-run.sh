#!/usr/bin/env bash
# Pipeline benchmark: the bare sample tool vs `warden exec` of the same binary vs `warden run`
# (admit → decide → confine → record → emit) — one-shot (`--local`) and handed to a resident
# `warden serve` — side by side in one hyperfine run, plus the per-stage cost from
# `warden run --json`. Release build. See docs/BENCHMARKS.md.
#   scripts/bench-run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
W="${WARDEN_BIN:-$(bash scripts/build-release.sh 2>/dev/null)}"
d=$(mktemp -d /tmp/warden-bench.XXXXXX); chmod 0755 "$d"
export WARDEN_HOME="$d/home"
cc -static -O2 -o "$d/hello" samples/hello-tool/hello.c
mkdir -p "$d/workspace"
"$W" key generate pub --role publisher >/dev/null
"$W" key generate auth --role authorizer >/dev/null
"$W" key generate runner --role runner >/dev/null
"$W" tool sign "$d/hello" --name hello --version 1.0.0 --key pub -o "$d/hello.jws" >/dev/null
"$W" tool add "$d/hello.jws" "$d/hello" >/dev/null
"$W" tool authorize hello@1.0.0 --tenant bench --key auth >/dev/null
# Two policies: without deny globs, and the quickstart's (deny globs walk every mounted tree).
sed '/deny:/d; s/executions: 100/executions: 1000000/; s/cpu_seconds: 300/cpu_seconds: 1000000/' samples/policies/quickstart.yaml > "$d/plain.yaml"
sed 's/executions: 100/executions: 1000000/; s/cpu_seconds: 300/cpu_seconds: 1000000/' samples/policies/quickstart.yaml > "$d/globs.yaml"
cd "$d"
# A resident server on the same home; `run` goes through it, `run-local` never does.
"$W" serve 2>"$d/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null' EXIT
for _ in $(seq 100); do [ -S "$WARDEN_HOME/warden.sock" ] && break; sleep 0.05; done
# Past the artifact cache's 2 s racy margin after `tool add` (docs/RUN.md).
sleep 2.2
# What plain.yaml confines a run to, as a `warden exec` (the pipeline's own cost is `run` minus
# this; the idmapped writable workspace alone costs about 0.5 ms of sandbox setup).
same="$W exec --ro /usr --ro /etc/ssl --rw $d/workspace --ro $d/hello:/tool/hello --allow-exec /tool/hello \
--allow-exec /usr/bin/ls --allow-exec /usr/bin/cat --cpu 5 --memory 128 --pids 16 --timeout 10 --output-limit 65536 \
--cwd $d/workspace -- /tool/hello greet bench"
hyperfine -N --warmup 5 --runs "$runs" --export-markdown "$d/results.md" --export-json "$d/results.json" \
  -n bare "$d/hello greet bench" \
  -n exec "$W exec --ro $d/hello:/tool/hello --allow-exec /tool/hello -- /tool/hello greet bench" \
  -n exec-same-confinement "$same" \
  -n run-local "$W run hello --local --tenant bench --policy $d/plain.yaml -- greet bench" \
  -n run "$W run hello --tenant bench --policy $d/plain.yaml -- greet bench" \
  -n run-local-with-deny-globs "$W run hello --local --tenant bench --policy $d/globs.yaml -- greet bench" \
  -n run-with-deny-globs "$W run hello --tenant bench --policy $d/globs.yaml -- greet bench" 2>&1 | grep -v "^ *$"
cat "$d/results.md"
echo "== medians (ms)"
python3 -c '
import json,sys
r={x["command"]:x["median"]*1000 for x in json.load(open(sys.argv[1]))["results"]}
for k,v in r.items(): print(f"{k:22s} {v:8.1f}")
print("run (served) - exec: %.1f ms" % (r["run"] - r["exec"]))
print("run (served) - exec-same-confinement: %.1f ms" % (r["run"] - r["exec-same-confinement"]))
print("run-local - exec:    %.1f ms" % (r["run-local"] - r["exec"]))' "$d/results.json"
echo "== paired (interleaved) medians, 200 rounds: the goal's comparison (docs/BENCHMARKS.md)"
python3 "$OLDPWD/scripts/bench-paired.py" 200 \
  "exec=$W exec --ro $d/hello:/tool/hello --allow-exec /tool/hello -- /tool/hello greet bench" \
  "exec-same-confinement=$same" \
  "run=$W run hello --tenant bench --policy $d/plain.yaml -- greet bench" \
  "run-local=$W run hello --local --tenant bench --policy $d/plain.yaml -- greet bench"
for mode in --local ""; do
  echo "== per-stage medians of 30 'warden run $mode --json' (microseconds)"
  for i in $(seq 30); do "$W" run hello $mode --tenant bench --policy "$d/plain.yaml" --json -- greet bench 2>/dev/null || true; done |
    python3 -c '
import json,sys,statistics
rows=[json.loads(l)["stages_us"] for l in sys.stdin if l.startswith("{")]
for k in ["open","admit","decide","record","confine","emit","close"]:
    vals=[r.get(k,0) for r in rows]
    print(f"{k:8s} median {statistics.median(vals):8.0f} us")'
done
echo "home: $WARDEN_HOME"
