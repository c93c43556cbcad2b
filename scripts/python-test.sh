#!/usr/bin/env bash
# The Python package's tests: creates .venv, installs the pinned test
# packages (python/requirements-test.txt), installs the package with
# `pip install .` (EINFUSE_BUILD_DIR=build: setup.py reuses the CMake build
# and builds only the EinfuseShared target there), then runs pytest.
# Extra arguments go to pytest. Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-/usr/bin/python3}
[ -x "$py" ] || py=python3
if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then
  # Debian ships venv's pip bootstrap separately.
  echo "Installing: python3-venv"
  sudo=""; [ "$(id -u)" != 0 ] && sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends python3-venv
fi
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r python/requirements-test.txt
EINFUSE_BUILD_DIR=${EINFUSE_BUILD_DIR:-build} \
  .venv/bin/python -m pip install -q --disable-pip-version-check .
# From the repository root: `import einfuse` finds the installed copy (the
# sources are under python/, which is not on the path).
exec .venv/bin/python -m pytest python/tests -q "$@"
