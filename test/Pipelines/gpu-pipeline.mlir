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

// After the target hooks: the kernel function launches one kernel, one
// warp per row (32 lanes, 128 threads per block, sm_90a's defaults: so
// ceil(rows / 4) blocks), passing its buffers; each lane reads every 32nd
// element of the row, the row's max and sum are combined across the lanes
// with shuffles; exp is ex2.approx on x * log2(e), and no math op is left
// for a vendor library.
// HOOKS-LABEL: func.func @softmax(
// HOOKS-SAME:    %[[X:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?x?xf32>)
// HOOKS:         %[[ROWS:.*]] = memref.dim %[[X]], %c0
// HOOKS:         %[[GRID:.*]] = arith.ceildivui %[[ROWS]], %c4
// HOOKS:         gpu.launch_func @softmax_kernel::@softmax_kernel blocks in (%[[GRID]], %c1, %c1) threads in (%c128, %c1, %c1) args(%[[X]] : memref<?x?xf32>, %[[Y]] : memref<?x?xf32>)
// HOOKS:       gpu.module @softmax_kernel [#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">]
// HOOKS:         gpu.func @softmax_kernel
// HOOKS:           arith.constant 1.44269502 : f32
// Each lane's loop is unrolled by 4 (step 4 x 32) with its remainder
// loop after it.
// HOOKS:           %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// HOOKS:           scf.for %{{.*}} = %[[LANE]] to %[[END:.*]] step %c128
// HOOKS-COUNT-4:     llvm.intr.maximum
// HOOKS:           scf.for %{{.*}} = %[[END]] to %{{.*}} step %c32
// HOOKS-COUNT-5:   gpu.shuffle  xor
// HOOKS:           scf.for %{{.*}} = %[[LANE]] to %{{.*}} step %c128
// HOOKS:             llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// HOOKS:           scf.for
// HOOKS-COUNT-5:   gpu.shuffle  xor
// HOOKS:           scf.for %{{.*}} = %[[LANE]] to %{{.*}} step %c128
// HOOKS:             memref.store
// HOOKS-NOT:       math.

// NVVM: gpu.module @softmax_kernel [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">]
// NVVM:   llvm.func @softmax_kernel({{.*}}) attributes {gpu.kernel, gpu.known_block_size = array<i32: 128, 1, 1>, nvvm.kernel
// NVVM:     llvm.call_intrinsic "llvm.nvvm.ex2.approx.f32"
// NVVM-NOT: gpu.func

// ROCDL:     gpu.launch_func @softmax_kernel::@softmax_kernel blocks in (%{{.*}}, %c1, %c1) threads in (%c64, %c1, %c1)
// ROCDL:     gpu.module @softmax_kernel [#rocdl.target<O = 3, chip = "gfx942", abi = "500">]
// ROCDL:       llvm.func @softmax_kernel({{.*}}) attributes {gpu.kernel, gpu.known_block_size = array<i32: 64, 1, 1>
// ROCDL:         llvm.call_intrinsic "llvm.amdgcn.exp2.f32"

// With lanes=1, a thread per row (ceil(rows / 128) blocks).
// THREAD: arith.ceildivui %{{.*}}, %c128
// THREAD-NOT: gpu.shuffle
// LANES: einfuse-gpu-pipeline: lanes must be in [1, 64] and divide the threads per block (128) (0: the target's subgroup), got 48

// CHIP: einfuse-gpu-pipeline: unknown GPU target 'nvidia:sm_70' (expected nvidia:sm_80, nvidia:sm_90a, amd:gfx942 or amd:gfx90a)
// THREADS: einfuse-gpu-pipeline: threads must be in [1, 1024] (0: the target's default), got 4096
// TILE: einfuse-gpu-pipeline: tile-size must be in [1, 2^31] (0: the target's default), got -1
// MATRIX: einfuse-gpu-pipeline: matrix-tile must be in [1, 256] (0: the target's default), got 300

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
