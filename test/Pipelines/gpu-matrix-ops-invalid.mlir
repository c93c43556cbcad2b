// RUN: einfuse-opt %s --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_70}))" -verify-diagnostics
// RUN: not einfuse-opt %s --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=amd:gfx942 lanes=1 columns=0}))" 2>&1 | FileCheck %s --check-prefix=COLUMNS-LOW
// RUN: not einfuse-opt %s --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_80 columns=257}))" 2>&1 | FileCheck %s --check-prefix=COLUMNS-HIGH

// Bad options of einfuse-gpu-matrix-ops are errors at each function the
// pass runs on, whatever the lanes (it checks them before it decides
// whether the subgroup takes the tile points). One RUN line checks its
// diagnostics with -verify-diagnostics; the columns errors, which the same
// function would report under other options, are checked with FileCheck
// (as gpu-map-tiles-invalid.mlir does for its thread count).

// COLUMNS-LOW:  gpu-matrix-ops-invalid.mlir:[[# @LINE + 4]]:1: error: einfuse-gpu-matrix-ops: columns must be in [1, 256], got 0
// COLUMNS-HIGH: gpu-matrix-ops-invalid.mlir:[[# @LINE + 3]]:1: error: einfuse-gpu-matrix-ops: columns must be in [1, 256], got 257

// expected-error @+1 {{einfuse-gpu-matrix-ops: unknown GPU target 'nvidia:sm_70' (expected nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or amd:gfx90a)}}
func.func @kernel(%x: memref<?xf32>) {
  return
}
