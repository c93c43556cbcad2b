#!/usr/bin/env bash
# Runs the libFuzzer target einfuse-fuzz (tools/einfuse-fuzz) on the
# ASan/UBSan build: the parser, the verifiers, every public pass and
# pipeline, and einfuse-compile for every target (assembly only on GPUs).
#
#   scripts/fuzz.sh                      short run (CI): 120 s on 2 workers
#   scripts/fuzz.sh --seconds 3600 --jobs 16
#   scripts/fuzz.sh --runs 1000000 --jobs 16   the campaign of docs/reliability.md
#
# Seeds: every .mlir case of the test suite, once per action
# (test/fuzz/make-corpus.py); dictionary: test/fuzz/ein.dict. An input that
# crashes, trips a sanitizer or runs past 60 s (an f32 attention kernel's
# native code generation alone takes ~15 s in this build) is written to
# build-sanitize/fuzz/artifacts/ and the script fails; replay one with
# `build-sanitize/bin/einfuse-fuzz <file>` and add it to test/fuzz/regressions/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=120 runs=0 jobs=2
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; seconds=0; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "fuzz.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
source scripts/common.sh
install_deps
build_einfuse_sanitized
export ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=0:abort_on_error=0:handle_abort=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
dir=build-sanitize/fuzz
rm -rf "$dir/artifacts" "$dir/seeds"
mkdir -p "$dir/corpus" "$dir/artifacts"
python3 test/fuzz/make-corpus.py . "$dir/seeds"
limit=()
if [ "$runs" != 0 ]; then limit=(-runs="$runs"); else limit=(-max_total_time="$seconds"); fi
start=$(date +%s)
set +e
build-sanitize/bin/einfuse-fuzz "$dir/corpus" "$dir/seeds" test/fuzz/regressions \
  -dict=test/fuzz/ein.dict -timeout=60 -report_slow_units=60 -rss_limit_mb=6144 -max_len=16384 \
  -fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -artifact_prefix="$dir/artifacts/" -print_final_stats=1 "${limit[@]}" \
  2>&1 | tee "$dir/log" | grep -E "^#[0-9]+: cov|INFO: fuzzed|==ERROR|Done|crash-|timeout-|oom-" | tail -40
set -e
end=$(date +%s)
found=$(ls "$dir/artifacts" | wc -l)
execs=$(grep -oE "^#[0-9]+:" "$dir/log" | tail -1 | tr -d '#:')
echo "fuzz: ${execs:-0} inputs in $((end - start)) s on $jobs workers; $found crash/timeout/oom artifacts in $dir/artifacts"
[ "$found" -eq 0 ]
