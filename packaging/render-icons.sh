#!/usr/bin/env bash
# Renders assets/icon/inkeep-explorer.svg to the PNG sizes in packaging/icon-sizes
# (assets/icon/inkeep-explorer-<N>.png). The PNGs are committed, so neither the build nor the
# package script needs an SVG renderer; run this after editing the SVG and commit the result.
# Also writes assets/icon/inkeep-explorer.ico (16-256 px) for the Windows installer.
# Needs rsvg-convert (Debian: librsvg2-bin) and ImageMagick's convert, installed here if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v rsvg-convert >/dev/null || ! command -v convert >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends librsvg2-bin imagemagick
fi
read -r -a sizes <packaging/icon-sizes
for size in "${sizes[@]}"; do
  rsvg-convert -w "$size" -h "$size" assets/icon/inkeep-explorer.svg -o "assets/icon/inkeep-explorer-$size.png"
done
ico_sizes=(16 24 32 48 64 256)
ico_inputs=()
for size in "${ico_sizes[@]}"; do ico_inputs+=("assets/icon/inkeep-explorer-$size.png"); done
convert "${ico_inputs[@]}" assets/icon/inkeep-explorer.ico
echo "rendered: ${sizes[*]} and inkeep-explorer.ico (${ico_sizes[*]})"
