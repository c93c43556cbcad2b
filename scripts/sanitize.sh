#!/usr/bin/env bash
# Builds Einfuse's own code with AddressSanitizer + UndefinedBehaviorSanitizer
# (and libFuzzer's coverage, for scripts/fuzz.sh) in build-sanitize/, then runs
# the whole lit + e2e suite on it. The LLVM/MLIR libraries stay the release
# ones from Debian; see docs/reliability.md for the options below.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
install_deps
build_einfuse_sanitized
# allow_user_poisoning=0: the release MLIR libraries are not instrumented, and
# LLVM's allocators poison memory through macros that instrumented callers
# see differently (a false use-after-poison otherwise). detect_leaks=0: MLIR
# keeps process-lifetime registries on purpose.
export ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=0:abort_on_error=0:handle_abort=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ninja -C build-sanitize check-einfuse
