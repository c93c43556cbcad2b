#!/usr/bin/env bash
# Second command of the README: installs what is missing, builds, and runs
# every test (lit + FileCheck, the CLI contract, and the end-to-end numeric
# tests), the Python package's pytest suite, then the same suite on an ASan +
# UBSan build of Einfuse's code and
# a short fuzz run (docs/reliability.md). EINFUSE_SKIP_SANITIZE=1 stops after
# the release suite.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
install_deps
build_einfuse
ninja -C build check-einfuse
# The Python package: pip install . into .venv (reusing build/), pytest.
scripts/python-test.sh
if [ "${EINFUSE_SKIP_SANITIZE:-0}" != 1 ]; then
  scripts/sanitize.sh
  scripts/fuzz.sh --seconds 120 --jobs 2
fi
