#!/usr/bin/env bash
# The test command (README and .ci/run): build everything, then run every test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build
swift test
