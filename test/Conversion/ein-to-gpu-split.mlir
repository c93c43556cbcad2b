// RUN: einfuse-opt %s --einfuse-gpu-config="target=nvidia:sm_90a split=4" --ein-decompose --ein-dynamic-ranks=ranks=all --ein-deferred-normalize --ein-online-normalize=remarks=false --ein-partition="workers=1 remarks=false" --convert-ein-to-gpu | FileCheck %s
// RUN: einfuse-opt %s --einfuse-gpu-pipeline="target=nvidia:sm_90a split=4 lower-kernels=false" | FileCheck %s --check-prefix=PIPE
// RUN: rm -rf %t && mkdir -p %t
// RUN: einfuse-compile %s --target=nvidia:sm_90a --pipeline-options=split=4 -o %t/nv
// RUN: FileCheck %s --check-prefix=LAUNCH < %t/nv/ein-to-gpu-split.c
// RUN: einfuse-compile %s --target=amd:gfx942 --pipeline-options=split=4 -o %t/amd
// RUN: FileCheck %s --check-prefix=LAUNCH < %t/amd/ein-to-gpu-split.c
// A pinned configuration's split does the same.
// RUN: sed 's/-> tensor<?x4x?x64xbf16> {$/-> tensor<?x4x?x64xbf16> attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, split = 4>} {/' %s > %t/nv.mlir
// RUN: einfuse-compile %t/nv.mlir --target=nvidia:sm_90a -o %t/pinned
// RUN: FileCheck %s --check-prefix=LAUNCH < %t/pinned/nv.c

// Split-KV (`split` of #ein.gpu_config): --ein-partition splits the key
// loop across 4 workers and merges their states (a reduction over m_w);
// convert-ein-to-gpu moves the split iteration into a cascade of its own,
// tiled over (workers, rows): a point per worker and query row runs its
// chunk of keys. A second tile loop over the rows merges the workers'
// states and normalises.

// The split cascade's key tile has two contractions on bf16 tiles, so its
// points are also versioned by the query rows (small_m, as a matrix
// product's): a row per point when there are at most 8 (decode), 16 rows
// on the matrix instruction otherwise; the second loop writes into the
// first's results.

// CHECK-LABEL: func.func @decode
// CHECK-SAME:    split = 4
// CHECK:         %[[LANES:.*]]:3 = scf.forall (%[[W:[a-z0-9_]+]], %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}) in (4, %{{[a-z0-9_]+}}, %c4, %{{[a-z0-9_]+}}) shared_outs({{.*}}) -> (tensor<4x?x?x?xf32>, tensor<4x?x?x?xf32>, tensor<4x?x?x?x?xf32>)
// The worker's chunk: whole key tiles (of 128, the configuration's for
// bf16 attention), ceil(ceil(Sk / 4) / 128) * 128 long.
// CHECK:           %[[Q:.*]] = arith.ceildivui %{{.*}}, %c4
// CHECK:           %[[T:.*]] = arith.ceildivui %[[Q]], %c128
// CHECK:           %[[CHUNK:.*]] = arith.muli %[[T]], %c128
// CHECK:           arith.muli %[[W]], %[[CHUNK]]
// CHECK:         } {ein.gpu_tile_ranks = ["m_w", "b", "h", "p"], mapping = [#gpu.thread<linear_dim_0>, #gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_2>, #gpu.thread<linear_dim_3>]}
// CHECK:         %[[PARTS:.*]]:3 = scf.forall ({{.*}}) = (0, 0, 0, 0) to (4, %{{[a-z0-9_]+}}, %c4, %{{[a-z0-9_]+}}) step (1, 1, 1, 16) shared_outs(%{{.*}} = %[[LANES]]#0, %{{.*}} = %[[LANES]]#1, %{{.*}} = %[[LANES]]#2)
// CHECK:         } {ein.gpu_tile_ranks = ["m_w", "b", "h", "p"]
// CHECK:         scf.forall (%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}}, %{{[a-z0-9_]+}}, %{{[a-z0-9_]+}})
// CHECK:           tensor.extract_slice %[[PARTS]]#0[0,
// CHECK:         } {ein.gpu_tile_ranks = ["b", "h", "p"]

