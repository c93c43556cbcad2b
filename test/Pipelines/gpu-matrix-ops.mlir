// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=32}))" | FileCheck %s
// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_80 lanes=32}))" | FileCheck %s
// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=32 columns=8}))" | FileCheck %s --check-prefix=COLUMNS
// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=amd:gfx942 lanes=64}))" | FileCheck %s --check-prefix=AMD
// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=1}))" | FileCheck %s --check-prefix=NOOP
// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=amd:gfx942 lanes=32}))" | FileCheck %s --check-prefix=NOOP
// RUN: einfuse-opt %s --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=32}))" | FileCheck %s --check-prefix=WHOLE
// (All functions in one module: the pass runs on them in parallel, so it
// must not load dialects itself; it once raced doing so and crashed.)
// WHOLE-COUNT-4: nvvm.mma.sync
// WHOLE-NOT:      nvvm.mma.sync

// einfuse-gpu-matrix-ops on bufferized tile loops of convert-ein-to-gpu
// (the inputs are cut from --einfuse-gpu-pipeline's IR before this pass,
// with matrix-tile 16): a contraction `out + x * y` of a tile point becomes
// loops over the subgroup's matrix-instruction tiles. Each lane loads and
// computes its A and B elements, the instruction accumulates in f32 loop
// values, and each lane stores its C elements. When `lanes` is not the
// target's subgroup size (1, or 32 on gfx942) the pass does nothing.

// W4A16 qmatmul: bf16 activations, int4 weights with a bf16 scale per
// group of 128. The dequantized weight (an int4 times a bf16 scale) is not
// exact in bf16, but every result is stored in bf16: it is rounded to bf16
// in the B operand's load, inside the K loop. The fill becomes the loop's
// initial value; the cast to bf16 is folded into each lane's store; the
// point's f32 buffer is gone. On NVIDIA: mma.sync m16n8k16 on bf16, two of
// them per K step (16 columns).

// CHECK-LABEL: func.func @qmatmul_int4(
// CHECK-SAME:    %[[X:[^:]*]]: memref<?x256xbf16>, %[[W:[^:]*]]: memref<64x128xi8>, %[[S:[^:]*]]: memref<64x2xbf16>, %[[Y:[^:]*]]: memref<?x64xbf16>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT:     linalg.
// CHECK-NOT:     memref.alloc
// CHECK:         scf.forall ({{.*}}) = (0, 0) to ({{.*}}, 64) step (16, 16) {
// CHECK:           %[[XT:.*]] = memref.subview %[[X]]
// CHECK:           %[[WT:.*]] = memref.subview %[[W]]
// CHECK:           %[[ST:.*]] = memref.subview %[[S]]
// CHECK:           %[[YT:.*]] = memref.subview %[[Y]]
// CHECK-NOT:       linalg.
// CHECK-NOT:       memref.alloc
// CHECK:           %[[LANE:.*]] = gpu.lane_id
// CHECK:           affine.apply #{{.*}}(%[[LANE]])
// CHECK:           scf.for
// CHECK:             scf.for
// CHECK:               %[[ACC:.*]]:8 = scf.for %{{.*}} = %{{.*}} to %c256 step %{{.*}} iter_args(%[[C0:[^ ]*]] = %[[ZERO]], %[[C1:[^ ]*]] = %[[ZERO]], %[[C2:[^ ]*]] = %[[ZERO]], %[[C3:[^ ]*]] = %[[ZERO]], {{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// A: the activations, bf16 as they are.
// CHECK:                 memref.load %[[XT]][{{.*}}] : memref<?x256xbf16,
// CHECK:                 arith.select %{{.*}}, %{{.*}}, %{{.*}} : bf16
// B: the int4 decode and the scale in the operand load.
// CHECK:                 %[[PACKED:.*]] = memref.load %[[WT]][{{.*}}] : memref<?x128xi8,
// CHECK:                 %[[SCALE:.*]] = memref.load %[[ST]][{{.*}}] : memref<?x2xbf16,
// CHECK:                 %[[BYTE:.*]] = arith.extui %[[PACKED]] : i8 to i32
// CHECK:                 %[[SHIFTED:.*]] = arith.shrui %[[BYTE]], %{{.*}} : i32
// CHECK:                 %[[NIBBLE:.*]] = arith.andi %[[SHIFTED]], %c15_i32 : i32
// CHECK:                 %[[INT:.*]] = arith.sitofp %{{.*}} : i32 to f32
// CHECK:                 %[[SCALEF:.*]] = arith.extf %[[SCALE]] : bf16 to f32
// CHECK:                 %[[DEQ:.*]] = arith.mulf %[[INT]], %[[SCALEF]] : f32
// CHECK:                 arith.truncf %[[DEQ]] : f32 to bf16
// CHECK:                 nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[%[[C0]], %[[C1]], %[[C2]], %[[C3]]] {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// CHECK:                 arith.shrui
// Two per K step.
// CHECK:                 nvvm.mma.sync
// CHECK-NOT:             nvvm.mma.sync
// CHECK:                 scf.yield {{.*}} : f32, f32, f32, f32, f32, f32, f32, f32
// CHECK:               }
// The epilogue: each lane's element, cast to bf16, stored where it is in
// the tile (what the epilogue computes is computed before the edge test,
// only the store is under it).
// CHECK:               %[[T0:.*]] = arith.truncf %[[ACC]]#0 : f32 to bf16
// CHECK:               scf.if %{{.*}} {
// CHECK:                 memref.store %[[T0]], %[[YT]][{{.*}}] : memref<?x?xbf16,
// CHECK:               }
// CHECK:               arith.truncf %[[ACC]]#1 : f32 to bf16
// CHECK:               scf.if %{{.*}} {
// CHECK:                 memref.store
// CHECK:               %[[T7:.*]] = arith.truncf %[[ACC]]#7 : f32 to bf16
// CHECK:               scf.if %{{.*}} {
// CHECK:                 memref.store %[[T7]], %[[YT]][{{.*}}] : memref<?x?xbf16,
// CHECK-NOT:     linalg.
// CHECK:         } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
// CHECK-NOT:     linalg.
// CHECK:         return

