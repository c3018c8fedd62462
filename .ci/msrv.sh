#!/usr/bin/env bash
# MSRV check (.ci/run calls it; it can be run by hand): every workspace crate that declares a
# `rust-version` is checked (library and binaries, locked dependencies) with exactly that
# toolchain, installed by rustup. A newer language or library feature, or a locked dependency
# needing a newer Rust, fails here; and cargo itself refuses to build a crate with a toolchain
# older than its rust-version.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
by_version = {}
for p in json.load(sys.stdin)["packages"]:
    if p.get("rust_version"):
        by_version.setdefault(p["rust_version"], []).append(p["name"])
for version, names in sorted(by_version.items()):
    print(version, *sorted(names))
' | while read -r version packages; do
    echo "-- Rust $version: $packages"
    rustup toolchain install "$version" --profile minimal </dev/null >/dev/null
    args=()
    for p in $packages; do args+=(-p "$p"); done
    cargo +"$version" check --locked "${args[@]}" </dev/null
done
