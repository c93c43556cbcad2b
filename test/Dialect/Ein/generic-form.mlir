// RUN: einfuse-opt %s | FileCheck %s
// RUN: einfuse-opt %s | einfuse-opt --mlir-print-op-generic --mlir-print-local-scope | FileCheck %s --check-prefix=GENERIC

// Ops written in the generic form print in the custom form, with the rank
// names taken from the `ranks` attribute and the reduced ranks from the maps.
// CHECK-LABEL: func @generic_einsum
// GENERIC-LABEL: sym_name = "generic_einsum"
func.func @generic_einsum(%a: tensor<4x16xf32>, %b: tensor<16x8xf32>) -> tensor<4x8xf32> {
  // CHECK: ein.cascade [i, j, k] -> (tensor<4x8xf32>)
  // GENERIC: "ein.cascade"() <{extents = array<i64: {{-?[0-9]+}}, {{-?[0-9]+}}, {{-?[0-9]+}}>, operandSegmentSizes = array<i32: 0, 0>, ranks = ["i", "j", "k"], tiled_ranks = []}>
  %r = "ein.cascade"() <{ranks = ["i", "j", "k"], extents = array<i64: -9223372036854775808, -9223372036854775808, -9223372036854775808>}> ({
    // CHECK: ein.einsum mul(%{{.*}}[i, k], %{{.*}}[k, j]) -> [i, j] sum[k]
    // GENERIC: "ein.einsum"(%{{.*}}, %{{.*}}) <{indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], map = #ein.map<mul>, ranks = ["i", "j", "k"], reduce = #ein.reduce<sum>}>
    %y = "ein.einsum"(%a, %b) <{indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], map = #ein.map<mul>, ranks = ["i", "k", "j"], reduce = #ein.reduce<sum>}> ({
    }) : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
    "ein.yield"(%y) : (tensor<4x8xf32>) -> ()
  }) : () -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// CHECK-LABEL: func private @qformat_attr
// CHECK-SAME: f = #ein.qformat<kind = uint4, group_size = 64, zero_point = true>
// CHECK-SAME: g = #ein.map<select>, h = #ein.reduce<min>, i = #ein.align<bottom_right>
func.func private @qformat_attr() attributes {f = #ein.qformat<kind = uint4, group_size = 64, zero_point = true>, g = #ein.map<select>, h = #ein.reduce<min>, i = #ein.align<bottom_right>}
