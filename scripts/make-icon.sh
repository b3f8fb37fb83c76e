#!/usr/bin/env bash
# Regenerates src-tauri/icons/icon.png: 邻 in white on the app's green.
# Needs ImageMagick and fonts-noto-cjk (both installed by `make deps`).
# RGBA (colour type 6) because Tauri's context macro requires it.
set -euo pipefail
cd "$(dirname "$0")/.."
font=$(fc-match -f '%{file}' 'Noto Sans CJK SC:style=Bold')
convert -size 256x256 xc:none \
  -fill '#1f7a4d' -draw 'roundrectangle 8,8 247,247 48,48' \
  -font "$font" -pointsize 168 -fill white -gravity center -annotate +0+8 '邻' \
  -depth 8 -define png:color-type=6 src-tauri/icons/icon.png
