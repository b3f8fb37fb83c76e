#!/usr/bin/env bash
# Installs the Debian packages that building, testing and demoing Linli need.
# Only missing packages are installed, and `apt-get update` runs only then, so a
# warm machine pays nothing.
set -euo pipefail

packages=(
  # Rust crates that build C (rusqlite bundled, openssl-sys via tooling)
  build-essential pkg-config libssl-dev curl file
  # The app's camera (nokhwa → v4l2-sys-mit) generates its V4L2 bindings with bindgen
  libclang-dev
  # Tauri 2 on Linux (WebKitGTK 4.1)
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev
  # Headless app runs: virtual display, session bus, window lookup, WebDriver
  xvfb xauth dbus dbus-x11 xdotool webkit2gtk-driver
  # Chinese glyphs in the UI; without a CJK font zh-CN renders as boxes
  fonts-noto-cjk
  # Printed PDFs embed a subset of this TrueType CJK font (Noto CJK is OpenType/CFF)
  fonts-wqy-microhei
  # Benchmarks and tests: QR decoding reference, PDF to PNG
  zbar-tools poppler-utils
  # The API walkthrough reads JSON answers
  jq
  # Screenshots (`import -window root`)
  imagemagick
  # The admin web's end-to-end test drives this browser headless (playwright-core)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  # dpkg -s also reports removed-but-configured packages, so check the state line.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "deps: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "deps: all Debian packages present"
fi

# Vite 7 needs Node 20.19+; Debian 12's own nodejs (18) is too old, so the
# machine's Node is used and checked rather than installed here.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "deps: node and npm are required (Node >= 20.19)" >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("deps: Node "+process.versions.node+" is too old; need >= 20.19"); process.exit(1) }'
