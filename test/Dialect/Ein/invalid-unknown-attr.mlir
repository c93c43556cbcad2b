// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

// A misspelled attribute is an error with a suggestion, never a silent
// no-op (`casual` used to compile a non-causal kernel).

func.func @casual(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'ein.attention' op has unknown attribute 'casual'; did you mean 'causal'?}}
  %o = ein.attention %q, %k, %v {casual} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @sacle(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'ein.attention' op has unknown attribute 'sacle'; did you mean 'scale'?}}
  %o = ein.attention %q, %k, %v {sacle = 0.1 : f64} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @windw(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'ein.attention' op has unknown attribute 'windw'; did you mean 'window'?}}
  %o = ein.attention %q, %k, %v {windw = array<i64: 64, 0>} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

// Without a near miss, the message lists what the op takes.
func.func @unrelated(%q: tensor<1x2x8x4xf32>, %k: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32> {
  // expected-error @+1 {{'ein.attention' op has unknown attribute 'dropout' (it takes 'align', 'causal', 'scale', 'softcap', 'window')}}
  %o = ein.attention %q, %k, %v {dropout = 0.1 : f64} : tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32>, tensor<1x2x8x4xf32> -> tensor<1x2x8x4xf32>
  return %o : tensor<1x2x8x4xf32>
}

// -----

func.func @qmatmul(%x: tensor<?x64xf16>, %w: tensor<32x32xi8>, %s: tensor<32x2xf16>) -> tensor<?x32xf16> {
  // expected-error @+1 {{'ein.qmatmul' op has unknown attribute 'group_sise'}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int4, group_size = 32>) {group_sise = 64}
      : tensor<?x64xf16>, tensor<32x32xi8>, tensor<32x2xf16> -> tensor<?x32xf16>
  return %o : tensor<?x32xf16>
}

// -----

func.func @cascade(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'ein.cascade' op has unknown attribute 'rank'; did you mean 'ranks'?}}
  %r = ein.cascade [n] attributes {rank = 1} -> (tensor<4xf32>) {
    %y = ein.einsum copy(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @einsum(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    // expected-error @+1 {{'ein.einsum' op has unknown attribute 'inti'; did you mean 'init'?}}
    %y = ein.einsum copy(%x[n]) -> [n] attributes {inti = 1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

func.func @yield(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] -> (tensor<4xf32>) {
    %y = ein.einsum copy(%x[n]) -> [n] : (tensor<4xf32>) -> tensor<4xf32>
    // expected-error @+1 {{'ein.yield' op has unknown attribute 'x' (it takes none)}}
    ein.yield %y : tensor<4xf32> {x}
  }
  return %r : tensor<4xf32>
}

// -----

// Attributes with a dialect prefix are discardable and kept.
func.func @prefixed(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = ein.cascade [n] attributes {test.tag} -> (tensor<4xf32>) {
    %y = ein.einsum copy(%x[n]) -> [n] attributes {test.tag} : (tensor<4xf32>) -> tensor<4xf32>
    ein.yield %y : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
