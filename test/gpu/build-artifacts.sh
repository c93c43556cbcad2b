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
if [ "$chip" = sm_90a ]; then
  $compile test/gpu/kernels-sm90a.mlir --target=nvidia:$chip -o build/gpu/test-sm90a --name=kernels
fi
$compile bench/gpu/kernels.mlir --target=nvidia:$chip -o build/gpu/bench
# The same attention through the shared GPU lowering (a pinned
# ein.gpu_config sends a function there), timed as the variant "derived".
# Prefill takes 16 query rows per subgroup on the matrix instruction, key
# tiles of 128, 64 at head dim 128 (the default configuration's, pinned).
sed 's/) -> \(tensor<[^{]*\) {$/) -> \1 attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 128, matrix_tile = 16, small_m = 8>} {/' \
  bench/gpu/kernels.mlir > build/gpu/bench-derived.mlir
# Decode (256 query rows, one per head) splits its keys over 16 workers
# (split-KV), a row per subgroup, key tiles of 64.
sed -i '/@prefill_d128/ s/tile_size = 128/tile_size = 64/' build/gpu/bench-derived.mlir
sed -i '/@decode_d128/ s/tile_size = 128, matrix_tile = 16, small_m = 8>/tile_size = 64, split = 16>/' build/gpu/bench-derived.mlir
$compile build/gpu/bench-derived.mlir --target=nvidia:$chip -o build/gpu/bench-derived --name=kernels
rm build/gpu/bench-derived.mlir
# The test kernels compiled with other options, tested like the default:
# EINFUSE_TEST_VARIANTS="label:options;...".
IFS=';' read -ra variants <<<"${EINFUSE_TEST_VARIANTS:-}"
for v in "${variants[@]}"; do
  $compile test/gpu/kernels.mlir --target=nvidia:$chip -o "build/gpu/test-${v%%:*}" \
    --pipeline-options="${v#*:}" --name=kernels
done
# The shared GPU lowering's kernels (every cascade family, with their
# references in python/tests/gpu_cases.py), for the chip and for sm_80
# (which the H200 runs through its PTX): python/tests/test_gpu_cascades.py.
py=.venv/bin/python; [ -x "$py" ] || py=python3
for c in "$chip" sm_80; do
  EINFUSE_LIBRARY=build/lib/libEinfuse.so PYTHONPATH=python \
    "$py" python/tests/gpu_cases.py "build/gpu/cascades-$c" "nvidia:$c" > /dev/null
done
# The memory-bound benchmark's cascades with pinned configurations
# (bench/gpu/cascade_bench.py), beside the suite's.
EINFUSE_LIBRARY=build/lib/libEinfuse.so PYTHONPATH=python \
  "$py" bench/gpu/cascade_bench.py --build "build/gpu/cascades-$chip" "nvidia:$chip" > /dev/null
# The qmatmul benchmark's kernel (bench/gpu/qmatmul_bench.py).
EINFUSE_LIBRARY=build/lib/libEinfuse.so PYTHONPATH=python \
  "$py" bench/gpu/qmatmul_bench.py --build build/gpu/qmm-bench "nvidia:$chip" > /dev/null
# Other block shapes, timed beside the default (bench/gpu/attention_bench.py
# --variant); EINFUSE_BENCH_VARIANTS="label:options;..." picks them.
IFS=';' read -ra variants <<<"${EINFUSE_BENCH_VARIANTS:-}"
for v in "${variants[@]}"; do
  $compile bench/gpu/kernels.mlir --target=nvidia:$chip -o "build/gpu/bench-${v%%:*}" \
    --pipeline-options="${v#*:}" --name=kernels
done
$compile examples/attention_gpu.mlir --target=nvidia:$chip -o build/gpu/example
# Portable artifacts: one launcher for sm_80 and sm_90a (the H200 must pick
# sm_90a's binary), and an sm_80-only one (it must run through sm_80's PTX);
# the test kernels for attention_test.py, the example for contexts.c.
$compile test/gpu/kernels.mlir --target=nvidia:sm_80,sm_90a -o build/gpu/test-fat --name=kernels
$compile test/gpu/kernels.mlir --target=nvidia:sm_80 -o build/gpu/test-ptx80 --name=kernels
$compile examples/attention_gpu.mlir --target=nvidia:sm_80,sm_90a -o build/gpu/contexts-fat
$compile examples/attention_gpu.mlir --target=nvidia:sm_80 -o build/gpu/contexts-ptx80
# The launchers and headers travel (and the benchmark cubin, for
# bench/gpu/profile.sh); the PTX stays here.
# (the launchers embed the binaries and, for sm_80, the PTX)
rm -f build/gpu/*/*.ptx build/gpu/cascades-*/*/*.cubin build/gpu/cascades-*/*/*.ptx
find build/gpu -name "*.cubin" ! -path "build/gpu/bench/*" -delete
# The Python package compiles on the GPU machine too: it needs
# libEinfuse.so (LLVM linked in), carried compressed.
if [ -f build/lib/libEinfuse.so ]; then
  xz -T2 -3 -c build/lib/libEinfuse.so > build/gpu/libEinfuse.so.xz
fi
du -sh build/gpu