// columns=8: one instruction tile of C per step, one accumulator fragment.
// COLUMNS-LABEL: func.func @qmatmul_int4(
// COLUMNS:         gpu.lane_id
// COLUMNS:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8 {
// COLUMNS:           %[[ACC:.*]]:4 = scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32) {
// COLUMNS:             arith.shrui
// COLUMNS:             nvvm.mma.sync
// COLUMNS-NOT:         nvvm.mma.sync
// COLUMNS:             scf.yield {{.*}} : f32, f32, f32, f32
// COLUMNS:           arith.truncf %[[ACC]]#3 : f32 to bf16

// On gfx942: v_mfma_f32_16x16x16 on bf16 (64 lanes, four elements of A,
// B and C each), one per K step.
// AMD-LABEL: func.func @qmatmul_int4(
// AMD-NOT:     linalg.
// AMD:         %[[LANE:.*]] = gpu.lane_id
// AMD:         affine.apply #{{.*}}(%[[LANE]])
// AMD:         %[[ACC:.*]]:4 = scf.for %{{.*}} = %{{.*}} to %c256 step %{{.*}} iter_args(%[[C0:[^ ]*]] = %{{.*}}, %[[C1:[^ ]*]] = %{{.*}}, %[[C2:[^ ]*]] = %{{.*}}, %[[C3:[^ ]*]] = %{{.*}}) -> (f32, f32, f32, f32) {
// AMD:           memref.load %{{.*}} : memref<?x256xbf16,
// AMD:           memref.load %{{.*}} : memref<?x128xi8,
// AMD:           arith.extui %{{.*}} : i8 to i32
// AMD:           arith.shrui
// AMD:           arith.andi %{{.*}}, %c15_i32 : i32
// AMD:           arith.truncf %{{.*}} : f32 to bf16
// AMD:           %[[CV:.*]] = vector.from_elements %[[C0]], %[[C1]], %[[C2]], %[[C3]] : vector<4xf32>
// AMD:           %[[AV:.*]] = vector.from_elements {{.*}} : vector<4xbf16>
// AMD:           %[[BV:.*]] = vector.from_elements {{.*}} : vector<4xbf16>
// AMD:           amdgpu.mfma 16x16x16 %[[AV]] * %[[BV]] + %[[CV]] {{.*}} : vector<4xbf16>, vector<4xbf16>, vector<4xf32>
// AMD-NOT:       amdgpu.mfma
// AMD:           scf.yield {{.*}} : f32, f32, f32, f32
// AMD:         %[[T0:.*]] = arith.truncf %[[ACC]]#0 : f32 to bf16
// AMD:         scf.if
// AMD:           memref.store %[[T0]], %{{.*}} : memref<?x?xbf16,
// AMD-NOT:     linalg.
// AMD:         return

