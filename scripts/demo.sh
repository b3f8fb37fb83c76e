#!/usr/bin/env bash
# `make demo`: starts the sync server in demo mode on its embedded SQLite in
# the background, then opens the app. When the app stops, so does the server.
#
#   scripts/demo.sh PATH/TO/linli-app PATH/TO/linli-sync-server
set -euo pipefail

app=${1:?usage: demo.sh APP SERVER}
server=${2:?usage: demo.sh APP SERVER}
dir=artifacts/demo
listen=${LINLI_DEMO_LISTEN:-127.0.0.1:8087}
pidfile=$dir/sync-server.pid
log=$dir/sync-server.log
mkdir -p "$dir"

# A server left behind by an earlier demo that was killed hard holds the port.
if [ -s "$pidfile" ]; then
  old=$(cat "$pidfile")
  if grep -qa linli-sync-server "/proc/$old/cmdline" 2>/dev/null; then
    echo "demo: stopping the sync server left from an earlier demo (pid $old)"
    kill "$old" || true
  fi
  rm -f "$pidfile"
fi

# A fresh city each time: the admin password is made at seeding and shown once.
rm -f "$dir"/linli-server.sqlite3*
"$server" demo --simulate --listen "$listen" --db "$dir/linli-server.sqlite3" >"$log" 2>&1 &
echo $! >"$pidfile"
stop_server() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "demo: sync server stopped (log: $log)"
}
trap stop_server EXIT

for _ in $(seq 100); do
  if curl -fsS "http://$listen/healthz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "demo: the sync server did not start; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "demo: sync server up at http://$listen/healthz -> $(curl -fsS "http://$listen/healthz")"
echo "demo: server log $log, database $dir/linli-server.sqlite3"
password=$(sed -n 's/.*password=\([^ ]*\).*/\1/p' "$log" | head -1)
echo "demo: admin web http://$listen/admin/ — sign in as admin / $password"
echo "demo: API explorer http://$listen/docs/"
echo "demo: a new order every 1–3 s (--simulate); README.md 'Try the platform API' walks through ordering, cutoff and the PDFs"

# A day for the counter: consumers order, the wave is cut off, and staff issue an
# enrollment code (the same API calls a person makes; scripts/sync-demo-day.sh).
# The app starts in a data folder of its own, not enrolled, on its First run screen.
scripts/sync-demo-day.sh "http://$listen" "$log" "$dir/day"
rm -rf "$dir/app-data"
export XDG_DATA_HOME=$PWD/$dir/app-data
# First run opens with this server's address filled in (the app's settings.json).
mkdir -p "$XDG_DATA_HOME/com.linli.counter"
printf '{"server":"http://%s"}\n' "$listen" >"$XDG_DATA_HOME/com.linli.counter/settings.json"
LINLI_TODAY=$(jq -r .day "$dir/day/seed.json")
export LINLI_TODAY
echo "demo: First run: server http://$listen, enrollment code $(jq -r .enrollmentCode "$dir/day/seed.json")"
echo "demo: the counter works $LINLI_TODAY; pickup codes to try (from the consumer API):"
jq -r '.orders[] | "  \(.number)  \(.code)\(if .cancelled then "  (cancelled)" else "" end)"' "$dir/day/seed.json"

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "demo: opening the app; close its window to stop the demo"
  "$app"
else
  echo "demo: no DISPLAY here, so the app runs on a virtual display (Xvfb) and is shown as a screenshot"
  LINLI_HOLD=1 LINLI_DATA_HOME=$XDG_DATA_HOME scripts/app-smoke.sh "$app" "$dir/app.png"
fi
