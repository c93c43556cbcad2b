#!/usr/bin/env bash
# CPU attention benchmark: Einfuse's fused attention vs an unfused OpenBLAS
# baseline (sgemm, softmax, sgemm) and the sgemm ceiling. See
# bench/cpu/attention_bench.c for the method and docs/performance.md for results.
#   usage: bench/cpu/run.sh [attention_bench options]
#     e.g. bench/cpu/run.sh --max-seq 16384 --budget 100 --reps 3
#     default: --max-seq 4096 --budget 60 --reps 5 (a few minutes on 2 cores)
# Environment: OUT (build dir, default bench/cpu/out), BENCH_CC (default clang-22),
# EINFUSE_THREADS (default 1: compile our kernels with the CPU pipeline option
# threads=true, link libomp and run them on OMP_NUM_THREADS threads, default 2,
# the same number as OpenBLAS; 0: single-threaded kernels),
# EINFUSE_PIPELINE_OPTIONS (more CPU pipeline options, e.g. "parallel-rank=p
# parallel-tile=32"), EINFUSE_CPU_TARGET (default cpu:native: the machine
# the benchmark runs on, as OpenBLAS picks its kernels at run time).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
source scripts/common.sh   # install_deps, build_einfuse, CC
CC="${BENCH_CC:-${CC:-clang-22}}"
PIPELINE_OPTIONS="${EINFUSE_PIPELINE_OPTIONS:-}"
OMP_LIBS=""
if [ "${EINFUSE_THREADS:-1}" = 1 ]; then
  PIPELINE_OPTIONS="$PIPELINE_OPTIONS threads=true"
  OMP_LIBS="-L/usr/lib/llvm-22/lib -Wl,-rpath,/usr/lib/llvm-22/lib -lomp"
  export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
fi
OUT="${OUT:-$ROOT/bench/cpu/out}"
TARGET="${EINFUSE_CPU_TARGET:-cpu:native}"

# 1. OpenBLAS (idempotent: only installs when the package is missing).
if ! dpkg-query -W -f='${Status}' libopenblas-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "Installing libopenblas-dev"
  sudo=""; if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends libopenblas-dev
fi

# 2. The compiler, only if it has not been built.
if [ ! -x build/bin/einfuse-compile ]; then
  install_deps
  build_einfuse
fi

# 3. The kernels.
mkdir -p "$OUT"
for k in attention_d64 attention_d64_causal attention_d128 attention_d128_causal \
         attention_d64_bf16 attention_d128_bf16; do
  echo "+ build/bin/einfuse-compile bench/cpu/$k.mlir --target=$TARGET -o $OUT --name=$k ${PIPELINE_OPTIONS:+--pipeline-options=$PIPELINE_OPTIONS}"
  build/bin/einfuse-compile "bench/cpu/$k.mlir" --target="$TARGET" -o "$OUT" --name="$k" \
    ${PIPELINE_OPTIONS:+--pipeline-options="$PIPELINE_OPTIONS"}
done

# 4. The benchmark.
srcs=(bench/cpu/attention_bench.c)
for k in attention_d64 attention_d64_causal attention_d128 attention_d128_causal \
         attention_d64_bf16 attention_d128_bf16; do
  srcs+=("$OUT/$k.c" "$OUT/$k.o")
done
echo "+ $CC -O2 -march=native -I$OUT ${srcs[*]} -lopenblas -lm $OMP_LIBS -o $OUT/attention_bench"
"$CC" -O2 -march=native -I"$OUT" "${srcs[@]}" -lopenblas -lm $OMP_LIBS -o "$OUT/attention_bench"

# 5. Run it. OpenBLAS gets 2 threads (the program also calls
#    openblas_set_num_threads(2); --threads changes it), our kernel
#    OMP_NUM_THREADS (2) unless EINFUSE_THREADS=0.
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"
echo "+ OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS $OUT/attention_bench $*"
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores"
"$OUT/attention_bench" "$@"
