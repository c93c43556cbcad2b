// Bad pass options are reported as errors (with a non-zero exit), not
// crashes.
// RUN: not einfuse-opt %s --ein-online-normalize="tile-size=0" 2>&1 | FileCheck %s --check-prefix=ONLINE
// RUN: not einfuse-opt %s --ein-partition="workers=0" 2>&1 | FileCheck %s --check-prefix=WORKERS
// RUN: not einfuse-opt %s --ein-partition="grouping=random" 2>&1 | FileCheck %s --check-prefix=WORKERS
// RUN: not einfuse-opt %s --ein-pass-analysis="tile-sizes=T_p" 2>&1 | FileCheck %s --check-prefix=SIZES
// RUN: not einfuse-opt %s --einfuse-cpu-pipeline="tile-size=-4" 2>&1 | FileCheck %s --check-prefix=ONLINE
// ONLINE: error: ein-online-normalize: tile-size must be positive
// WORKERS: error: ein-partition: workers must be positive and grouping 'linear' or 'tree'
// SIZES: error: ein-pass-analysis: bad tile-sizes entry 'T_p' (expected symbol=integer)
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
