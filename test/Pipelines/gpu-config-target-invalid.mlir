// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(einfuse-gpu-config{target=amd:gfx942})" --verify-diagnostics
// RUN: not einfuse-opt %s --pass-pipeline="builtin.module(einfuse-gpu-config{target=amd:gfx1100})" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not einfuse-opt %s --pass-pipeline="builtin.module(einfuse-gpu-config{target=amd:gfx942 small-m=-5})" 2>&1 | FileCheck %s --check-prefix=SMALLM

// A chip the targets do not know, at the module:
// CHIP: gpu-config-target-invalid.mlir:0:0: error: einfuse-gpu-config: unknown GPU target 'amd:gfx1100' (expected nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or amd:gfx90a)

// SMALLM: gpu-config-target-invalid.mlir:0:0: error: einfuse-gpu-config: small-m must be in [0, 2^31] (-1: the target's default), got -5
// RUN: not einfuse-opt %s --pass-pipeline="builtin.module(einfuse-gpu-config{target=nvidia:sm_80 split=1025})" 2>&1 | FileCheck %s --check-prefix=SPLIT
// SPLIT: gpu-config-target-invalid.mlir:0:0: error: einfuse-gpu-config: split must be in [0, 1024] (-1: the target's default), got 1025

// A configuration valid in itself that the target cannot run: matrix tiles
// need a whole subgroup (64 lanes on gfx942) per tile point.

// expected-error @below {{ein.gpu_config: matrix_tile 16 needs lanes = the subgroup size of amd:gfx942 (64), got 32}}
func.func @k(%x: tensor<4xf32>) -> tensor<4xf32> attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16>} {
  return %x : tensor<4xf32>
}

// -----

// More lanes than a subgroup must be whole subgroups (a block per row).

// expected-error @below {{ein.gpu_config: lanes 96 above a subgroup must be whole subgroups of amd:gfx942 (64)}}
func.func @lanes(%x: tensor<4xf32>) -> tensor<4xf32> attributes {ein.gpu_config = #ein.gpu_config<threads = 192, lanes = 96, tile_size = 64>} {
  return %x : tensor<4xf32>
}
