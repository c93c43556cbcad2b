#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with build/gpu carried
# from test/gpu/build-artifacts.sh:
#   test/gpu/run.sh [test|sanitize|example|bench|all]...   (default: all)
# test: >= 100 random cases (test/gpu/attention_test.py); sanitize:
# compute-sanitizer memcheck and racecheck on a few cases; example: the C
# program examples/attention_cuda.c; bench: bench/gpu/attention_bench.py.
set -uo pipefail
cd "$(dirname "$0")/../.."
A=build/gpu
CUDA=${CUDA_PATH:-/usr/local/cuda}
cc=${CC:-gcc}
flags=(-O2 -I"$CUDA/include" -L"$CUDA/lib64/stubs" -L"$CUDA/lib64")
status=0
step() { echo "== $*"; "$@" || { echo "FAILED: $*"; status=1; }; }
build() {
  for m in "$A"/*/kernels.c; do
    m=$(dirname "$m")
    $cc "${flags[@]}" -shared -fPIC "$m/kernels.c" -I"$m" \
      -o "$m/libkernels.so" -lcuda -lpthread || return 1
  done
  $cc "${flags[@]}" examples/attention_cuda.c "$A/example/attention_gpu.c" \
    -I"$A/example" -o "$A/example/attention_cuda" -lcuda -lpthread -lm
}
step build || exit 1
what=("$@"); [ ${#what[@]} -eq 0 ] && what=(all)
for w in "${what[@]}"; do
  case $w in
    test|all)
      for d in "$A"/test "$A"/test-*; do
        [ -d "$d" ] && step python3 test/gpu/attention_test.py "$d/libkernels.so" --cases 150
      done ;;&
    example|all) step "$A/example/attention_cuda" ;;&
    sanitize|all)
      for tool in memcheck racecheck; do
        step compute-sanitizer --tool $tool --error-exitcode 1 \
          python3 test/gpu/attention_test.py "$A/test/libkernels.so" --cases 3 --seed 7
      done ;;&
    bench|all)
      more=()
      for d in "$A"/bench-*/; do
        [ -d "$d" ] && more+=(--variant "$(basename "$d" | sed 's/^bench-//')=$d/libkernels.so")
      done
      step python3 bench/gpu/attention_bench.py "$A/bench/libkernels.so" "${more[@]}" ;;
    test|example|sanitize) ;;
    *) echo "unknown step $w"; exit 2 ;;
  esac
done
exit $status
