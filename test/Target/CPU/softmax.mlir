// einfuse-compile --target=cpu on a hand-written softmax cascade and an
// integer row sum: two kernels in one module, dynamic sizes.
//
// RUN: rm -rf %t.dir
// RUN: einfuse-compile %s --target=cpu -o %t.dir --name=softmax
// RUN: FileCheck %s --check-prefix=HEADER < %t.dir/softmax.h
// RUN: FileCheck %s --check-prefix=LAUNCHER < %t.dir/softmax.c
//
// The launcher is valid C (and the header valid C++), warning-free.
// RUN: %cc -std=c99 -Wall -Wextra -Werror -c %t.dir/softmax.c -o %t.launcher.o
// RUN: %cc -x c++ -std=c++17 -Wall -Werror -fsyntax-only %t.dir/softmax.h
//
// The object exports the entry points the launcher calls, and nothing else
// (the launcher defines `softmax` and `rowsum` itself).
// RUN: llvm-nm --defined-only --extern-only --just-symbol-name %t.dir/softmax.o | FileCheck %s --check-prefix=SYMS
//
// Linked with a C main and run on inputs whose results are exact.
// RUN: %cc -std=c99 -I%t.dir %S/Inputs/softmax-main.c %t.dir/softmax.c %t.dir/softmax.o -lm -o %t.exe
// RUN: %t.exe | FileCheck %s --check-prefix=OUTPUT

// HEADER:      #ifndef EINFUSE_KERNEL_SOFTMAX_H
// HEADER:      #include <stdint.h>
// HEADER:      extern "C" {
// HEADER:      einfuse_status softmax(const float *x, int64_t x_dim0, int64_t x_dim1, float *out, int64_t out_dim0, int64_t out_dim1);
// HEADER:      einfuse_status rowsum(const int32_t *x, int64_t x_dim0, int32_t *out, int64_t out_dim0);
// HEADER:      #endif

// LAUNCHER:      #include "softmax.h"
// LAUNCHER-DAG:  typedef struct { void *allocated; void *aligned; int64_t offset; int64_t sizes[1]; int64_t strides[1]; } einfuse_memref_1;
// LAUNCHER-DAG:  typedef struct { void *allocated; void *aligned; int64_t offset; int64_t sizes[2]; int64_t strides[2]; } einfuse_memref_2;
// LAUNCHER:      extern void _mlir_ciface_softmax(einfuse_memref_2 *, einfuse_memref_2 *);
// LAUNCHER:      static int einfuse_run_softmax(const float *in0, int64_t in0_dim0, int64_t in0_dim1, float *out0, int64_t out0_dim0, int64_t out0_dim1) {
// LAUNCHER:        if (in0_dim0 < 0) return -1;
// LAUNCHER:        einfuse_memref_2 in0_desc = {(void *)in0, (void *)in0, 0, {in0_dim0, in0_dim1}, {0}};
// LAUNCHER-NEXT:   in0_desc.strides[1] = 1;
// LAUNCHER-NEXT:   in0_desc.strides[0] = in0_desc.strides[1] * in0_desc.sizes[1];
// LAUNCHER:        einfuse_memref_2 out0_desc = {(void *)out0, (void *)out0, 0, {out0_dim0, out0_dim1}, {0}};
// LAUNCHER:        _mlir_ciface_softmax(&in0_desc, &out0_desc);
// LAUNCHER-NEXT:   return 0;
// LAUNCHER:      extern void _mlir_ciface_rowsum(einfuse_memref_2 *, einfuse_memref_1 *);
// LAUNCHER:      einfuse_memref_2 in0_desc = {(void *)in0, (void *)in0, 0, {in0_dim0, 3}, {0}};
// LAUNCHER:      _mlir_ciface_rowsum(&in0_desc, &out0_desc);

// SYMS:      {{^}}_mlir_ciface_rowsum{{$}}
// SYMS-NEXT: {{^}}_mlir_ciface_softmax{{$}}
// SYMS-NOT:  {{.}}

// Softmax of a row of equal values is 1/n; a row with two equal maxima and
// the rest far below gives 1/2 and exact zeros.
// OUTPUT:      softmax
// OUTPUT-NEXT: 0.25 0.25 0.25 0.25
// OUTPUT-NEXT: 0.5 0 0.5 0
// OUTPUT-NEXT: 0.125 0.125 0.125 0.125 0.125 0.125 0.125 0.125
// OUTPUT-NEXT: rowsum
// OUTPUT-NEXT: 6 -15 2000000000
// OUTPUT-NEXT: bad size: -1

func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %r = ein.cascade [n, c] -> (tensor<?x?xf32>) {
    %m = ein.einsum copy(%x[n, c]) -> [n] max[c]
        : (tensor<?x?xf32>) -> tensor<?xf32>
    %e = ein.einsum custom(%x[n, c], %m[n]) -> [n, c] {
    ^bb0(%a: f32, %b: f32):
      %d = arith.subf %a, %b : f32
      %y = math.exp %d : f32
      ein.yield %y : f32
    } : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c]
        : (tensor<?x?xf32>) -> tensor<?xf32>
    %o = ein.einsum div(%e[n, c], %s[n]) -> [n, c]
        : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xf32>
    ein.yield %o : tensor<?x?xf32>
  }
  return %r : tensor<?x?xf32>
}

func.func @rowsum(%x: tensor<?x3xi32>) -> tensor<?xi32> {
  %r = ein.cascade [n, c] -> (tensor<?xi32>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c]
        : (tensor<?x3xi32>) -> tensor<?xi32>
    ein.yield %s : tensor<?xi32>
  }
  return %r : tensor<?xi32>
}