// Not the subgroup's size: unchanged.
// NOOP-LABEL: func.func @qmatmul_int4(
// NOOP-NOT:     gpu.lane_id
// NOOP:         memref.alloc
// NOOP:         linalg.fill
// NOOP:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// NOOP:         linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// NOOP-NOT:     gpu.lane_id
// NOOP:         return
func.func @qmatmul_int4(%x: memref<?x256xbf16>, %w: memref<64x128xi8>, %s: memref<64x2xbf16>, %y: memref<?x64xbf16>) {
  %c2 = arith.constant 2 : index
  %c4_i32 = arith.constant 4 : i32
  %c15_i32 = arith.constant 15 : i32
  %c8_i32 = arith.constant 8 : i32
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %dim = memref.dim %x, %c0 : memref<?x256xbf16>
  scf.forall (%i, %j) = (0, 0) to (%dim, 64) step (16, 16) {
    %0 = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%dim]
    %1 = affine.min affine_map<(d0) -> (-d0 + 64, 16)>(%j)
    %xt = memref.subview %x[%i, 0] [%0, 256] [1, 1] : memref<?x256xbf16> to memref<?x256xbf16, strided<[256, 1], offset: ?>>
    %wt = memref.subview %w[%j, 0] [%1, 128] [1, 1] : memref<64x128xi8> to memref<?x128xi8, strided<[128, 1], offset: ?>>
    %st = memref.subview %s[%j, 0] [%1, 2] [1, 1] : memref<64x2xbf16> to memref<?x2xbf16, strided<[2, 1], offset: ?>>
    %acc = memref.alloc(%0, %1) {alignment = 64 : i64} : memref<?x?xf32>
    linalg.fill ins(%cst : f32) outs(%acc : memref<?x?xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2 floordiv 2)>, affine_map<(d0, d1, d2) -> (d1, d2 floordiv 128)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%xt, %wt, %st : memref<?x256xbf16, strided<[256, 1], offset: ?>>, memref<?x128xi8, strided<[128, 1], offset: ?>>, memref<?x2xbf16, strided<[2, 1], offset: ?>>) outs(%acc : memref<?x?xf32>) {
    ^bb0(%in: bf16, %in_3: i8, %in_4: bf16, %out: f32):
      %2 = linalg.index 2 : index
      %3 = arith.extui %in_3 : i8 to i32
      %4 = arith.remui %2, %c2 : index
      %5 = arith.index_cast %4 : index to i32
      %6 = arith.muli %5, %c4_i32 : i32
      %7 = arith.shrui %3, %6 : i32
      %8 = arith.andi %7, %c15_i32 : i32
      %9 = arith.xori %8, %c8_i32 : i32
      %10 = arith.subi %9, %c8_i32 : i32
      %11 = arith.sitofp %10 : i32 to f32
      %12 = arith.extf %in_4 : bf16 to f32
      %13 = arith.mulf %11, %12 : f32
      %14 = arith.extf %in : bf16 to f32
      %15 = arith.mulf %14, %13 : f32
      %16 = arith.addf %out, %15 fastmath<reassoc> : f32
      linalg.yield %16 : f32
    }
    %yt = memref.subview %y[%i, %j] [%0, %1] [1, 1] : memref<?x64xbf16> to memref<?x?xbf16, strided<[64, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<?x?xf32>) outs(%yt : memref<?x?xbf16, strided<[64, 1], offset: ?>>) {
    ^bb0(%in: f32, %out: bf16):
      %2 = arith.truncf %in : f32 to bf16
      linalg.yield %2 : bf16
    }
  } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
  return
}

// -----

// A plain bf16 x bf16 matmul accumulated into the kernel's f32 output: the
// fill before it is the accumulators' initial value (nothing is read from
// the output), and each lane stores its f32 elements as they are.

