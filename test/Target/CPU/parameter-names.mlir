// The header names parameters as the source does: the `ein.name` attribute,
// else the argument's SSA name, else in<i> / out (out<i> for several
// results). Names that would collide with another parameter's fall back.
// The JSON signature beside the header says the same for bindings.
// RUN: rm -rf %t && einfuse-compile %s --target=cpu -o %t --name=names
// RUN: FileCheck %s --check-prefix=HEADER < %t/names.h
// RUN: FileCheck %s --check-prefix=JSON < %t/names.json
// RUN: %cc -std=c99 -Wall -Wextra -Werror -c -I%t %t/names.c -o %t/names.launcher.o
// Two parameters with the same explicit name are an error.
// RUN: not einfuse-compile %S/Inputs/duplicate-names.mlir --target=cpu -o %t/dup 2>&1 | FileCheck %s --check-prefix=DUP
// RUN: not test -e %t/dup

// HEADER:      /* named:
// HEADER-NEXT:  *   x_in   (in)  f32[?, 8]
// HEADER-NEXT:  *   weight (in)  f32[8]
// HEADER-NEXT:  *   y      (out) f32[?]
// HEADER:      einfuse_status named(const float *x_in, int64_t x_in_dim0, const float *weight, float *y, int64_t y_dim0);
// HEADER:      einfuse_status collide(const float *x, int64_t x_dim0, const float *in1, int64_t in1_dim0, float *out, int64_t out_dim0);
// HEADER:      einfuse_status two(const float *a, float *out0, float *out1);
// HEADER:      /* qm:
// HEADER-NEXT:  *   act    (in)  f32[2, 64]
// HEADER-NEXT:  *   w      (in)  i8[16, 32]
// HEADER-NEXT:  *          quantized weights [N, K], packed: two signed 4-bit values per byte along K, low nibble first (K/2 bytes per row)
// HEADER-NEXT:  *   scales (in)  f32[16, 2]
// HEADER-NEXT:  *          dequantization scales [N, K/32]: one per group of 32 along K
// HEADER-NEXT:  *   out    (out) f32[2, 16]

// JSON:      "abi_version": 1
// JSON:      "format": "einfuse-signature"
// JSON:      "kernels": [
// JSON:      "name": "x_in"
// JSON-NEXT: "role": "input"
// JSON-NEXT: "shape": [
// JSON-NEXT:   null,
// JSON-NEXT:   8
// JSON:      "name": "named"
// JSON:      "params": [
// JSON:        "kind": "buffer"
// JSON:        "name": "x_in"
// JSON:        "dim": 0,
// JSON:        "kind": "size",
// JSON:        "name": "x_in_dim0"
// JSON:      "size_groups": [
// JSON:        "dims": [
// JSON-NEXT:     [
// JSON-NEXT:       0,
// JSON-NEXT:       0
// JSON-NEXT:     ],
// JSON-NEXT:     [
// JSON-NEXT:       2,
// JSON-NEXT:       0
// JSON:      "note": "quantized weights [N, K], packed
// JSON:      "runtime": "host",
// JSON:      "status_codes": {
// JSON:        "-2": "sizes that must agree
// JSON:      "target": "cpu:x86-64-v3"

// DUP: duplicate-names.mlir:{{[0-9]+}}:{{[0-9]+}}: error: 'ein.name' of argument #1 is 'a', which collides with another parameter of kernel 'dup'

func.func @named(%x_in: tensor<?x8xf32>, %w: tensor<8xf32> {ein.name = "weight"})
    -> (tensor<?xf32> {ein.name = "y"}) {
  %r = ein.cascade [n, c] -> (tensor<?xf32>) {
    %s = ein.einsum mul(%x_in[n, c], %w[c]) -> [n] sum[c]
        : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// %x_dim0 would collide with the size parameter of %x.
func.func @collide(%x: tensor<?xf32>, %x_dim0: tensor<?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n] -> (tensor<?xf32>) {
    %s = ein.einsum add(%x[n], %x_dim0[n]) -> [n] : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>
    ein.yield %s : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

func.func @two(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r:2 = ein.cascade [n] -> (tensor<4xf32>, tensor<4xf32>) {
    %s = ein.einsum copy(%a[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    %t = ein.einsum neg(%a[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %s, %t : tensor<4xf32>, tensor<4xf32>
  }
  return %r#0, %r#1 : tensor<4xf32>, tensor<4xf32>
}

func.func @qm(%act: tensor<2x64xf32>, %w: tensor<16x32xi8>, %scales: tensor<16x2xf32>) -> tensor<2x16xf32> {
  %o = ein.qmatmul %act, %w scales(%scales) format(#ein.qformat<kind = int4, group_size = 32, zero_point = false>)
      : tensor<2x64xf32>, tensor<16x32xi8>, tensor<16x2xf32> -> tensor<2x16xf32>
  return %o : tensor<2x16xf32>
}
