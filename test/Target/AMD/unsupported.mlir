// What the AMD target does not take: a located `unsupported on amd:<chip>`
// error, a non-zero exit, and no files.
//
// RUN: rm -rf %t && split-file %s %t
// RUN: not einfuse-compile %t/einsum.mlir --target=amd:gfx942 -o %t/out 2>&1 | FileCheck %s --check-prefix=EINSUM
// RUN: not einfuse-compile %t/f32.mlir --target=amd:gfx942 -o %t/out 2>&1 | FileCheck %s --check-prefix=F32
// RUN: not einfuse-compile %t/headdim.mlir --target=amd:gfx90a -o %t/out 2>&1 | FileCheck %s --check-prefix=HEADDIM
// RUN: not einfuse-compile %t/softcap.mlir --target=amd:gfx942 -o %t/out 2>&1 | FileCheck %s --check-prefix=SOFTCAP
// RUN: not einfuse-compile %t/fp8.mlir --target=amd:gfx942 -o %t/out 2>&1 | FileCheck %s --check-prefix=FP8
// RUN: not einfuse-compile %t/qm-f32.mlir --target=amd:gfx942 -o %t/out 2>&1 | FileCheck %s --check-prefix=QMF32
// RUN: not einfuse-compile %t/qm-k.mlir --target=amd:gfx90a -o %t/out 2>&1 | FileCheck %s --check-prefix=QMK
// RUN: not einfuse-compile %t/qm-group.mlir --target=amd:gfx942 -o %t/out 2>&1 | FileCheck %s --check-prefix=QMGROUP
// RUN: not einfuse-compile %t/qm-n.mlir --target=amd:gfx942 -o %t/out 2>&1 | FileCheck %s --check-prefix=QMN
// RUN: not einfuse-compile %t/qm-extra.mlir --target=amd:gfx942 -o %t/out 2>&1 | FileCheck %s --check-prefix=QMEXTRA
// RUN: not test -e %t/out

//--- einsum.mlir
// EINSUM: einsum.mlir:2:1: error: unsupported on amd:gfx942: a kernel for this target must be one ein.attention or one ein.qmatmul on the function's arguments
func.func @rowsum(%x: tensor<?x3xf16>) -> tensor<?xf16> {
  %r = ein.cascade [n, c] -> (tensor<?xf16>) {
    %s = ein.einsum copy(%x[n, c]) -> [n] sum[c]
        : (tensor<?x3xf16>) -> tensor<?xf16>
    ein.yield %s : tensor<?xf16>
  }
  return %r : tensor<?xf16>
}

//--- f32.mlir
// F32: f32.mlir:4:8: error: unsupported on amd:gfx942: element type 'f32' (the GPU kernels take f16 and bf16)
func.func @a(%q: tensor<1x1x16x64xf32>, %k: tensor<1x1x16x64xf32>,
             %v: tensor<1x1x16x64xf32>) -> tensor<1x1x16x64xf32> {
  %o = ein.attention %q, %k, %v
      : tensor<1x1x16x64xf32>, tensor<1x1x16x64xf32>, tensor<1x1x16x64xf32>
      -> tensor<1x1x16x64xf32>
  return %o : tensor<1x1x16x64xf32>
}

//--- headdim.mlir
// HEADDIM: headdim.mlir:4:8: error: unsupported on amd:gfx90a: head dim 96 (supported: 64 128)
func.func @a(%q: tensor<1x1x16x96xf16>, %k: tensor<1x1x16x96xf16>,
             %v: tensor<1x1x16x96xf16>) -> tensor<1x1x16x96xf16> {
  %o = ein.attention %q, %k, %v
      : tensor<1x1x16x96xf16>, tensor<1x1x16x96xf16>, tensor<1x1x16x96xf16>
      -> tensor<1x1x16x96xf16>
  return %o : tensor<1x1x16x96xf16>
}

//--- softcap.mlir
// SOFTCAP: softcap.mlir:4:8: error: unsupported on amd:gfx942: softcap
func.func @a(%q: tensor<1x1x16x64xf16>, %k: tensor<1x1x16x64xf16>,
             %v: tensor<1x1x16x64xf16>) -> tensor<1x1x16x64xf16> {
  %o = ein.attention %q, %k, %v {softcap = 30.0 : f64}
      : tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>, tensor<1x1x16x64xf16>
      -> tensor<1x1x16x64xf16>
  return %o : tensor<1x1x16x64xf16>
}

//--- fp8.mlir
// FP8: fp8.mlir:4:8: error: unsupported on amd:gfx942: weight format 'fp8_e4m3' (the MFMA qmatmul takes int8, int4 and uint4)
func.func @q(%x: tensor<4x64xf16>, %w: tensor<16x64xf8E4M3FN>,
             %s: tensor<16x2xf16>) -> tensor<4x16xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = fp8_e4m3, group_size = 32>)
      : tensor<4x64xf16>, tensor<16x64xf8E4M3FN>, tensor<16x2xf16>
      -> tensor<4x16xf16>
  return %o : tensor<4x16xf16>
}

//--- qm-f32.mlir
// QMF32: qm-f32.mlir:4:8: error: unsupported on amd:gfx942: input element type 'f32' (the MFMA qmatmul takes f16 and bf16)
func.func @q(%x: tensor<4x64xf32>, %w: tensor<16x64xi8>,
             %s: tensor<16x2xf32>) -> tensor<4x16xf32> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 32>)
      : tensor<4x64xf32>, tensor<16x64xi8>, tensor<16x2xf32>
      -> tensor<4x16xf32>
  return %o : tensor<4x16xf32>
}

//--- qm-k.mlir
// QMK: qm-k.mlir:4:8: error: unsupported on amd:gfx90a: K = 40 (the MFMA qmatmul needs a multiple of 16)
func.func @q(%x: tensor<4x40xf16>, %w: tensor<16x40xi8>,
             %s: tensor<16x5xf16>) -> tensor<4x16xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 8>)
      : tensor<4x40xf16>, tensor<16x40xi8>, tensor<16x5xf16>
      -> tensor<4x16xf16>
  return %o : tensor<4x16xf16>
}

//--- qm-group.mlir
// QMGROUP: qm-group.mlir:4:8: error: unsupported on amd:gfx942: group_size 2 (the MFMA qmatmul needs a multiple of 4)
func.func @q(%x: tensor<4x32xf16>, %w: tensor<16x32xi8>,
             %s: tensor<16x16xf16>) -> tensor<4x16xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 2>)
      : tensor<4x32xf16>, tensor<16x32xi8>, tensor<16x16xf16>
      -> tensor<4x16xf16>
  return %o : tensor<4x16xf16>
}

//--- qm-n.mlir
// QMN: qm-n.mlir:4:8: error: unsupported on amd:gfx942: N = 6 (the MFMA qmatmul needs a multiple of 4)
func.func @q(%x: tensor<4x32xf16>, %w: tensor<6x32xi8>,
             %s: tensor<6x1xf16>) -> tensor<4x6xf16> {
  %o = ein.qmatmul %x, %w scales(%s)
      format(#ein.qformat<kind = int8, group_size = 32>)
      : tensor<4x32xf16>, tensor<6x32xi8>, tensor<6x1xf16>
      -> tensor<4x6xf16>
  return %o : tensor<4x6xf16>
}

//--- qm-extra.mlir
// QMEXTRA: qm-extra.mlir:2:1: error: unsupported on amd:gfx942: a qmatmul kernel must be one ein.qmatmul on the function's arguments whose result it returns
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
