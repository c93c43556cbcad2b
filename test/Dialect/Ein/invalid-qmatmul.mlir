// RUN: einfuse-opt %s -split-input-file -verify-diagnostics

func.func @rank(%x: tensor<2x4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op input, weight, scales and result must have rank 2}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<2x4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @input_complex(%x: tensor<4x128xcomplex<f32>>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op unsupported input element type 'complex<f32>' (expected f32, f16, bf16, i8 or f8E4M3FN)}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xcomplex<f32>>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @input_index(%x: tensor<4x128xindex>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op unsupported input element type 'index' (expected f32, f16, bf16, i8 or f8E4M3FN)}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xindex>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @fp8_storage(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op weight format 'fp8_e4m3' is stored as 'f8E4M3FN', got 'i8'}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = fp8_e4m3, group_size = 64>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @int4_storage(%x: tensor<4x128xf32>, %w: tensor<16x64xi4>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op weight format 'int4' is stored as 'i8', got 'i4'}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int4, group_size = 64>) : tensor<4x128xf32>, tensor<16x64xi4>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @scale_type(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xi8>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op unsupported scale element type 'i8'}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xi8> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @result_type(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xi32> {
  // expected-error @+1 {{'ein.qmatmul' op unsupported result element type 'i32'}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xi32>
  return %o : tensor<4x16xi32>
}

// -----

func.func @dynamic_k(%x: tensor<4x?xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op K, the weight and the scales must be static}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x?xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @dynamic_weight(%x: tensor<4x128xf32>, %w: tensor<?x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op K, the weight and the scales must be static}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xf32>, tensor<?x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @odd_k(%x: tensor<4x7xf32>, %w: tensor<16x4xi8>, %s: tensor<16x7xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op K (7) must be even for 4-bit weights}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = uint4, group_size = 1>) : tensor<4x7xf32>, tensor<16x4xi8>, tensor<16x7xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @weight_k(%x: tensor<4x128xf32>, %w: tensor<16x64xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op weight holds 64 values along K but the input has K = 128}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xf32>, tensor<16x64xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @packed_weight_k(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op weight holds 256 values along K but the input has K = 128}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int4, group_size = 64>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @group_size(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op group_size 48 does not divide K = 128}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 48>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @group_larger_than_k(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op group_size 256 does not divide K = 128}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 256>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @scales_shape(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x4xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op scales must be [N, K / group_size] = [16, 2]}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x4xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @scales_n(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<8x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op scales must be [N, K / group_size] = [16, 2]}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<8x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @unexpected_zero_points(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>, %z: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op has zero points but its format says zero_point = false}}
  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @zero_point_type(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>, %z: tensor<16x2xf16>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op zero points must have the type of the scales}}
  %o = ein.qmatmul %x, %w scales(%s) zero_points(%z) format(#ein.qformat<kind = int8, group_size = 64, zero_point = true>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32>, tensor<16x2xf16> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @missing_zero_points(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op format says zero_point = true but no zero points are given}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64, zero_point = true>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

// -----

func.func @result_n(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'ein.qmatmul' op result must be [M, N] = [4, 16]}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<4x8xf32>
  return %o : tensor<4x8xf32>
}

// -----

func.func @result_m(%x: tensor<4x128xf32>, %w: tensor<16x128xi8>, %s: tensor<16x2xf32>) -> tensor<5x16xf32> {
  // expected-error @+1 {{'ein.qmatmul' op result must be [M, N] = [4, 16]}}
  %o = ein.qmatmul %x, %w scales(%s) format(#ein.qformat<kind = int8, group_size = 64>) : tensor<4x128xf32>, tensor<16x128xi8>, tensor<16x2xf32> -> tensor<5x16xf32>
  return %o : tensor<5x16xf32>
}
