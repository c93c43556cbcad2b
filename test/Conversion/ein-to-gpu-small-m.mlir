// RUN: einfuse-opt %s --split-input-file --ein-decompose --ein-dynamic-ranks=ranks=all --ein-online-normalize=remarks=false --convert-ein-to-gpu | FileCheck %s

// small_m of #ein.gpu_config: a matrix product one of whose matrix-tiled
// ranks (M, N) is at most small_m runs on the lanes, a point per output
// element, instead of the matrix instruction's 16 x 16 tiles. A run-time
// extent gets both tile loops, the lanes' first; each bound is a select on
// the extent, so one of them has no points; the matrix loop writes into
// the lanes loop's result (one output buffer).

// CHECK-LABEL: func.func @runtime_m
// CHECK:         %[[SMALL:.*]] = arith.cmpi ule, %[[M:.*]], %c8 : index
// CHECK:         %[[ROWS:.*]] = arith.select %[[SMALL]], %[[M]], %c0 : index
// CHECK:         %[[LANES:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (%[[ROWS]], %c64) shared_outs(%{{.*}} = %{{.*}})
// CHECK-NOT:       step (16, 16)
// CHECK:         } {ein.gpu_tile_ranks = ["i", "n"]
// CHECK:         %[[TILES:.*]] = arith.select %[[SMALL]], %c0, %{{.*}} : index
// CHECK:         %[[MATRIX:.*]] = scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%[[TILES]], %c64) step (16, 16) shared_outs(%{{.*}} = %[[LANES]])
// CHECK:         tensor.cast %[[MATRIX]]
func.func @runtime_m(%x: tensor<?x64xbf16>, %w: tensor<64x32xi8>,
                     %s: tensor<64x1xbf16>) -> tensor<?x64xbf16>
    attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4, small_m = 8>} {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int4, group_size = 64>)
      : tensor<?x64xbf16>, tensor<64x32xi8>, tensor<64x1xbf16> -> tensor<?x64xbf16>
  return %o : tensor<?x64xbf16>
}

// -----

// Both free ranks known at run time only: the lanes when either is small.
// CHECK-LABEL: func.func @runtime_mn
// CHECK:         %[[SM:.*]] = arith.cmpi ule, %{{.*}}, %c4 : index
// CHECK-NEXT:    %[[SN:.*]] = arith.cmpi ule, %{{.*}}, %c4 : index
// CHECK-NEXT:    %[[SMALL:.*]] = arith.ori %[[SM]], %[[SN]]
// CHECK:         arith.select %[[SMALL]], %{{.*}}, %c0 : index
// CHECK:         %[[LANES:.*]] = scf.forall
// CHECK:         arith.select %[[SMALL]], %c0, %{{.*}} : index
// CHECK:         scf.forall {{.*}} step (16, 16) shared_outs(%{{.*}} = %[[LANES]])
func.func @runtime_mn(%a: tensor<?x?xf16>, %b: tensor<?x?xf16>) -> tensor<?x?xf16>
    attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, small_m = 4>} {
  %r = ein.cascade [m, n, k] -> (tensor<?x?xf16>) {
    %af = ein.einsum cast(%a[m, k]) -> [m, k] : (tensor<?x?xf16>) -> tensor<?x?xf32>
    %bf = ein.einsum cast(%b[k, n]) -> [k, n] : (tensor<?x?xf16>) -> tensor<?x?xf32>
    %p = ein.einsum mul(%af[m, k], %bf[k, n]) -> [m, n] sum[k] : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
    %c = ein.einsum cast(%p[m, n]) -> [m, n] : (tensor<?x?xf32>) -> tensor<?x?xf16>
    ein.yield %c : tensor<?x?xf16>
  }
  return %r : tensor<?x?xf16>
}

// -----

// A static M of at most small_m: the lanes' loop alone, a point per element.
// CHECK-LABEL: func.func @static_small
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) in (%c4, %c64)
// CHECK-NOT:     scf.forall (
// CHECK:         return
func.func @static_small(%x: tensor<4x64xbf16>, %w: tensor<64x32xi8>,
                        %s: tensor<64x1xbf16>) -> tensor<4x64xbf16>
    attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4, small_m = 8>} {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int4, group_size = 64>)
      : tensor<4x64xbf16>, tensor<64x32xi8>, tensor<64x1xbf16> -> tensor<4x64xbf16>
  return %o : tensor<4x64xbf16>
}

// -----

// Static extents above small_m, or small_m = 0: the matrix loop alone.
// CHECK-LABEL: func.func @static_large
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%c48, %c64) step (16, 16)
// CHECK-NOT:     scf.forall (
// CHECK:         return
func.func @static_large(%x: tensor<48x64xbf16>, %w: tensor<64x32xi8>,
                        %s: tensor<64x1xbf16>) -> tensor<48x64xbf16>
    attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4, small_m = 8>} {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int4, group_size = 64>)
      : tensor<48x64xbf16>, tensor<64x32xi8>, tensor<64x1xbf16> -> tensor<48x64xbf16>
  return %o : tensor<48x64xbf16>
}

// CHECK-LABEL: func.func @never
// CHECK:         scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, %c64) step (16, 16)
// CHECK-NOT:     scf.forall (
// CHECK:         return
func.func @never(%x: tensor<?x64xbf16>, %w: tensor<64x32xi8>,
                 %s: tensor<64x1xbf16>) -> tensor<?x64xbf16>
    attributes {ein.gpu_config = #ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16, k_split = 4>} {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int4, group_size = 64>)
      : tensor<?x64xbf16>, tensor<64x32xi8>, tensor<64x1xbf16> -> tensor<?x64xbf16>
  return %o : tensor<?x64xbf16>
}
