// The launcher checks the sizes a cascade ties together (the same rank in
// several buffers) before any work, and identity kernels lower (a body that
// returns its argument used to leave unrealized casts behind).
//
// RUN: rm -rf %t.dir
// RUN: einfuse-compile %s --target=cpu -o %t.dir
// RUN: FileCheck %s --check-prefix=LAUNCHER < %t.dir/size-checks.c
// RUN: %cc -std=c99 -Wall -Wextra -Werror -I%t.dir %S/Inputs/size-checks-main.c %t.dir/size-checks.c %t.dir/size-checks.o -lm -o %t.exe
// RUN: %t.exe | FileCheck %s --check-prefix=OUTPUT

// LAUNCHER-LABEL: static int einfuse_run_add(
// LAUNCHER:       if (in1_dim0 != in0_dim0) return -2;
// LAUNCHER-NEXT:  if (out0_dim0 != in0_dim0) return -2;
// LAUNCHER-LABEL: static int einfuse_run_rows(
// LAUNCHER:       if (in0_dim1 != 16) return -2;

// OUTPUT:      add short y -2
// OUTPUT-NEXT: add short out -2
// OUTPUT-NEXT: add untouched 1
// OUTPUT-NEXT: add ok 0: 11 22 33
// OUTPUT-NEXT: rows wrong width -2
// OUTPUT-NEXT: rows ok 0: 16 32
// OUTPUT-NEXT: ident ok 0: 1 2 3 4

func.func @add(%x: tensor<?xf32>, %y: tensor<?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n] -> (tensor<?xf32>) {
    %s = ein.einsum add(%x[n], %y[n]) -> [n] : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// The width of %x is dynamic in its type but tied to 16 by %w.
func.func @rows(%x: tensor<?x?xf32>, %w: tensor<16xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?xf32>) {
    %s = ein.einsum mul(%x[n, c], %w[c]) -> [n] sum[c] : (tensor<?x?xf32>, tensor<16xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

func.func @ident(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum copy(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
