#!/usr/bin/env bash
# First command of the README: installs what is missing (Debian 12), builds
# Einfuse, compiles the bundled attention example for the host CPU with
# einfuse-compile, runs it on random inputs and checks it against the
# float64 reference. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
install_deps
build_einfuse
out=build/example
rm -rf "$out"
build/bin/einfuse-compile examples/attention.mlir --target=cpu -o "$out"
"$CC" -O2 -I"$out" examples/attention_main.c "$out/attention.c" "$out/attention.o" \
  -lm -o "$out/attention"
"$out/attention" "$@"