// CHECK-LABEL: func.func @matmul_bf16(
// CHECK-SAME:    %{{[^:]*}}: memref<?x64xbf16>, %{{[^:]*}}: memref<64x32xbf16>, %[[Y:[^:]*]]: memref<?x32xf32>)
// CHECK:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NOT:     linalg.fill
// CHECK:         %[[YT:.*]] = memref.subview %[[Y]]
// CHECK-NOT:     linalg.fill
// CHECK-NOT:     memref.load %[[YT]]
// CHECK:         gpu.lane_id
// CHECK-NOT:     memref.load %[[YT]]
// CHECK:         %[[ACC:.*]]:8 = scf.for %{{.*}} = %{{.*}} to %c64 step %{{.*}} iter_args(%{{[^ ]*}} = %[[ZERO]], {{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:           memref.load %{{.*}} : memref<?x64xbf16,
// CHECK:           memref.load %{{.*}} : memref<64x?xbf16,
// CHECK:           nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// CHECK:           nvvm.mma.sync
// CHECK-NOT:       nvvm.mma.sync
// CHECK:           scf.yield
// CHECK:         scf.if %{{.*}} {
// CHECK-NOT:       arith.truncf
// CHECK:           memref.store %[[ACC]]#0, %[[YT]][{{.*}}] : memref<?x?xf32,
// CHECK:         }
// CHECK:         scf.if %{{.*}} {
// CHECK:           memref.store %[[ACC]]#1, %[[YT]][{{.*}}] : memref<?x?xf32,
// CHECK-NOT:     linalg.
// CHECK:         return

// COLUMNS-LABEL: func.func @matmul_bf16(
// COLUMNS:         scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32) {
// COLUMNS:           nvvm.mma.sync
// COLUMNS-NOT:       nvvm.mma.sync
// COLUMNS:           scf.yield

// AMD-LABEL: func.func @matmul_bf16(
// AMD-SAME:    %{{[^:]*}}: memref<?x64xbf16>, %{{[^:]*}}: memref<64x32xbf16>, %[[Y:[^:]*]]: memref<?x32xf32>)
// AMD:         %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// AMD-NOT:     linalg.fill
// AMD:         %[[YT:.*]] = memref.subview %[[Y]]
// AMD-NOT:     linalg.fill
// AMD:         gpu.lane_id
// AMD:         %[[ACC:.*]]:4 = scf.for {{.*}} iter_args(%{{[^ ]*}} = %[[ZERO]], {{.*}}) -> (f32, f32, f32, f32) {
// AMD:           amdgpu.mfma 16x16x16 {{.*}} : vector<4xbf16>, vector<4xbf16>, vector<4xf32>
// AMD:         scf.if %{{.*}} {
// AMD-NOT:       arith.truncf
// AMD:           memref.store %[[ACC]]#0, %[[YT]][{{.*}}] : memref<?x?xf32,
// AMD-NOT:     linalg.
// AMD:         return

// NOOP-LABEL: func.func @matmul_bf16(
// NOOP-NOT:     gpu.lane_id
// NOOP:         linalg.fill
// NOOP:         linalg.generic
// NOOP-NOT:     gpu.lane_id
// NOOP:         return
func.func @matmul_bf16(%x: memref<?x64xbf16>, %w: memref<64x32xbf16>, %y: memref<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %dim = memref.dim %x, %c0 : memref<?x64xbf16>
  scf.forall (%i, %j) = (0, 0) to (%dim, 32) step (16, 16) {
    %0 = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%dim]
    %1 = affine.min affine_map<(d0) -> (-d0 + 32, 16)>(%j)
    %xt = memref.subview %x[%i, 0] [%0, 64] [1, 1] : memref<?x64xbf16> to memref<?x64xbf16, strided<[64, 1], offset: ?>>
    %wt = memref.subview %w[0, %j] [64, %1] [1, 1] : memref<64x32xbf16> to memref<64x?xbf16, strided<[32, 1], offset: ?>>
    %yt = memref.subview %y[%i, %j] [%0, %1] [1, 1] : memref<?x32xf32> to memref<?x?xf32, strided<[32, 1], offset: ?>>
    linalg.fill ins(%cst : f32) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%xt, %wt : memref<?x64xbf16, strided<[64, 1], offset: ?>>, memref<64x?xbf16, strided<[32, 1], offset: ?>>) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>) {
    ^bb0(%in: bf16, %in_2: bf16, %out: f32):
      %2 = arith.extf %in : bf16 to f32
      %3 = arith.extf %in_2 : bf16 to f32
      %4 = arith.mulf %2, %3 : f32
      %5 = arith.addf %out, %4 fastmath<reassoc> : f32
      linalg.yield %5 : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
  return
}

// -----

// f32 x f32 into an f32 output: neither factor is exact in f16 or bf16 and
// nothing is stored in a 16-bit type, so the contraction keeps the lanes'
// scalar path, on every target.

// CHECK-LABEL: func.func @matmul_f32(
// CHECK-NOT:     gpu.lane_id
// CHECK:         linalg.fill
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK:           arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK-NOT:     nvvm.mma.sync
// CHECK-NOT:     gpu.lane_id
// CHECK:         return

