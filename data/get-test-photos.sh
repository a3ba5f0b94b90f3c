#!/usr/bin/env bash
# Fetches two public-domain ImageNet-style test photos for checking converted weights with `predict`:
# chelsea.png (a cat) and coffee.png (a cup of espresso) from Debian's python3-skimage package (its data
# folder), into data/downloads/photos/ (git-ignored). Needs apt-get download and dpkg-deb (Debian/Ubuntu).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/data/downloads/photos"
if [[ -f "$out/chelsea.png" && -f "$out/coffee.png" ]]; then
  echo "get-test-photos: already there: $out" >&2
  exit 0
fi
for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "get-test-photos: needs $tool (Debian's package tools)" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download python3-skimage >/dev/null 2>&1) \
  || { echo "get-test-photos: 'apt-get download python3-skimage' failed (run 'apt-get update' first?)" >&2; exit 1; }
dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/x"
mkdir -p "$out"
cp "$tmp"/x/usr/lib/python3/dist-packages/skimage/data/{chelsea,coffee}.png "$out/"
echo "get-test-photos: wrote $out/chelsea.png and $out/coffee.png" >&2
