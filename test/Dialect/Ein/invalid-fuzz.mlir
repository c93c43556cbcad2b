// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

// Regressions from fuzzing: inputs the verifier must reject.

// ein.extent directly in a cascade body is not lowered (the cascade body is
// inlined away), so it must sit in an Einsum's map region.
func.func @extent_in_cascade_body(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.extent' op must be inside the map region of an 'ein.einsum'}}
    %e = ein.extent "n" : index
    %y = ein.einsum copy(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// The same in a cascade nested in a map region: the nearest Einsum belongs
// to the outer cascade.
func.func @extent_in_nested_cascade_body(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum custom(%x[n]) -> [n] {
    ^bb0(%a: f32):
      %t = tensor.empty() : tensor<2xf32>
      %i = ein.cascade [m] -> (tensor<2xf32>) {
        // expected-error @+1 {{'ein.extent' op must be inside the map region of an 'ein.einsum'}}
        %e = ein.extent "m" : index
        ein.yield %t : tensor<2xf32>
      }
      ein.yield %a : f32
    } : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @zero_head_dim(%q: tensor<1x1x4x0xf32>, %k: tensor<1x1x4x0xf32>, %v: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  // expected-error @+1 {{'ein.attention' op query head dim must be positive}}
  %o = ein.attention %q, %k, %v : tensor<1x1x4x0xf32>, tensor<1x1x4x0xf32>, tensor<1x1x4x8xf32> -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
