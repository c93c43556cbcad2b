#!/usr/bin/env bash
# Builds, on the development machine, what the GPU machine needs: the
# launchers (C with the cubin embedded) of the test, benchmark and example
# kernels, in build/gpu/{test,bench,example}. The GPU machine has no LLVM;
# it only compiles these C files (test/gpu/run.sh).
#   test/gpu/build-artifacts.sh [chip]     (default sm_90a)
set -euo pipefail
cd "$(dirname "$0")/../.."
chip=${1:-sm_90a}
compile=build/bin/einfuse-compile
rm -rf build/gpu && mkdir -p build/gpu
$compile test/gpu/kernels.mlir --target=nvidia:$chip -o build/gpu/test
$compile bench/gpu/kernels.mlir --target=nvidia:$chip -o build/gpu/bench
$compile examples/attention_gpu.mlir --target=nvidia:$chip -o build/gpu/example
# Only the launchers and headers travel; the PTX and cubin stay here.
rm -f build/gpu/*/*.ptx build/gpu/*/*.cubin
du -sh build/gpu
