#!/usr/bin/env bash
# Fills data/lego-minifigures (git-ignored) with the LEGO Minifigures photo set (CC BY 4.0, see its
# ATTRIBUTION.md): a copy of ../shared/data/lego-minifigures when that exists, else a Kaggle download.
# Idempotent: does nothing when the folder already holds index.csv, test.csv and metadata.csv.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/data/lego-minifigures"
shared="$root/../shared/data/lego-minifigures"
slug="ihelon/lego-minifigures-classification"

complete() { [[ -f "$1/index.csv" && -f "$1/test.csv" && -f "$1/metadata.csv" ]]; }

if complete "$dest"; then
  echo "data/lego-minifigures: already present ($(find "$dest" -name '*.jpg' | wc -l) photos)"
  exit 0
fi

tmp="$root/data/downloads/lego-minifigures.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$root/data/downloads"
rm -rf "$tmp"

if complete "$shared"; then
  echo "copying $shared -> data/lego-minifigures"
  cp -R "$shared" "$tmp"
else
  if ! command -v kaggle >/dev/null 2>&1; then
    cat >&2 <<MSG
get-dataset: no local copy at $shared and the Kaggle CLI is not installed.
To download the photo set (https://www.kaggle.com/datasets/$slug):
  1. pip install kaggle
  2. create an API token on kaggle.com (Settings > API > Create New Token) and save it as
     ~/.kaggle/kaggle.json (chmod 600), or set KAGGLE_USERNAME and KAGGLE_KEY
  3. run data/get-dataset.sh again
Or pass an existing copy to the trainer with --data DIR.
MSG
    exit 1
  fi
  echo "downloading $slug with the Kaggle CLI"
  mkdir -p "$tmp"
  if ! kaggle datasets download -d "$slug" -p "$tmp" --unzip; then
    echo "get-dataset: the Kaggle download failed; check your API token (~/.kaggle/kaggle.json or KAGGLE_USERNAME/KAGGLE_KEY)" >&2
    exit 1
  fi
  if ! complete "$tmp"; then
    # Some archive versions nest the files one folder deeper.
    inner=$(dirname "$(find "$tmp" -name metadata.csv -print -quit)")
    if [[ -n "$inner" && "$inner" != "$tmp" ]] && complete "$inner"; then
      mv "$inner" "$tmp.inner" && rm -rf "$tmp" && mv "$tmp.inner" "$tmp"
    else
      echo "get-dataset: the download lacks index.csv/test.csv/metadata.csv; see $tmp" >&2
      trap - EXIT
      exit 1
    fi
  fi
fi

rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "data/lego-minifigures: ready ($(find "$dest" -name '*.jpg' | wc -l) photos)"
