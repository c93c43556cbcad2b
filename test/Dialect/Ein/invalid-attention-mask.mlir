// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

func.func @mask_type(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>, %mask: tensor<16x32xi8>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op mask must be i1 (a boolean mask) or 'f32' (an additive bias), got 'i8'}}
  %o = ein.attention %q, %k, %v mask(%mask : tensor<16x32xi8>) : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mask_float_type(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>, %mask: tensor<16x32xf16>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op mask must be i1 (a boolean mask) or 'f32' (an additive bias), got 'f16'}}
  %o = ein.attention %q, %k, %v mask(%mask : tensor<16x32xf16>) : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mask_rank(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>, %mask: tensor<8x16x32xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op mask must be [Sq, Sk] or [B, Hq, Sq, Sk], got rank 3}}
  %o = ein.attention %q, %k, %v mask(%mask : tensor<8x16x32xi1>) : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mask_shape(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>, %mask: tensor<32x16xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op mask shape does not match [Sq, Sk] or [B, Hq, Sq, Sk]}}
  %o = ein.attention %q, %k, %v mask(%mask : tensor<32x16xi1>) : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mask_heads(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>, %mask: tensor<2x2x16x32xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op mask shape does not match [Sq, Sk] or [B, Hq, Sq, Sk]}}
  %o = ein.attention %q, %k, %v mask(%mask : tensor<2x2x16x32xf32>) : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mask_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>, %mask: tensor<3x8x16x32xi1>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op mask shape does not match [Sq, Sk] or [B, Hq, Sq, Sk]}}
  %o = ein.attention %q, %k, %v mask(%mask : tensor<3x8x16x32xi1>) : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}
