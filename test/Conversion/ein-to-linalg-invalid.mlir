// RUN: einfuse-opt %s --convert-ein-to-linalg --split-input-file -verify-diagnostics

func.func @compound_only_rank(%x: tensor<8x256xf32>) -> tensor<8x4xf32> {
  // A rank only compound expressions index needs a declared extent (or a
  // tensor another Einsum indexes by it plainly).
  %r = ein.cascade [n, m1, m0] -> (tensor<8x4xf32>) {
    // expected-error @+1 {{'ein.einsum' op cannot infer the extent of rank 'm0': no tensor before it in the cascade is indexed by it as a plain rank and the cascade declares no extent for it}}
    %y = ein.einsum copy(%x[n, m1 * 64 + m0]) -> [n, m1] max[m0] : (tensor<8x256xf32>) -> tensor<8x4xf32>
    ein.yield %y : tensor<8x4xf32>
  }
  return %r : tensor<8x4xf32>
}

// -----

func.func @attention_not_decomposed(%q: tensor<1x1x4x8xf32>, %k: tensor<1x1x4x8xf32>, %v: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{'ein.attention' op must be decomposed into a cascade first (run --ein-decompose)}}
  %o = ein.attention %q, %k, %v : tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}

// -----

func.func @qmatmul_not_decomposed(%x: tensor<4x64xf32>, %w: tensor<16x64xi8>, %s: tensor<16x1xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op must be decomposed into a cascade first (run --ein-decompose)}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x64xf32>, tensor<16x64xi8>, tensor<16x1xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @cast_to_fp8(%x: tensor<4xf32>) -> tensor<4xf8E4M3FN> {
  %r = ein.cascade [n] -> (tensor<4xf8E4M3FN>) {
    // expected-error @+1 {{'ein.einsum' op unsupported: casting to f8E4M3FN is not lowered}}
    %y = ein.einsum cast(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf8E4M3FN>
    ein.yield %y : tensor<4xf8E4M3FN>
  }
  return %r : tensor<4xf8E4M3FN>
}

// -----

// A broadcast rank of dynamic size has no tensor to take its size from.
func.func @unknown_extent(%x: tensor<8xf32>) -> tensor<?x8xf32> {
  %r = ein.cascade [n, c] -> (tensor<?x8xf32>) {
    // expected-error @+1 {{'ein.einsum' op cannot infer the extent of rank 'n': no tensor before it in the cascade is indexed by it as a plain rank and the cascade declares no extent for it}}
    %y = ein.einsum copy(%x[c]) -> [n, c] : (tensor<8xf32>) -> tensor<?x8xf32>
    ein.yield %y : tensor<?x8xf32>
  }
  return %r : tensor<?x8xf32>
}

// -----

// The same for an ein.extent of a rank no tensor has.
func.func @unknown_extent_in_body(%x: tensor<8xf32>) -> tensor<8xf32> {
  %r = ein.cascade [c, z] -> (tensor<8xf32>) {
    // expected-error @+1 {{'ein.einsum' op cannot infer the extent of rank 'z'}}
    %y = ein.einsum custom(%x[c]) -> [c] {
    ^bb0(%a: f32):
      %e = ein.extent "z" : index
      %i = arith.index_cast %e : index to i32
      %f = arith.sitofp %i : i32 to f32
      %s = arith.addf %a, %f : f32
      ein.yield %s : f32
    } : (tensor<8xf32>) -> tensor<8xf32>
    ein.yield %y : tensor<8xf32>
  }
  return %r : tensor<8xf32>
}
