// The shared GPU lowering end to end, per target: the same cascade, the
// same tiles; the target adds its math instructions, its default block
// and its NVVM/ROCDL conversion.
//
// RUN: einfuse-opt %s --einfuse-gpu-pipeline="target=nvidia:sm_90a lower-kernels=false" | FileCheck %s --check-prefix=HOOKS
// RUN: einfuse-opt %s --einfuse-gpu-pipeline="target=nvidia:sm_80" | FileCheck %s --check-prefix=NVVM
// RUN: einfuse-opt %s --einfuse-gpu-pipeline="target=amd:gfx942 threads=64" | FileCheck %s --check-prefix=ROCDL
// RUN: einfuse-opt %s --einfuse-gpu-pipeline="target=nvidia:sm_90a lanes=1 lower-kernels=false" | FileCheck %s --check-prefix=THREAD
// RUN: not einfuse-opt %s --einfuse-gpu-pipeline="lanes=48" 2>&1 | FileCheck %s --check-prefix=LANES
// RUN: not einfuse-opt %s --einfuse-gpu-pipeline="target=nvidia:sm_70" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not einfuse-opt %s --einfuse-gpu-pipeline="threads=4096" 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not einfuse-opt %s --einfuse-gpu-pipeline="tile-size=-1" 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not einfuse-opt %s --einfuse-gpu-pipeline="matrix-tile=300" 2>&1 | FileCheck %s --check-prefix=MATRIX
// RUN: not einfuse-opt %s --einfuse-gpu-pipeline="small-m=-2" 2>&1 | FileCheck %s --check-prefix=SMALLM
// RUN: not einfuse-opt %s --einfuse-gpu-pipeline="split=-3" 2>&1 | FileCheck %s --check-prefix=SPLIT

// After the target hooks: the kernel function launches one kernel, one
// block of 256 threads per row (sm_90a's row-wise configuration: the row's
// second read hits the caches), passing its buffers. Each lane reads 16
// bytes of the row at a time (4 f32: lane l the chunks l, l + 256, ...,
// two per trip) where the row is aligned for it, checked at run time, else
// every 256th element; the row's max and sum are combined across the
// lanes with shuffles, then across the block's 8 warps through a workgroup
// buffer (16-byte aligned, as every workgroup buffer) between barriers;
// exp is ex2.approx on x * log2(e); the division
// by the row's sum is a product with its reciprocal, computed once; no
// math op is left for a vendor library.
// HOOKS-LABEL: func.func @softmax(
// HOOKS-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?x?xf32>)
// HOOKS:         %[[ROWS:.*]] = memref.dim %[[X]], %c0
// HOOKS:         gpu.launch_func @softmax_kernel::@softmax_kernel blocks in (%[[ROWS]], %c1, %c1) threads in (%c256, %c1, %c1) args(%[[X]] : memref<?x?xf32>, %[[Y]] : memref<?x?xf32>)
// HOOKS:       gpu.module @softmax_kernel [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">]
// HOOKS:         gpu.func @softmax_kernel({{.*}}) workgroup(%[[WG:.*]] : memref<8xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// HOOKS-SAME:      known_block_size = array<i32: 256, 1, 1>
// HOOKS:           arith.constant 1.44269502 : f32
// HOOKS:           %[[LANE:.*]] = arith.remui %{{.*}}, %c256
// HOOKS:           memref.extract_aligned_pointer_as_index
// HOOKS:           scf.if
// HOOKS:             scf.for %{{.*}} step %c2048
// HOOKS:               vector.load {{.*}} {alignment = 16 : i64} : memref<1x?xf32, strided<[?, 1], offset: ?>>, vector<4xf32>
// HOOKS-COUNT-4:       llvm.intr.maximum
// HOOKS:           } else {
// HOOKS:             scf.for %{{.*}} = %[[LANE]] to %[[END:.*]] step %c1024
// HOOKS-COUNT-4:       llvm.intr.maximum
// HOOKS:             scf.for %{{.*}} = %[[END]] to %{{.*}} step %c256
// HOOKS-COUNT-5:   gpu.shuffle  xor
// HOOKS:           gpu.barrier
// HOOKS:           memref.store %{{.*}}, %[[WG]]
// HOOKS:           gpu.barrier
// HOOKS-COUNT-8:   memref.load %[[WG]]
// HOOKS:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// HOOKS:           %[[R:.*]] = arith.divf %cst{{.*}}, %{{.*}} : f32
// HOOKS:             scf.for
// HOOKS:               llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// HOOKS:               arith.mulf %{{.*}}, %[[R]] : f32
// HOOKS:               vector.store {{.*}} {alignment = 16 : i64} : memref<1x?xf32, strided<[?, 1], offset: ?>>, vector<4xf32>
// HOOKS-NOT:           arith.divf %{{[0-9]+}},
// HOOKS-NOT:       math.

// NVVM: gpu.module @softmax_kernel [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">]
// NVVM:   llvm.func @softmax_kernel({{.*}}) attributes {gpu.kernel, gpu.known_block_size = array<i32: 256, 1, 1>, nvvm.kernel
// NVVM:     llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// NVVM-NOT: gpu.func

// ROCDL:     gpu.launch_func @softmax_kernel::@softmax_kernel blocks in (%{{.*}}, %c1, %c1) threads in (%c64, %c1, %c1)
// ROCDL:     gpu.module @softmax_kernel [#rocdl.target<O = 3, chip = "gfx942", abi = "500">]
// ROCDL:       llvm.func @softmax_kernel({{.*}}) attributes {gpu.kernel, gpu.known_block_size = array<i32: 64, 1, 1>
// ROCDL:         llvm.call_intrinsic "llvm.amdgcn.exp2.f32"

// With lanes=1, a thread per row (ceil(rows / 128) blocks).
// THREAD: arith.ceildivui %{{.*}}, %c128
// THREAD-NOT: gpu.shuffle
// LANES: einfuse-gpu-pipeline: lanes must be in [1, 1024], divide the threads per block (128) and be whole subgroups (32) when above one (0: the target's choice), got 48

// CHIP: einfuse-gpu-pipeline: unknown GPU target 'nvidia:sm_70' (expected nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or amd:gfx90a)
// THREADS: einfuse-gpu-pipeline: threads must be in [1, 1024] (0: the target's default), got 4096
// TILE: einfuse-gpu-pipeline: tile-size must be in [1, 2^31] (0: the target's default), got -1
// MATRIX: einfuse-gpu-pipeline: matrix-tile must be in [1, 256] (0: the target's default), got 300
// SMALLM: einfuse-gpu-pipeline: small-m must be in [0, 2^31] (-1: the target's default), got -2
// SPLIT: einfuse-gpu-pipeline: split must be in [0, 1024] (-1: the target's default), got -3

func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?x?xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %o = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    ein.yield %o : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}
