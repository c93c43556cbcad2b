#!/usr/bin/env bash
# Second command of the README: installs what is missing, builds, and runs
# every test (lit + FileCheck, the CLI contract, and the end-to-end numeric
# tests), then the bundled example.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
install_deps
build_einfuse
ninja -C build check-einfuse
