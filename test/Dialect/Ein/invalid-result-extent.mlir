// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

// The result's ranks in the wrong order: `c` is 64 (from %x), so the
// result [c, n] is 64 x ?, not ? x 64. It used to verify, and the kernel
// wrote past the end of its output.
func.func @swapped(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = ein.cascade [n, c] -> (tensor<?x64xf32>) {
    // expected-error @+1 {{'ein.einsum' op result dimension #0 is indexed by rank 'c', whose extent is 64, but its type leaves it dynamic ('?'); write 64 (are the result's ranks in the order of its type?)}}
    %y = ein.einsum exp(%x[n, c]) -> [c, n] : (tensor<?x64xf32>) -> tensor<?x64xf32>
    ein.yield %y : tensor<?x64xf32>
  }
  return %r : tensor<?x64xf32>
}

// -----

// A static extent declared by the cascade counts too.
func.func @declared(%x: tensor<?xf32>) -> tensor<?xf32> {
  %r = ein.cascade [n = 8] -> (tensor<?xf32>) {
    // expected-error @+1 {{result dimension #0 is indexed by rank 'n', whose extent is 8}}
    %y = ein.einsum exp(%x[n]) -> [n] : (tensor<?xf32>) -> tensor<?xf32>
    ein.yield %y : tensor<?xf32>
  }
  return %r : tensor<?xf32>
}

// -----

func.func @attention_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<?x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op result dimension #0 is dynamic ('?') but the operands fix it to 2; write 2}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<?x8x16x64xf32>
  return %o : tensor<?x8x16x64xf32>
}

// -----

func.func @attention_queries(%q: tensor<?x8x16x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>) -> tensor<?x8x?x64xf32> {
  // expected-error @+1 {{'ein.attention' op result dimension #2 is dynamic ('?') but the operands fix it to 16; write 16}}
  %o = ein.attention %q, %k, %v : tensor<?x8x16x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32> -> tensor<?x8x?x64xf32>
  return %o : tensor<?x8x?x64xf32>
}

// -----

func.func @qmatmul_rows(%x: tensor<4x64xf16>, %w: tensor<32x32xi8>, %s: tensor<32x2xf16>) -> tensor<?x32xf16> {
  // expected-error @+1 {{'ein.qmatmul' op result dimension #0 is dynamic ('?') but the input fixes it to 4; write 4}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int4, group_size = 32>)
      : tensor<4x64xf16>, tensor<32x32xi8>, tensor<32x2xf16> -> tensor<?x32xf16>
  return %o : tensor<?x32xf16>
}

// -----

// A compound rank expression that leaves its operand is caught by the
// verifier, not first by the lowering.
func.func @out_of_bounds(%x: tensor<8xf32>, %z: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %r = ein.cascade [p, m] -> (tensor<8x8xf32>) {
    // expected-error @+1 {{'ein.einsum' op operand #0 is indexed out of bounds: 'p - m + 8' ranges over [1, 15] but dimension #0 has size 8}}
    %y = ein.einsum add(%x[p - m + 8], %z[p, m]) -> [p, m] : (tensor<8xf32>, tensor<8x8xf32>) -> tensor<8x8xf32>
    ein.yield %y : tensor<8x8xf32>
  }
  return %r : tensor<8x8xf32>
}
