// Upstream MLIR 22's parser dies (SIGSEGV) on a dense array of index
// elements; our tools refuse it with a located error before parsing.
// RUN: not einfuse-opt %s 2>&1 | FileCheck %s
// RUN: not einfuse-compile %s --target=cpu -o %t.dir 2>&1 | FileCheck %s
// RUN: not test -e %t.dir
// RUN: sed 's/array<index: 3>/array<!idx: 3>/' %s > %t.alias.mlir
// RUN: echo '!idx = index' | cat - %t.alias.mlir > %t.alias2.mlir
// RUN: not einfuse-opt %t.alias2.mlir 2>&1 | FileCheck %s --check-prefix=ALIAS
// CHECK: dense-array-index.mlir:[[@LINE+3]]:43: error: unsupported: a dense array of 'index' elements (use i64)
// ALIAS: error: unsupported: a dense array of 'index' elements (use i64)
func.func @f(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  %o = ein.attention %q, %k, %v {window = array<index: 3>} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}
