#!/usr/bin/env bash
# The platform admin web end to end in headless Chromium (admin/e2e/admin.e2e.mjs):
# a demo sync server on a fresh database and a free loopback port, its admin
# password read from its log, and screenshots of every screen in ARTIFACTS.
#
#   scripts/admin-e2e.sh PATH/TO/linli-sync-server ARTIFACTS_DIR [PATH/TO/counter-short]
#
# With COUNTER_BIN (the counter simulator) the test also has a counter count a
# delivery one box short, and follows that claim and exception through.
#
# The page is the server's own /admin/ unless LINLI_ADMIN_URL points elsewhere
# (during development: `npx vite preview --port 4190 --base /admin/` in admin/,
# whose proxy sends /api to LINLI_API, so run the server there yourself and give
# LINLI_ADMIN_PORT=8190 to pin the port the proxy expects).
set -euo pipefail

server=${1:?usage: admin-e2e.sh PATH/TO/linli-sync-server ARTIFACTS_DIR}
artifacts=${2:?usage: admin-e2e.sh PATH/TO/linli-sync-server ARTIFACTS_DIR}
counter=${3:-}
if [ -n "$counter" ]; then
  [ -x "$counter" ] || { echo "admin-e2e: $counter is not an executable" >&2; exit 1; }
  counter=$(realpath "$counter")
fi
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$artifacts"
artifacts=$(realpath "$artifacts")
# Screenshots of an earlier run (a failed one's fail-NN.png too) would mislead.
rm -f "$artifacts"/*.png "$artifacts"/server.log

[ -x /usr/bin/chromium ] || { echo "admin-e2e: /usr/bin/chromium is missing (apt-get install -y chromium fonts-noto-cjk)" >&2; exit 1; }
[ -d "$root/admin/node_modules/playwright-core" ] || (cd "$root/admin" && npm ci --no-audit --no-fund)

scratch=$(mktemp -d)
server_pid=
cleanup() {
  cp "$scratch/server.log" "$artifacts/server.log" 2>/dev/null || true
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT INT TERM

free_port() {
  local p=$1
  while (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
port=${LINLI_ADMIN_PORT:-$(free_port 8290)}
listen=127.0.0.1:$port
"$server" demo --listen "$listen" --db "$scratch/db.sqlite3" >"$scratch/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
  curl -fsS "http://$listen/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { echo "admin-e2e: the sync server did not start:" >&2; cat "$scratch/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "http://$listen/healthz" >/dev/null || { echo "admin-e2e: no /healthz on $listen" >&2; exit 1; }
password=$(grep -o 'password=[^ ]*' "$scratch/server.log" | head -1 | cut -d= -f2 | tr -d '"')
[ -n "$password" ] || { echo "admin-e2e: no admin password in the server log" >&2; cat "$scratch/server.log" >&2; exit 1; }

status=0
LINLI_ADMIN_URL=${LINLI_ADMIN_URL:-http://$listen/admin/} \
  LINLI_ADMIN_PASSWORD=$password LINLI_ADMIN_ARTIFACTS=$artifacts \
  LINLI_COUNTER_BIN=$counter LINLI_API_ORIGIN=http://$listen \
  node "$root/admin/e2e/admin.e2e.mjs" || status=$?
if [ "$status" -ne 0 ]; then
  echo "admin-e2e: the server's log ends:" >&2
  tail -n 40 "$scratch/server.log" >&2
fi
exit "$status"
