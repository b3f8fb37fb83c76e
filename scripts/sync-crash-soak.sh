#!/usr/bin/env bash
# The kill -9 trials of device sync, longer than `make test` runs them: a real
# device process is killed at random instants while it receives, hands over and
# pushes; every acknowledged handover must survive and reach the server.
#
# Usage: scripts/sync-crash-soak.sh [TRIALS]   (default 500)
set -euo pipefail
cd "$(dirname "$0")/.."
trials="${1:-500}"
LINLI_CRASH_TRIALS="$trials" cargo test -p linli-tests --test crash_sync -- --nocapture
LINLI_CRASH_TRIALS="$trials" cargo test -p linli-tests --test crash -- --nocapture
