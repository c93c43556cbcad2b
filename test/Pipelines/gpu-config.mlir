// RUN: einfuse-opt %s --pass-pipeline="builtin.module(einfuse-gpu-config{target=nvidia:sm_90a})" | FileCheck %s --check-prefix=NV
// RUN: einfuse-opt %s --pass-pipeline="builtin.module(einfuse-gpu-config{target=amd:gfx942})" | FileCheck %s --check-prefix=AMD
// RUN: einfuse-opt %s --pass-pipeline="builtin.module(einfuse-gpu-config{target=nvidia:sm_80 lanes=1 tile-size=32 threads=256})" | FileCheck %s --check-prefix=OPTS
// RUN: einfuse-opt %s --einfuse-gpu-pipeline="target=nvidia:sm_90a" | FileCheck %s --check-prefix=PIPE
// RUN: einfuse-opt %s --einfuse-gpu-pipeline="target=nvidia:sm_90a small-m=0" | FileCheck %s --check-prefix=NOSMALL

// einfuse-gpu-config, the GPU pipeline's first step: each public kernel
// function gets its configuration as #ein.gpu_config, from the target's
// defaults, the options and the kernel's shape; a function that has one
// keeps it, and every later step reads it.

// A row-wise cascade (no contraction of two tensors) of run-time row
// length: a block of the target's row threads per row, tiles of 8192.
// NV-LABEL:   func.func @softmax(
// NV-SAME:      ein.gpu_config = #ein.gpu_config<threads = 256, lanes = 256, tile_size = 8192>
// AMD-LABEL:  func.func @softmax(
// AMD-SAME:     ein.gpu_config = #ein.gpu_config<threads = 256, lanes = 256, tile_size = 8192>
// The options win over the defaults and the shape; one lane per point
// means no matrix tiles.
// OPTS-LABEL: func.func @softmax(
// OPTS-SAME:    ein.gpu_config = #ein.gpu_config<threads = 256, lanes = 1, tile_size = 32>
func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?x?xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %d = ein.einsum sub(%x[n, c], %m[n]) -> [n, c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %e = ein.einsum exp(%d[n, c]) -> [n, c] : (tensor<?x?xf32>) -> tensor<?x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (tensor<?x?xf32>) -> tensor<?xf32>
    %o = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    ein.yield %o : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

// Rows known to be short (64 here) take a subgroup each, tiles of 1024.
// NV-LABEL:   func.func @short_rows(
// NV-SAME:      ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 1024, matrix_tile = 16, k_split = 4, small_m = 8>
// AMD-LABEL:  func.func @short_rows(
// AMD-SAME:     ein.gpu_config = #ein.gpu_config<threads = 256, lanes = 64, tile_size = 1024, matrix_tile = 16, k_split = 4, small_m = 8>
func.func @short_rows(%x: tensor<?x64xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?xf32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (tensor<?x64xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// A quantized matmul contracts two tensors: the target's tile; products
// of at most small_m = 8 rows run on the lanes instead.
// NV-LABEL:   func.func @qmatmul(
// NV-SAME:      ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4, small_m = 8>
// AMD-LABEL:  func.func @qmatmul(
// AMD-SAME:     ein.gpu_config = #ein.gpu_config<threads = 256, lanes = 64, tile_size = 64, matrix_tile = 16, k_split = 4, small_m = 8>
// OPTS-LABEL: func.func @qmatmul(
// OPTS-SAME:    ein.gpu_config = #ein.gpu_config<threads = 256, lanes = 1, tile_size = 32>
// Through the whole pipeline, M known at run time: two launches, chosen
// by M. M <= 8: a warp per output element, its lanes over K (no matrix
// instruction); else a block per 16 x 16 tile, its 4 warps each over a
// quarter of K on mma.sync, their sums added in shared memory. The other
// launch gets a grid of no blocks.
// PIPE-LABEL: func.func @qmatmul(
// PIPE-SAME:    ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4, small_m = 8>
// PIPE:         %[[M:.*]] = memref.dim %{{.*}}, %c0
// PIPE:         %[[SMALL:.*]] = arith.cmpi ule, %[[M]], %c8
// PIPE:         %[[ROWS:.*]] = arith.select %[[SMALL]], %[[M]], %c0
// PIPE:         %[[POINTS:.*]] = arith.muli %[[ROWS]], %c32
// PIPE:         gpu.launch_func @qmatmul_kernel::@qmatmul_kernel {{.*}} threads in (%c128{{.*}}, %c1{{.*}}, %c1{{.*}}) args(%[[POINTS]] : index
// PIPE:         arith.select %[[SMALL]], %c0, %[[M]]
// PIPE:         gpu.launch_func @qmatmul_kernel_0::@qmatmul_kernel {{.*}} threads in (%c128{{.*}}, %c1{{.*}}, %c1{{.*}})
// PIPE-LABEL: gpu.module @qmatmul_kernel
// PIPE-NOT:     nvvm.mma.sync
// PIPE-LABEL: gpu.module @qmatmul_kernel_0
// PIPE:         llvm.mlir.global internal @__wg_qmatmul_kernel_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<1024 x f32>
// PIPE:         nvvm.mma.sync
// PIPE:         nvvm.barrier0
// small-m=0: the matrix kernel alone.
// NOSMALL-LABEL: func.func @qmatmul(
// NOSMALL-SAME:    ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4>
// NOSMALL:         gpu.launch_func @qmatmul_kernel::@qmatmul_kernel
// NOSMALL-NOT:     gpu.launch_func
// NOSMALL:         return
func.func @qmatmul(%x: tensor<?x64xbf16>, %w: tensor<32x32xi8>,
                   %s: tensor<32x1xbf16>) -> tensor<?x32xbf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int4, group_size = 64>)
      : tensor<?x64xbf16>, tensor<32x32xi8>, tensor<32x1xbf16> -> tensor<?x32xbf16>
  return %o : tensor<?x32xbf16>
}

// A configuration written by the user is kept, whatever the options, and
// the pipeline follows it: 64 threads per block, no matrix instruction
// (matrix_tile = 1, the default, is not printed).
// NV-LABEL:   func.func @pinned(
// NV-SAME:      ein.gpu_config = #ein.gpu_config<threads = 64, lanes = 32, tile_size = 16>
// OPTS-LABEL: func.func @pinned(
// OPTS-SAME:    ein.gpu_config = #ein.gpu_config<threads = 64, lanes = 32, tile_size = 16>
// PIPE-LABEL: func.func @pinned(
// PIPE:         gpu.launch_func @pinned_kernel::@pinned_kernel {{.*}} threads in (%c64{{.*}}, %c1{{.*}}, %c1{{.*}})
// PIPE-LABEL: gpu.module @pinned_kernel
// PIPE-NOT:     nvvm.mma.sync
// PIPE:         llvm.return
func.func @pinned(%x: tensor<?x64xbf16>, %w: tensor<32x32xi8>,
                  %s: tensor<32x1xbf16>) -> tensor<?x32xbf16>
    attributes {ein.gpu_config = #ein.gpu_config<threads = 64, lanes = 32, tile_size = 16, matrix_tile = 1>} {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int4, group_size = 64>)
      : tensor<?x64xbf16>, tensor<32x32xi8>, tensor<32x1xbf16> -> tensor<?x32xbf16>
  return %o : tensor<?x32xbf16>
}

// Private functions (callees) get none.
// NV-LABEL:   func.func private @helper(
// NV-NOT:       ein.gpu_config
// NV:           return
func.func private @helper(%x: f32) -> f32 {
  return %x : f32
}


// Attention of bf16 (its key tiles on the matrix instruction, 16 query
// rows per subgroup): key tiles of 128, which amortise a tile's barriers,
// copies and row reductions; attention of f32 (the lanes' scalar path)
// keeps the target's 64; given options win (no matrix tiles at lanes = 1).
// NV-LABEL:   func.func @attention_bf16(
// NV-SAME:      ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 128, matrix_tile = 16, k_split = 4, small_m = 8>
// AMD-LABEL:  func.func @attention_bf16(
// AMD-SAME:     ein.gpu_config = #ein.gpu_config<threads = 256, lanes = 64, tile_size = 128, matrix_tile = 16, k_split = 4, small_m = 8>
// OPTS-LABEL: func.func @attention_bf16(
// OPTS-SAME:    ein.gpu_config = #ein.gpu_config<threads = 256, lanes = 1, tile_size = 32>
func.func @attention_bf16(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x4x?x64xbf16>, %v: tensor<?x4x?x64xbf16>) -> tensor<?x4x?x64xbf16> {
  %o = ein.attention %q, %k, %v : tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16>, tensor<?x4x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}

// Head dim 128: 128 keys of K (32 KB) would not fit the 16 KB that
// einfuse-gpu-matrix-ops stages in workgroup memory, 64 do: key tiles of
// 64. Head dim 256 fits neither: 128.
// NV-LABEL:   func.func @attention_bf16_d128(
// NV-SAME:      tile_size = 64, matrix_tile = 16
// NV-LABEL:   func.func @attention_bf16_d256(
// NV-SAME:      tile_size = 128, matrix_tile = 16
func.func @attention_bf16_d128(%q: tensor<?x4x?x128xbf16>, %k: tensor<?x4x?x128xbf16>, %v: tensor<?x4x?x128xbf16>) -> tensor<?x4x?x128xbf16> {
  %o = ein.attention %q, %k, %v : tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16>, tensor<?x4x?x128xbf16> -> tensor<?x4x?x128xbf16>
  return %o : tensor<?x4x?x128xbf16>
}
func.func @attention_bf16_d256(%q: tensor<?x4x?x256xbf16>, %k: tensor<?x4x?x256xbf16>, %v: tensor<?x4x?x256xbf16>) -> tensor<?x4x?x256xbf16> {
  %o = ein.attention %q, %k, %v : tensor<?x4x?x256xbf16>, tensor<?x4x?x256xbf16>, tensor<?x4x?x256xbf16> -> tensor<?x4x?x256xbf16>
  return %o : tensor<?x4x?x256xbf16>
}

// The same shape written as a cascade: a contraction of f16 tensors whose
// scores a reduction (the row max) reads; with a contracted extent of 128,
// key tiles of 64 as for attention.
// NV-LABEL:   func.func @scores_cascade(
// NV-SAME:      tile_size = 128
func.func @scores_cascade(%q: tensor<?x?x16xf16>, %k: tensor<?x?x16xf16>) -> tensor<?x?xf16> {
  %r = ein.cascade [b, p, m, e] -> (tensor<?x?xf16>) {
    %s = ein.einsum mul(%q[b, p, e], %k[b, m, e]) -> [b, p, m] sum[e] : (tensor<?x?x16xf16>, tensor<?x?x16xf16>) -> tensor<?x?x?xf16>
    %x = ein.einsum copy(%s[b, p, m]) -> [b, p] max[m] : (tensor<?x?x?xf16>) -> tensor<?x?xf16>
    ein.yield %x : tensor<?x?xf16>
  }
  return %r : tensor<?x?xf16>
}
// NV-LABEL:   func.func @scores_cascade_d128(
// NV-SAME:      tile_size = 64
func.func @scores_cascade_d128(%q: tensor<?x?x128xf16>, %k: tensor<?x?x128xf16>) -> tensor<?x?xf16> {
  %r = ein.cascade [b, p, m, e] -> (tensor<?x?xf16>) {
    %s = ein.einsum mul(%q[b, p, e], %k[b, m, e]) -> [b, p, m] sum[e] : (tensor<?x?x128xf16>, tensor<?x?x128xf16>) -> tensor<?x?x?xf16>
    %x = ein.einsum copy(%s[b, p, m]) -> [b, p] max[m] : (tensor<?x?x?xf16>) -> tensor<?x?xf16>
    ein.yield %x : tensor<?x?xf16>
  }
  return %r : tensor<?x?xf16>
}

// NV-LABEL:   func.func @attention_f32(
// NV-SAME:      ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4, small_m = 8>
func.func @attention_f32(%q: tensor<?x4x?x64xf32>, %k: tensor<?x4x?x64xf32>, %v: tensor<?x4x?x64xf32>) -> tensor<?x4x?x64xf32> {
  %o = ein.attention %q, %k, %v : tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32>, tensor<?x4x?x64xf32> -> tensor<?x4x?x64xf32>
  return %o : tensor<?x4x?x64xf32>
}
