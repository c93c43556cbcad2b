#!/usr/bin/env bash
# Runs on the GPU machine, from the repository root, with build/gpu carried
# from test/gpu/build-artifacts.sh:
#   test/gpu/run.sh [test|sanitize|example|contexts|python|bench|all]...
#   (default: all)
# test: >= 100 random cases (test/gpu/attention_test.py) for every build of
# the test kernels (one chip, sm_80+sm_90a, sm_80 through PTX); sanitize:
# compute-sanitizer memcheck and racecheck on a few cases; example: the C
# program examples/attention_cuda.c; contexts: test/gpu/contexts.c (threads,
# contexts, the image each loads, caller workspace); python: the Python
# package's GPU tests (python/tests/test_gpu.py, compiling on this machine
# with the carried libEinfuse.so); cascades: the shared GPU lowering's
# kernels (python/tests/test_gpu_cascades.py, >= 110 cases per family, for
# sm_90a and for sm_80 through its PTX) with compute-sanitizer memcheck and
# racecheck on a few cases of each family; bench: bench/gpu/attention_bench.py,
# qmatmul_bench.py and cascade_bench.py.
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
  for d in "$A"/contexts-*; do
    [ -d "$d" ] || continue
    $cc "${flags[@]}" test/gpu/contexts.c "$d/attention_gpu.c" -I"$d" \
      -o "$d/contexts" -lcuda -lpthread -lm || return 1
  done
}
step build || exit 1
what=("$@"); [ ${#what[@]} -eq 0 ] && what=(all)
for w in "${what[@]}"; do
  case $w in
    test|all)
      for d in "$A"/test "$A"/test-*; do
        [ -d "$d" ] || continue
        expect=()
        case $(basename "$d") in
          test-fat) expect=(--expect-image sm_90a) ;;
          test-ptx80) expect=(--expect-image "sm_80 ptx") ;;
        esac
        step python3 test/gpu/attention_test.py "$d/libkernels.so" --cases 150 "${expect[@]}"
      done ;;&
    example|all) step "$A/example/attention_cuda" ;;&
    contexts|all)
      [ -d "$A/contexts-fat" ] && step "$A/contexts-fat/contexts" sm_90a
      [ -d "$A/contexts-ptx80" ] && step "$A/contexts-ptx80/contexts" "sm_80 ptx" ;;&
    python|all)
      if [ -f "$A/libEinfuse.so.xz" ]; then
        xz -dc "$A/libEinfuse.so.xz" > /tmp/libEinfuse.so
        step env EINFUSE_LIBRARY=/tmp/libEinfuse.so PYTHONPATH=python \
          python3 -m pytest -q -p no:cacheprovider python/tests/test_gpu.py python/tests/test_torch.py
      fi ;;&
    cascades|all)
      for d in "$A"/cascades-*; do
        [ -d "$d" ] || continue
        step env EINFUSE_TEST_PREBUILT="$d" EINFUSE_TEST_GPU_TARGET="nvidia:${d##*cascades-}" \
          PYTHONPATH=python python3 -m pytest -q -p no:cacheprovider python/tests/test_gpu_cascades.py
      done
      d="$A/cascades-sm_90a"
      for tool in memcheck racecheck; do
        step compute-sanitizer --tool $tool --kernel-name kns=_kernel --error-exitcode 1 env EINFUSE_TEST_PREBUILT="$d" \
          PYTHONPATH=python python3 -m pytest -q -p no:cacheprovider python/tests/test_gpu_cascades.py \
          -k "softmax_bf16-01 or layer_norm_f32-01 or rms_matmul_bf16-01 or sigmoid_attn_bf16-01 or gqa_attn_bf16-01 or attn_mask_bool_bf16_d64-01 or attn_bias_bhsk_bf16_d128-01 or attn_combo_f16_d128-01 or qmm_int4_bf16_g32_zp-01 or qmm_fp8_bf16_g128-01 or qmm_w8a8_f32_perchannel-00 or attn_split4_causal_br_bf16_d128-01 or attn_split3_bias_f16_d64-02"
      done ;;&
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
      step python3 bench/gpu/attention_bench.py "$A/bench/libkernels.so" "${more[@]}"
      [ -d "$A/qmm-bench" ] && step env EINFUSE_TEST_PREBUILT="$A/qmm-bench" PYTHONPATH=python \
        python3 bench/gpu/qmatmul_bench.py
      [ -d "$A/cascades-sm_90a" ] && step env EINFUSE_TEST_PREBUILT="$A/cascades-sm_90a" \
        PYTHONPATH=python python3 bench/gpu/cascade_bench.py ;;
    test|example|sanitize|contexts|python|cascades) ;;
    *) echo "unknown step $w"; exit 2 ;;
  esac
done
exit $status
