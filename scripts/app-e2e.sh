#!/usr/bin/env bash
# The counter app end to end, driven like a person through WebDriver:
# tauri-driver (cargo install) in front of WebKitWebDriver (Debian
# webkit2gtk-driver), on a virtual X display with its own session bus. The
# scenario is ui/e2e/counter.e2e.mjs; screenshots of each screen land in ARTIFACTS.
#
#   scripts/app-e2e.sh PATH/TO/linli-app ARTIFACTS_DIR
#   LINLI_E2E_SCENARIO=latency LINLI_DEMO_ORDERS=10000 scripts/app-e2e.sh ...
#       measures start-up, Enter-to-card and idle memory instead (ui/e2e/latency.e2e.mjs)
#
# The counter scenario runs against a real sync server on loopback: the
# linli-sync-server beside the app binary (or LINLI_SYNC_SERVER) in demo mode on a
# temporary database and a free port; scripts/sync-demo-day.sh orders, cuts off
# and issues an enrollment code through the APIs, and the app enrolls through its
# First run screen. The latency scenario measures a seeded 10,000-order replica
# (LINLI_DEMO_SEED) instead.
set -euo pipefail

app=${1:?usage: app-e2e.sh PATH/TO/linli-app ARTIFACTS_DIR}
artifacts=${2:?usage: app-e2e.sh PATH/TO/linli-app ARTIFACTS_DIR}

if [ -z "${LINLI_E2E_INNER:-}" ]; then
  mkdir -p "$artifacts"
  app=$(realpath "$app")
  artifacts=$(realpath "$artifacts")
  exec env LINLI_E2E_INNER=1 xvfb-run -a -s "-screen 0 1280x900x24" \
    dbus-run-session -- "$0" "$app" "$artifacts"
fi

export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 NO_AT_BRIDGE=1

driver=$(command -v tauri-driver || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver")
if [ ! -x "$driver" ]; then
  echo "app-e2e: tauri-driver is missing (make e2e installs it)" >&2
  exit 1
fi

scratch=$(mktemp -d)
export XDG_DATA_HOME=$scratch/data XDG_CACHE_HOME=$scratch/cache XDG_CONFIG_HOME=$scratch/config
scenario=${LINLI_E2E_SCENARIO:-counter}
server_pid=
free_port() {
  local p=$1
  while (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null; do p=$((p + 2)); done
  echo "$p"
}
if [ "$scenario" = counter ]; then
  server=${LINLI_SYNC_SERVER:-$(dirname "$app")/linli-sync-server}
  labels=$(dirname "$app")/examples/qr_label
  listen=127.0.0.1:$(free_port 8190)
  server_cmd=("$server" demo --listen "$listen" --db "$scratch/server.sqlite3")
  "${server_cmd[@]}" >"$scratch/server.log" 2>&1 &
  server_pid=$!
  # The scenario stops and restarts the server (offline, then back online): it
  # reads the pid here and writes its new server's pid back, which cleanup kills.
  echo "$server_pid" >"$scratch/server.pid"
  LINLI_E2E_SERVER_CMD=$(printf '%s\n' "${server_cmd[@]}" | jq -R . | jq -sc .)
  export LINLI_E2E_SERVER_CMD LINLI_E2E_SERVER_PIDFILE=$scratch/server.pid \
    LINLI_E2E_SERVER_LOG=$scratch/server.log
  for _ in $(seq 300); do
    curl -fsS "http://$listen/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { echo "app-e2e: the sync server did not start:" >&2; cat "$scratch/server.log" >&2; exit 1; }
    sleep 0.1
  done
  "$(dirname "$0")/sync-demo-day.sh" "http://$listen" "$scratch/server.log" "$scratch/seed"
  # The first camera is a folder replayed as one (LINLI_CAMERA_REPLAY): an empty
  # grey counter, then order 3's label (drawn from the QR payload the consumer API
  # gave) held up for three frames, so previews (every 2-3 frames) show it too.
  mkdir -p "$scratch/camera"
  convert -size 1280x720 xc:gray75 "$scratch/camera/a-empty-counter.png"
  "$labels" "$(jq -r '.orders[2].qr' "$scratch/seed/seed.json")" "$scratch/camera/b-order-3.png"
  cp "$scratch/camera/b-order-3.png" "$scratch/camera/c-order-3.png"
  cp "$scratch/camera/b-order-3.png" "$scratch/camera/d-order-3.png"
  export LINLI_CAMERA_REPLAY=$scratch/camera
  # The counter works the day the orders are for (the demo city's own "today"
  # has orders whose codes no test consumer holds).
  LINLI_TODAY=$(jq -r .day "$scratch/seed/seed.json")
  export LINLI_TODAY
else
  export LINLI_DEMO_SEED=$scratch/seed LINLI_DEMO_ORDERS=${LINLI_DEMO_ORDERS:-30}
fi

port=4444
while (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 2)); done
"$driver" --port "$port" --native-port $((port + 1)) --native-driver "$(command -v WebKitWebDriver)" \
  >"$scratch/driver.log" 2>&1 &
driver_pid=$!
cleanup() {
  kill "$driver_pid" 2>/dev/null || true
  wait "$driver_pid" 2>/dev/null || true
  if [ -n "$server_pid" ]; then
    server_pid=$(cat "$scratch/server.pid" 2>/dev/null || echo "$server_pid")
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    cp "$scratch/server.log" "$artifacts/sync-server.log" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

for _ in $(seq 100); do
  (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
  sleep 0.1
done

if ! WEBDRIVER_URL=http://127.0.0.1:$port node "$(dirname "$0")/../ui/e2e/$scenario.e2e.mjs" \
  "$app" "$scratch/seed" "$artifacts"; then
  echo "app-e2e: failed; tauri-driver's log:" >&2
  tail -n 40 "$scratch/driver.log" >&2
  exit 1
fi
