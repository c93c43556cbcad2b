// RUN: einfuse-opt %s --einfuse-cpu-pipeline="threads=true" -o /dev/null 2>&1 | FileCheck %s
// RUN: einfuse-opt %s --einfuse-cpu-pipeline="threads=true workers=2" -o /dev/null 2>&1 | FileCheck %s --allow-empty --check-prefix=SPLIT

// Decode attention (one query): the online iteration's tiles follow one
// another, and a thread team per tile cost more than the tile (4x slower
// on 2 threads than on 1), so the loops inside it run on one thread and a
// remark says where the threads could go. Split across workers, the
// workers' loop takes the threads and nothing is said.
// CHECK: threads-remark.mlir:[[@LINE+3]]:10: remark: threads: the loops inside this sequential loop run on one thread (the tiles of an iteration follow one another; workers=P splits an iteration across threads)
// SPLIT-NOT: remark
func.func @decode(%q: tensor<1x1x1x128xf32>, %k: tensor<1x1x?x128xf32>, %v: tensor<1x1x?x128xf32>) -> tensor<1x1x1x128xf32> {
  %out = ein.attention %q, %k, %v : tensor<1x1x1x128xf32>, tensor<1x1x?x128xf32>, tensor<1x1x?x128xf32> -> tensor<1x1x1x128xf32>
  return %out : tensor<1x1x1x128xf32>
}
