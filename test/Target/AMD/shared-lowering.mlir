// What the hand-written AMD kernels do not take (cascades, f32, other head
// dims, softcap, fp8 weights, f32 activations, shapes off their tiles)
// goes through the shared GPU lowering: one kernel per function, named
// `<function>_kernel`, derived from the cascade.
//
// RUN: rm -rf %t && split-file %s %t
// RUN: for f in einsum f32 headdim softcap fp8 qm-f32 qm-k qm-group qm-n qm-extra; do einfuse-compile %t/$f.mlir --target=amd:gfx942 --emit=assembly -o %t/out-$f || exit 1; grep -h "^[a-z_0-9]*_kernel:" %t/out-$f/$f.s; done | FileCheck %s
// RUN: einfuse-compile %t/softcap.mlir --target=amd:gfx90a -o %t/out-90a
// RUN: llvm-readobj --file-headers %t/out-90a/softcap.hsaco | FileCheck %s --check-prefix=ELF

// CHECK: rowsum_kernel:
// CHECK-NEXT: {{[a-z]+}}_kernel:
// CHECK-NEXT: {{[a-z]+}}_kernel:
// CHECK-NEXT: {{[a-z]+}}_kernel:
// CHECK-NEXT: {{[a-z]+}}_kernel:
// CHECK-NEXT: {{[a-z]+}}_kernel:
// CHECK-NEXT: {{[a-z]+}}_kernel:
// CHECK-NEXT: {{[a-z]+}}_kernel:
// CHECK-NEXT: {{[a-z]+}}_kernel:
// CHECK-NEXT: {{[a-z]+}}_kernel:
// ELF: Machine: EM_AMDGPU

//--- einsum.mlir
func.func @rowsum(%x: tensor<?x3xf16>) -> tensor<?xf16> {
  %r = ein.cascade [n, c] -> (tensor<?xf16>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c]
        : (tensor<?x3xf16>) -> tensor<?xf16>
    ein.yield %s : tensor<?xf16>
  }
  return %r : tensor<?xf16>
}

//--- f32.mlir
func.func @a(%q: tensor<1x1x16x64xf32>, %k: tensor<1x1x16x64xf32>,
             %v: tensor<1x1x16x64xf32>) -> tensor<1x1x16x64xf32> {
  %o = ein.attention %q, %k, %v
      : tensor<1x1x16x64xf32>, tensor<1x1x16x64xf32>, tensor<1x1x16x64xf32>
      -> tensor<1x1x16x64xf32>
  return %o : tensor<1x1x16x64xf32>
}

//--- headdim.mlir
func.func @a(%q: tensor<1x1x16x96xf16>, %k: tensor<1x1x16x96xf16>,
             %v: tensor<1x1x16x96xf16>) -> tensor<1x1x16x96xf16> {
  %o = ein.attention %q, %k, %v
      : tensor<1x1x16x96xf16>, tensor<1x1x16x96xf16>, tensor<1x1x16x96xf16>
      -> tensor<1x1x16x96xf16>
  return %o : tensor<1x1x16x96xf16>
}

//--- softcap.mlir
func.func @a(%q: tensor<1x1x16x64xf16>, %k: tensor<1x1x16x64xf16>,
             %v: tensor<1x1x16x64xf16>) -> tensor<1x1x16x64xf16> {
  %o = ein.attention %q, %k, %v {softcap = 30.0 : f64}
      : tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>
      -> tensor<1x1x16x64xf16>
  return %o : tensor<1x1x16x64xf16>
}

//--- fp8.mlir
func.func @q(%x: tensor<4x64xf16>, %w: tensor<16x64xf8E4M3FN>,
             %s: tensor<16x2xf16>) -> tensor<4x16xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = fp8_e4m3, group_size = 32>)
      : tensor<4x64xf16>, tensor<16x64xf8E4M3FN>, tensor<16x2xf16>
      -> tensor<4x16xf16>
  return %o : tensor<4x16xf16>
}

//--- qm-f32.mlir
func.func @q(%x: tensor<4x64xf32>, %w: tensor<16x64xi8>,
             %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 32>)
      : tensor<4x64xf32>, tensor<16x64xi8>, tensor<16x2xf32>
      -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

//--- qm-k.mlir
func.func @q(%x: tensor<4x40xf16>, %w: tensor<16x40xi8>,
             %s: tensor<16x5xf16>) -> tensor<4x16xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 8>)
      : tensor<4x40xf16>, tensor<16x40xi8>, tensor<16x5xf16>
      -> tensor<4x16xf16>
  return %o : tensor<4x16xf16>
}

//--- qm-group.mlir
func.func @q(%x: tensor<4x32xf16>, %w: tensor<16x32xi8>,
             %s: tensor<16x16xf16>) -> tensor<4x16xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 2>)
      : tensor<4x32xf16>, tensor<16x32xi8>, tensor<16x16xf16>
      -> tensor<4x16xf16>
  return %o : tensor<4x16xf16>
}

//--- qm-n.mlir
func.func @q(%x: tensor<4x32xf16>, %w: tensor<6x32xi8>,
             %s: tensor<6x1xf16>) -> tensor<4x6xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 32>)
      : tensor<4x32xf16>, tensor<6x32xi8>, tensor<6x1xf16>
      -> tensor<4x6xf16>
  return %o : tensor<4x6xf16>
}

//--- qm-extra.mlir
func.func @q(%x: tensor<4x32xf16>, %w: tensor<16x32xi8>,
             %s: tensor<16x1xf16>) -> tensor<4x16xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 32>)
      : tensor<4x32xf16>, tensor<16x32xi8>, tensor<16x1xf16>
      -> tensor<4x16xf16>
  %p = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 32>)
      : tensor<4x32xf16>, tensor<16x32xi8>, tensor<16x1xf16>
      -> tensor<4x16xf16>
  return %p : tensor<4x16xf16>
}