// Three launches (the workers' rows, a subgroup per row or a block per 16
// rows, one of them of no blocks; then the merge); the workers' states are
// buffers of the host function.
// PIPE-LABEL: func.func @decode
// PIPE:         %[[M:.*]] = memref.alloc(%{{.*}}, %{{.*}}) {{.*}} : memref<4x?x4x?xf32>
// PIPE:         %[[O:.*]] = memref.alloc(%{{.*}}, %{{.*}}) {{.*}} : memref<4x?x4x?x64xf32>
// PIPE:         %[[L:.*]] = memref.alloc(%{{.*}}, %{{.*}}) {{.*}} : memref<4x?x4x?xf32>
// PIPE:         gpu.launch_func @decode_kernel::@decode_kernel {{.*}} threads in (%c128, %c1, %c1) args({{.*}}%[[M]] : memref<4x?x4x?xf32>, %[[L]] : memref<4x?x4x?xf32>, %[[O]] : memref<4x?x4x?x64xf32>)
// PIPE:         gpu.launch_func @decode_kernel_0::@decode_kernel {{.*}} threads in (%c32, %c1, %c1) args({{.*}}%[[M]] : memref<4x?x4x?xf32>, %[[L]] : memref<4x?x4x?xf32>, %[[O]] : memref<4x?x4x?x64xf32>)
// PIPE:         gpu.launch_func @decode_kernel_1::@decode_kernel {{.*}} args({{.*}}%[[M]] : memref<4x?x4x?xf32>, %[[L]] : memref<4x?x4x?xf32>, %[[O]] : memref<4x?x4x?x64xf32>, %arg4 : memref<?x4x?x64xbf16>)

// The launcher places them in its workspace (256-byte aligned, f32 of
// 4 x B x 4 x Sq (x 64)) and passes slices of it.
// LAUNCH-LABEL: static int einfuse_chip0_decode(
// LAUNCH:       int64_t ws_at0 = (0 + 255) / 256 * 256;
// LAUNCH-NEXT:  int64_t ws_at1 = ((ws_at0 + ((int64_t)4LL) * ((int64_t)4LL) * ((int64_t)in0_dim0) * ((int64_t)4LL) * ((int64_t)in0_dim2)) + 255) / 256 * 256;
// LAUNCH-NEXT:  int64_t ws_at2 = ((ws_at1 + ((int64_t)4LL) * ((int64_t)4LL) * ((int64_t)in0_dim0) * ((int64_t)4LL) * ((int64_t)in0_dim2) * ((int64_t)64LL)) + 255) / 256 * 256;
// LAUNCH-NEXT:  int64_t ws_end =
// LAUNCH:       size_t ws_bytes = (size_t)(ws_end);
// LAUNCH:       void *p{{[0-9]+}} = (void *)(ws + ws_at0);
// LAUNCH:       void *p{{[0-9]+}} = (void *)(ws + ws_at0);
// LAUNCH-LABEL: static int einfuse_chip0_decode_ws(
// LAUNCH:       *bytes = (size_t)(ws_end);
func.func @decode(%q: tensor<?x4x?x64xbf16>, %k: tensor<?x2x?x64xbf16>, %v: tensor<?x2x?x64xbf16>, %m: tensor<?x?xi1>) -> tensor<?x4x?x64xbf16> {
  %o = ein.attention %q, %k, %v mask(%m : tensor<?x?xi1>) {causal, align = #ein.align<bottom_right>} : tensor<?x4x?x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16> -> tensor<?x4x?x64xbf16>
  return %o : tensor<?x4x?x64xbf16>
}
