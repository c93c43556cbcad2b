#!/usr/bin/env bash
# On the GPU machine, after test/gpu/run.sh has built the libraries: Nsight
# Compute metrics of our prefill kernel and of FlashAttention-2 on one shape,
# and the instruction mix of our kernel's SASS.
#   bench/gpu/profile.sh [D] [S] [causal]
set -uo pipefail
cd "$(dirname "$0")/../.."
d=${1:-128}; s=${2:-4096}; c=${3:-0}; h=$((2048 / d))
name=prefill_d$d; [ "$c" = 1 ] && name+=_causal
metrics=sm__throughput.avg.pct_of_peak_sustained_elapsed,sm__inst_executed_pipe_tensor.avg.pct_of_peak_sustained_active,smsp__inst_executed.sum,smsp__issue_active.avg.pct_of_peak_sustained_active,sm__warps_active.avg.pct_of_peak_sustained_active,l1tex__data_bank_conflicts_pipe_lsu_mem_shared.sum,smsp__average_warps_issue_stalled_barrier_per_issue_active.ratio,smsp__average_warps_issue_stalled_long_scoreboard_per_issue_active.ratio,smsp__average_warps_issue_stalled_short_scoreboard_per_issue_active.ratio,smsp__average_warps_issue_stalled_math_pipe_throttle_per_issue_active.ratio,smsp__average_warps_issue_stalled_mio_throttle_per_issue_active.ratio,smsp__average_warps_issue_stalled_wait_per_issue_active.ratio,smsp__average_warps_issue_stalled_not_selected_per_issue_active.ratio,smsp__average_warps_issue_stalled_dispatch_stall_per_issue_active.ratio,gpu__time_duration.sum,launch__registers_per_thread,launch__occupancy_limit_registers
ncu --launch-skip 2 --launch-count 2 -k "regex:${name}_fwd|flash_fwd" --metrics $metrics \
  python3 bench/gpu/profile_one.py build/gpu/bench/libkernels.so $name $d $h $s $c 2>&1 | grep -vE "^==PROF==|^\s*$" | tail -60
if [ -f build/gpu/bench/kernels.cubin ]; then
  cuobjdump -sass -fun ${name}_fwd build/gpu/bench/kernels.cubin > /tmp/ours.sass
  echo "SASS instructions of ${name}_fwd: $(grep -cE '^\s+/\*[0-9a-f]{4}\*/' /tmp/ours.sass)"
  grep -oE '^\s+/\*[0-9a-f]{4}\*/\s+(@!?U?P[0-9T] )?[A-Z0-9]+' /tmp/ours.sass | awk '{print $NF}' | sort | uniq -c | sort -rn | head -20
fi
