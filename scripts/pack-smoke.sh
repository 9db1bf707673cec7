#!/usr/bin/env bash
# Packs the package, installs the tarball into an empty project with no Rust toolchain on the
# PATH, and runs a script there that creates a dataset, writes, downsamples and reads it back.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "packed $tarball ($(du -h "$work/$tarball" | cut -f1))"

# The consumer sees no cargo or rustc at all.
clean_path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '\.cargo' -e 'rustup' | paste -sd: -)
mkdir "$work/consumer"
cd "$work/consumer"
env PATH="$clean_path" sh -c '! command -v cargo >/dev/null' || { echo "cargo is still on the PATH"; exit 1; }
npm init -y >/dev/null
env PATH="$clean_path" npm install --no-audit --no-fund "$work/$tarball" >/dev/null
cp "$root/scripts/pack-smoke-consumer.mjs" check.mjs
env PATH="$clean_path" node check.mjs
env PATH="$clean_path" npx wk --help >/dev/null
echo "pack smoke test passed"
