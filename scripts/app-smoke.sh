#!/usr/bin/env bash
# Starts the built app on a virtual X display with its own session bus, waits
# until its window is up and its page has loaded, takes a screenshot, switches
# the language with the keyboard and checks the screen changed, then stops the
# app. Xvfb and the bus end with it.
#
#   scripts/app-smoke.sh PATH/TO/linli-app SCREENSHOT.png   (also writes SCREENSHOT-en.png)
#
# With LINLI_HOLD=1 and a terminal on stdin, the app keeps running after the
# screenshot until Ctrl-C (used by `make demo` on a machine without a display).
set -euo pipefail

app=${1:?usage: app-smoke.sh PATH/TO/linli-app SCREENSHOT.png}
shot=${2:?usage: app-smoke.sh PATH/TO/linli-app SCREENSHOT.png}
title="邻里 Linli"

if [ -z "${LINLI_SMOKE_INNER:-}" ]; then
  mkdir -p "$(dirname "$shot")"
  # -a picks a free display number so parallel runs do not collide.
  exec env LINLI_SMOKE_INNER=1 xvfb-run -a -s "-screen 0 1280x800x24" \
    dbus-run-session -- "$0" "$@"
fi

# WebKitGTK under Xvfb: no GPU, so no compositing or DMA-BUF renderer; no
# accessibility bus to talk to.
export WEBKIT_DISABLE_COMPOSITING_MODE=1 WEBKIT_DISABLE_DMABUF_RENDERER=1 NO_AT_BRIDGE=1

# A throwaway home for the app's data, cache and web storage, so a run neither
# touches nor depends on what an earlier run (or a real counter) left behind.
scratch=$(mktemp -d)
# `make demo` hands its own data folder (LINLI_DATA_HOME); the smoke test uses a fresh one.
export XDG_DATA_HOME=${LINLI_DATA_HOME:-$scratch/data} XDG_CACHE_HOME=$scratch/cache XDG_CONFIG_HOME=$scratch/config
ready=$scratch/ready
log=$scratch/app.log
LINLI_READY_FILE=$ready "$app" >"$log" 2>&1 &
pid=$!
cleanup() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

started=$SECONDS
until [ -s "$ready" ] && xdotool search --onlyvisible --name "$title" >/dev/null 2>&1; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "app-smoke: the app exited before its window was up; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
  if ((SECONDS - started > 60)); then
    echo "app-smoke: no window titled '$title' with a loaded page after 60 s; app output:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.2
done
echo "app-smoke: window up and page loaded ($(cat "$ready")) after $((SECONDS - started)) s"

# The page has loaded; give the status call and first paint a moment.
sleep 2
window=$(xdotool search --onlyvisible --name "$title" | head -n1)
echo "app-smoke: window '$(xdotool getwindowname "$window")' $(xdotool getwindowgeometry "$window" | grep -o 'Geometry: .*')"
import -window "$window" "$shot"
echo "app-smoke: screenshot at $shot"

# Keyboard only, as at a counter PC: Tab to the language toggle, press Enter.
# There is no window manager on Xvfb, so give the window the focus ourselves.
xdotool windowfocus --sync "$window"
xdotool key Tab Return
sleep 1
shot_en=${shot%.png}-en.png
import -window "$window" "$shot_en"
echo "app-smoke: after switching to English: $shot_en"
# compare exits 0 when the pictures are the same, 1 when they differ.
differ=0
compare -metric AE "$shot" "$shot_en" null: 2>/dev/null || differ=$?
if [ "$differ" != 1 ]; then
  echo "app-smoke: the language toggle did not change the screen (compare: $differ)" >&2
  exit 1
fi

if [ "${LINLI_HOLD:-}" = 1 ] && [ -t 0 ]; then
  echo "app-smoke: the app keeps running on the virtual display; press Ctrl-C to stop"
  wait "$pid" || true
fi
