// RUN: einfuse-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=nvidia:sm_90a lanes=32 columns=16}))" | FileCheck %s
// RUN: sed 's/lanes = 32/lanes = 64/' %s | einfuse-opt --split-input-file --pass-pipeline="builtin.module(func.func(einfuse-gpu-matrix-ops{target=amd:gfx942 lanes=64 columns=16}))" | FileCheck %s --check-prefix=AMD

// A product whose C only a row reduction reads (the row maximum of
// X W^T, 16 rows per point, 64 columns): C stays in the lanes' registers
// (8 instruction tiles of 16 x 8, 4 elements a lane), each lane reduces
// its own elements of its two rows, the four lanes of a row combine theirs
// (xor shuffles, masks 1 and 2), then every lane takes each of the
// 16 rows from a lane holding it. No workgroup memory is needed for C;
// the operands are staged there (rows padded by 16 bytes), and four
// points (64 rows) of a block share W's tile, copied by the block's
// threads, each point with its own buffer of X's rows.
// On AMD, where 16 lanes of a wave hold each of MFMA's rows, the same
// reduction takes four xor shuffles (masks 1, 2, 4 and 8) per slot.

// CHECK-LABEL: func.func @row_max
// CHECK:       scf.forall
// CHECK:         %[[C:.*]] = memref.alloca() : memref<8x4xf32>
// CHECK-DAG:     memref.alloc() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK-DAG:     memref.alloc() : memref<64x40xf16, #gpu.address_space<workgroup>>
// CHECK:         gpu.thread_id x
// CHECK:         linalg.copy {ein.gpu_block_copy} ins(%{{.*}} : memref<64x32xf16>)
// CHECK-NOT:     memref<1x1x16x68xf32
// CHECK:         nvvm.mma.sync
// CHECK:         memref.store %{{.*}}, %[[C]]
// CHECK:         memref.load %[[C]]
// CHECK:         arith.maximumf
// CHECK:         gpu.shuffle  xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK:         gpu.shuffle  xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK-COUNT-16: gpu.shuffle  idx
// CHECK-NOT:     linalg.generic {{.*}}reduction
// CHECK:       } {ein.gpu_block_threads = 128 : index
// AMD-LABEL: func.func @row_max
// AMD:         memref.alloca() : memref<{{[0-9]+}}x4xf32>
// AMD:         amdgpu.mfma
// AMD:         gpu.shuffle  xor %{{.*}}, %c1_i32, %c64_i32 : f32
// AMD:         gpu.shuffle  xor %{{.*}}, %c2_i32, %c64_i32 : f32
// AMD:         gpu.shuffle  xor %{{.*}}, %c4_i32, %c64_i32 : f32
// AMD:         gpu.shuffle  xor %{{.*}}, %c8_i32, %c64_i32 : f32
func.func @row_max(%x: memref<?x32xf16>, %w: memref<64x32xf16>, %y: memref<?xf32>) attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16>} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %n = memref.dim %x, %c0 : memref<?x32xf16>
  scf.forall (%i) = (0) to (%n) step (16) {
    %rows = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 16)>(%i)[%n]
    %xs = memref.subview %x[%i, 0] [%rows, 32] [1, 1] : memref<?x32xf16> to memref<?x32xf16, strided<[32, 1], offset: ?>>
    %s = memref.alloc(%rows) : memref<?x64xf32>
    linalg.fill ins(%zero : f32) outs(%s : memref<?x64xf32>)
    linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%xs, %w : memref<?x32xf16, strided<[32, 1], offset: ?>>, memref<64x32xf16>) outs(%s : memref<?x64xf32>) {
    ^bb0(%a: f16, %b: f16, %acc: f32):
      %ea = arith.extf %a : f16 to f32
      %eb = arith.extf %b : f16 to f32
      %p = arith.mulf %ea, %eb : f32
      %r = arith.addf %acc, %p fastmath<reassoc> : f32
      linalg.yield %r : f32
    }
    %m = memref.alloc(%rows) : memref<?xf32>
    linalg.fill ins(%ninf : f32) outs(%m : memref<?xf32>)
    linalg.generic {indexing_maps = [affine_map<(m, n) -> (m, n)>, affine_map<(m, n) -> (m)>], iterator_types = ["parallel", "reduction"]} ins(%s : memref<?x64xf32>) outs(%m : memref<?xf32>) {
    ^bb0(%v: f32, %acc: f32):
      %r = arith.maximumf %acc, %v : f32
      linalg.yield %r : f32
    }
    %ys = memref.subview %y[%i] [%rows] [1] : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
    linalg.copy ins(%m : memref<?xf32>) outs(%ys : memref<?xf32, strided<[1], offset: ?>>)
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}
