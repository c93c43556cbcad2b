// RUN: einfuse-opt %s --ein-decompose --convert-ein-to-linalg | FileCheck %s

// Decomposed attention lowers to one linalg.generic per Einsum: QK, score,
// max, max guard, exp, sum, sum guard, divide, AV.
// CHECK-LABEL: func @attention
// CHECK-NOT: ein.
// CHECK: linalg.fill
// CHECK: %[[QK:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]}{{.*}} ins(%[[QK]]
// CHECK-DAG: linalg.index 2
// CHECK-DAG: linalg.index 3
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: %[[GM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]}{{.*}} ins(%[[S]]
// CHECK: arith.maximumf
// CHECK: %[[GMS:.*]] = linalg.generic {{.*}} ins(%[[GM]]
// CHECK: arith.select
// CHECK: %[[SN:.*]] = linalg.generic {{.*}} ins(%[[S]], %[[GMS]]
// CHECK: math.exp
// CHECK: %[[SD:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction"]}{{.*}} ins(%[[SN]]
// CHECK: arith.addf
// CHECK: %[[SDS:.*]] = linalg.generic {{.*}} ins(%[[SD]]
// CHECK: arith.select
// CHECK: %[[A:.*]] = linalg.generic {{.*}} ins(%[[SN]], %[[SDS]]
// CHECK: arith.divf
// CHECK: %[[AV:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel"]}{{.*}} ins(%[[A]], %{{.*}} :
// CHECK: return %[[AV]]
func.func @attention(%q: tensor<1x4x?x16xf32>, %k: tensor<1x2x?x16xf32>, %v: tensor<1x2x?x16xf32>) -> tensor<1x4x?x16xf32> {
  %o = ein.attention %q, %k, %v {causal} : tensor<1x4x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32> -> tensor<1x4x?x16xf32>
  return %o : tensor<1x4x?x16xf32>
}
