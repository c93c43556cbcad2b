// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

func.func @query_rank(%q: tensor<8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op query must have rank 4 [batch, heads, sequence, head_dim], got rank 3}}
  %o = ein.attention %q, %k, %v : tensor<8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<8x16x64xf32>
  return %o : tensor<8x16x64xf32>
}

// -----

func.func @result_rank(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64x1xf32> {
  // expected-error @+1 {{'ein.attention' op result must have rank 4 [batch, heads, sequence, head_dim], got rank 5}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64x1xf32>
  return %o : tensor<2x8x16x64x1xf32>
}

// -----

func.func @f64_query(%q: tensor<2x8x16x64xf64>, %k: tensor<2x2x32x64xf64>, %v: tensor<2x2x32x64xf64>) -> tensor<2x8x16x64xf64> {
  // expected-error @+1 {{'ein.attention' op unsupported element type 'f64' for query (expected f32, f16 or bf16)}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf64>, tensor<2x2x32x64xf64>, tensor<2x2x32x64xf64> -> tensor<2x8x16x64xf64>
  return %o : tensor<2x8x16x64xf64>
}

// -----

func.func @i8_value(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xi8>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op unsupported element type 'i8' for value (expected f32, f16 or bf16)}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xi8> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @mixed_types(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf16>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op key has element type 'f16' but query has 'f32'}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf16>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @result_type(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xbf16> {
  // expected-error @+1 {{'ein.attention' op result has element type 'bf16' but query has 'f32'}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xbf16>
  return %o : tensor<2x8x16x64xbf16>
}

// -----

func.func @dynamic_heads(%q: tensor<2x?x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op query must have static head count}}
  %o = ein.attention %q, %k, %v : tensor<2x?x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @dynamic_head_dim(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x?xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op key must have static head dim}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x?xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @kv_heads(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x4x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op key has 2 heads but value has 4}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x4x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @gqa_ratio(%q: tensor<2x6x16x64xf32>, %k: tensor<2x4x32x64xf32>, %v: tensor<2x4x32x64xf32>) -> tensor<2x6x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op query heads (6) must be a multiple of key/value heads (4)}}
  %o = ein.attention %q, %k, %v : tensor<2x6x16x64xf32>, tensor<2x4x32x64xf32>, tensor<2x4x32x64xf32> -> tensor<2x6x16x64xf32>
  return %o : tensor<2x6x16x64xf32>
}

// -----

// Zero key/value heads once divided by zero in the verifier.
func.func @zero_kv_heads(%q: tensor<2x8x16x64xf32>, %k: tensor<2x0x32x64xf32>, %v: tensor<2x0x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op query heads (8) must be a multiple of key/value heads (0)}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x0x32x64xf32>, tensor<2x0x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @head_dim(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x32xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op query head dim (64) differs from key head dim (32)}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x32xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @batch(%q: tensor<2x8x16x64xf32>, %k: tensor<3x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op batch sizes of query, key, value and result differ}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<3x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @result_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<4x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op batch sizes of query, key, value and result differ}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<4x8x16x64xf32>
  return %o : tensor<4x8x16x64xf32>
}

// -----

func.func @kv_length(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x31x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op key and value sequence lengths differ}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x31x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @result_heads(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x2x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op result must be [batch, query heads, query length, value head dim]}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x2x16x64xf32>
  return %o : tensor<2x2x16x64xf32>
}

// -----

func.func @result_length(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x32x64xf32> {
  // expected-error @+1 {{'ein.attention' op result must be [batch, query heads, query length, value head dim]}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x32x64xf32>
  return %o : tensor<2x8x32x64xf32>
}

// -----

func.func @result_value_dim(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x128xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op result must be [batch, query heads, query length, value head dim]}}
  %o = ein.attention %q, %k, %v : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x128xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @zero_scale(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op scale must be finite and non-zero}}
  %o = ein.attention %q, %k, %v {scale = 0.0 : f64} : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @inf_scale(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op scale must be finite and non-zero}}
  %o = ein.attention %q, %k, %v {scale = 0x7FF0000000000000 : f64} : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @negative_softcap(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op softcap must be finite and positive}}
  %o = ein.attention %q, %k, %v {softcap = -30.0 : f64} : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @nan_softcap(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op softcap must be finite and positive}}
  %o = ein.attention %q, %k, %v {softcap = 0x7FF8000000000000 : f64} : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @window_size(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op window must be [left, right], got 3 values}}
  %o = ein.attention %q, %k, %v {window = array<i64: 4, 0, 1>} : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @window_negative(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op window sizes must be >= 0, or -1 for unbounded}}
  %o = ein.attention %q, %k, %v {window = array<i64: -2, 0>} : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}

// -----

func.func @f32_scale_attr(%q: tensor<2x8x16x64xf32>, %k: tensor<2x2x32x64xf32>, %v: tensor<2x2x32x64xf32>) -> tensor<2x8x16x64xf32> {
  // expected-error @+1 {{'ein.attention' op attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  %o = ein.attention %q, %k, %v {scale = 0.5 : f32} : tensor<2x8x16x64xf32>, tensor<2x2x32x64xf32>, tensor<2x2x32x64xf32> -> tensor<2x8x16x64xf32>
  return %o : tensor<2x8x16x64xf32>
}
