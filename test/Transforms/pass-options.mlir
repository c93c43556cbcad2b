// Bad pass and pipeline options are reported as errors (with a non-zero
// exit), not crashes, hangs or silent no-ops.
// RUN: not einfuse-opt %s --ein-online-normalize="tile-size=0" 2>&1 | FileCheck %s --check-prefix=ONLINE
// RUN: not einfuse-opt %s --ein-online-normalize="rank=zz" 2>&1 | FileCheck %s --check-prefix=ONLINE-RANK
// RUN: not einfuse-opt %s --ein-partition="workers=0" 2>&1 | FileCheck %s --check-prefix=WORKERS
// RUN: not einfuse-opt %s --ein-partition="workers=1000000" 2>&1 | FileCheck %s --check-prefix=WORKERS-BIG
// RUN: not einfuse-opt %s --ein-pass-analysis="tile-sizes=T_p" 2>&1 | FileCheck %s --check-prefix=SIZES
// RUN: not einfuse-opt %s --convert-ein-to-linalg="parallel-tile=0" 2>&1 | FileCheck %s --check-prefix=PTILE
// RUN: not einfuse-opt %s --convert-ein-to-linalg="parallel-rank=zz" 2>&1 | FileCheck %s --check-prefix=PRANK
// RUN: not einfuse-opt %s --einfuse-cpu-contractions="registers=0" 2>&1 | FileCheck %s --check-prefix=REGS
// RUN: not einfuse-opt %s --einfuse-cpu-pipeline="tile-size=-4" 2>&1 | FileCheck %s --check-prefix=PIPE-TILE
// RUN: not einfuse-opt %s --einfuse-cpu-pipeline="workers=2147483648" 2>&1 | FileCheck %s --check-prefix=PIPE-WORKERS
// RUN: not einfuse-opt %s --einfuse-cpu-pipeline="parallel-tile=0" 2>&1 | FileCheck %s --check-prefix=PIPE-PTILE
// RUN: not einfuse-opt %s --einfuse-cpu-pipeline="parallel-rank=zz" 2>&1 | FileCheck %s --check-prefix=PRANK
// RUN: not einfuse-opt %s --einfuse-cpu-pipeline="vector-width=3" 2>&1 | FileCheck %s --check-prefix=PIPE-WIDTH
// ONLINE: error: ein-online-normalize: tile-size must be in [1, 2^31], got 0
// ONLINE-RANK: error: ein-online-normalize: rank 'zz' is not a rank of any cascade
// WORKERS: error: ein-partition: workers must be in [1, 1024], got 0
// WORKERS-BIG: error: ein-partition: workers must be in [1, 1024], got 1000000
// SIZES: error: ein-pass-analysis: bad tile-sizes entry 'T_p' (expected symbol=integer)
// PTILE: error: convert-ein-to-linalg: parallel-tile must be in [1, 2^31], got 0
// PRANK: error: convert-ein-to-linalg: parallel-rank 'zz' is not a rank of any cascade
// REGS: error: einfuse-cpu-contractions: registers must be in [8, 64], not 0
// PIPE-TILE: error: einfuse-cpu-pipeline: tile-size must be in [1, 2^31], got -4
// PIPE-WORKERS: error: einfuse-cpu-pipeline: workers must be in [1, 1024], got 2147483648
// PIPE-PTILE: error: einfuse-cpu-pipeline: parallel-tile must be in [1, 2^31], got 0
// PIPE-WIDTH: error: einfuse-cpu-pipeline: vector-width must be 0 (the host's), 4, 8 or 16, got 3
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum exp(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