// AMD-LABEL: func.func @matmul_f32(
// AMD-NOT:     gpu.lane_id
// AMD:         linalg.fill
// AMD:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// AMD-NOT:     amdgpu.mfma
// AMD-NOT:     gpu.lane_id
// AMD:         return
func.func @matmul_f32(%x: memref<?x64xf32>, %w: memref<64x32xf32>, %y: memref<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %dim = memref.dim %x, %c0 : memref<?x64xf32>
  scf.forall (%i, %j) = (0, 0) to (%dim, 32) step (16, 16) {
    %0 = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%dim]
    %1 = affine.min affine_map<(d0) -> (-d0 + 32, 16)>(%j)
    %xt = memref.subview %x[%i, 0] [%0, 64] [1, 1] : memref<?x64xf32> to memref<?x64xf32, strided<[64, 1], offset: ?>>
    %wt = memref.subview %w[0, %j] [64, %1] [1, 1] : memref<64x32xf32> to memref<64x?xf32, strided<[32, 1], offset: ?>>
    %yt = memref.subview %y[%i, %j] [%0, %1] [1, 1] : memref<?x32xf32> to memref<?x?xf32, strided<[32, 1], offset: ?>>
    linalg.fill ins(%cst : f32) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%xt, %wt : memref<?x64xf32, strided<[64, 1], offset: ?>>, memref<64x?xf32, strided<[32, 1], offset: ?>>) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>) {
    ^bb0(%in: f32, %in_2: f32, %out: f32):
      %2 = arith.mulf %in, %in_2 : f32
      %3 = arith.addf %out, %2 fastmath<reassoc> : f32
      linalg.yield %3 : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
  return
}

// -----

// bf16 activations times bf16 weights scaled by an f32 per column, into an
// f32 output: the weight factor is computed in f32 and may not be rounded
// to bf16, since nothing is stored in bf16. Unchanged.

// CHECK-LABEL: func.func @matmul_scaled_f32(
// CHECK-NOT:     gpu.lane_id
// CHECK:         linalg.fill
// CHECK:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// CHECK-NOT:     nvvm.mma.sync
// CHECK-NOT:     gpu.lane_id
// CHECK:         return

// AMD-LABEL: func.func @matmul_scaled_f32(
// AMD-NOT:     gpu.lane_id
// AMD:         linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
// AMD-NOT:     amdgpu.mfma
// AMD-NOT:     gpu.lane_id
// AMD:         return
func.func @matmul_scaled_f32(%x: memref<?x64xbf16>, %w: memref<64x32xbf16>, %s: memref<32xf32>, %y: memref<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.000000e+00 : f32
  %dim = memref.dim %x, %c0 : memref<?x64xbf16>
  scf.forall (%i, %j) = (0, 0) to (%dim, 32) step (16, 16) {
    %0 = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%dim]
    %1 = affine.min affine_map<(d0) -> (-d0 + 32, 16)>(%j)
    %xt = memref.subview %x[%i, 0] [%0, 64] [1, 1] : memref<?x64xbf16> to memref<?x64xbf16, strided<[64, 1], offset: ?>>
    %wt = memref.subview %w[0, %j] [64, %1] [1, 1] : memref<64x32xbf16> to memref<64x?xbf16, strided<[32, 1], offset: ?>>
    %st = memref.subview %s[%j] [%1] [1] : memref<32xf32> to memref<?xf32, strided<[1], offset: ?>>
    %yt = memref.subview %y[%i, %j] [%0, %1] [1, 1] : memref<?x32xf32> to memref<?x?xf32, strided<[32, 1], offset: ?>>
    linalg.fill ins(%cst : f32) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%xt, %wt, %st : memref<?x64xbf16, strided<[64, 1], offset: ?>>, memref<64x?xbf16, strided<[32, 1], offset: ?>>, memref<?xf32, strided<[1], offset: ?>>) outs(%yt : memref<?x?xf32, strided<[32, 1], offset: ?>>) {
    ^bb0(%in: bf16, %in_3: bf16, %in_4: f32, %out: f32):
      %2 = arith.extf %in : bf16 to f32
      %3 = arith.extf %in_3 : bf16 to f32
      %4 = arith.mulf %3, %in_4 : f32
      %5 = arith.mulf %2, %4 : f32
      %6 = arith.addf %out, %5 fastmath<reassoc> : f32
      linalg.yield %6 : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>]}
  return
}
