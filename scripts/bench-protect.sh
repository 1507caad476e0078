#!/usr/bin/env bash
# What self-protection costs (docs/BENCHMARKS.md): a synthetic large repository (30,000 files in
# 3,000 directories, a nested repository), `warden exec --rw REPO` and `warden run --local` with
# REPO writable, each with the default protection and with every default entry unprotected
# (no protected names, no nested-repository walk), interleaved by scripts/bench-paired.py.
#   WARDEN_BIN=$(bash scripts/build-release.sh) bash scripts/bench-protect.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
W=${WARDEN_BIN:?set WARDEN_BIN (bash scripts/build-release.sh prints it)}
rounds=${1:-100}
work=$(mktemp -d /tmp/warden-bench-protect.XXXXXX)
trap 'rm -rf "$work"' EXIT
repo=$work/repo
mkdir -p "$repo" && git -C "$repo" init -q
python3 - "$repo" <<'PY'
import os, sys
root = sys.argv[1]
for a in range(30):
    for b in range(100):
        d = f"{root}/src/m{a}/p{b}"
        os.makedirs(d, exist_ok=True)
        for c in range(10):
            open(f"{d}/f{c}.c", "w").write("x")
os.makedirs(f"{root}/vendor/lib/.git", exist_ok=True)
PY
export WARDEN_HOME=$work/home
"$W" init >/dev/null
for k in pub:publisher auth:authorizer run:runner; do "$W" key generate "${k%%:*}" --role "${k##*:}" >/dev/null; done
cc -static -O2 -o "$work/hello" samples/hello-tool/hello.c
"$W" tool sign "$work/hello" --name hello --version 1.0.0 --key pub -o "$work/hello.jws" >/dev/null
"$W" tool add "$work/hello.jws" "$work/hello" >/dev/null
"$W" tool authorize hello@1.0.0 --tenant bench --key auth >/dev/null
names=".git .envrc .mcp.json .claude .cursor .codex .gemini .aider.conf.yml .vscode .idea"
unprotect=""; for n in $names; do unprotect="$unprotect --unprotect $n"; done
policy() {
  cat <<YAML
version: 1
name: bench
filesystem:
  readonly: [/usr, /lib, /lib64]
  writable: [$repo]
$1
budget: {executions: 1000000, cpu_seconds: 1000000}
YAML
}
policy "" > "$work/protected.yaml"
policy "  unprotect: [$(echo $names | sed 's/ /, /g')]" > "$work/open.yaml"
run="$W run hello --local --tenant bench --policy"
python3 scripts/bench-paired.py "$rounds" \
  "exec-unprotected=$W exec --no-stdin --rw $repo $unprotect -- /bin/true" \
  "exec-protected=$W exec --no-stdin --rw $repo -- /bin/true" \
  "run-unprotected=$run $work/open.yaml -- greet x" \
  "run-protected=$run $work/protected.yaml -- greet x"
