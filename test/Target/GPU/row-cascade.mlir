// A row-wise cascade (softmax, bf16 in and out, f32 inside) through the
// shared GPU lowering for all four chips: a block of 256 threads per row
// (the grid is the row count), each lane reading and writing 16 bytes of
// the row per access (ld/st.global.v4 on NVIDIA, global_load/store_dwordx4
// on AMD), the block's subgroups combining through workgroup memory
// between barriers (one buffer serves both combines: 4 floats on AMD),
// the division by the row's sum a product with its reciprocal, and no
// scratch on AMD.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: einfuse-compile %s --target=nvidia:sm_80,sm_90a -o %t/nv
// RUN: FileCheck %s --check-prefix=PTX < %t/nv/row-cascade.sm_80.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t/nv/row-cascade.sm_90a.ptx
// RUN: FileCheck %s --check-prefix=LAUNCH < %t/nv/row-cascade.c
// RUN: einfuse-compile %s --target=amd:gfx942 -o %t/942
// RUN: FileCheck %s --check-prefix=ISA < %t/942/row-cascade.s
// RUN: einfuse-compile %s --target=amd:gfx90a -o %t/90a
// RUN: FileCheck %s --check-prefix=ISA < %t/90a/row-cascade.s

// PTX-LABEL: .visible .entry softmax_bf16_kernel(
// PTX:       .shared .align 16 .b8 __wg_softmax_bf16_kernel_0[32];
// PTX-DAG:   ld.global.v4.b32
// PTX-DAG:   bar.sync 	0;
// PTX-DAG:   ex2.approx.f32
// PTX-DAG:   rcp.rn.f32
// PTX-DAG:   st.global.v4.b32
// PTX-NOT:   div.rn.f32

// LAUNCH: int64_t gx = ((int64_t)in0_dim0), gy = ((int64_t)1LL), gz = ((int64_t)1LL);
// LAUNCH: (unsigned)gx, (unsigned)gy, (unsigned)gz, 256, 1, 1,

// ISA-LABEL: softmax_bf16_kernel:
// ISA-DAG:   global_load_dwordx4
// ISA-DAG:   s_barrier
// ISA-DAG:   ds_write_b32
// ISA-DAG:   global_store_dwordx4
// ISA:       .group_segment_fixed_size: 16
// ISA:       .name: softmax_bf16_kernel
// ISA-NEXT:  .private_segment_fixed_size: 0
// ISA:       .vgpr_spill_count: 0
func.func @softmax_bf16(%x: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %r = ein.cascade [n, c] -> (tensor<?x?xbf16>) {
    %gm = ein.einsum custom(%x[n, c]) -> [n] max[c] {
    ^bb0(%xa_h: bf16):
      %xa = arith.extf %xa_h : bf16 to f32
      ein.yield %xa : f32
    }
        : (tensor<?x?xbf16>) -> tensor<?xf32>
    %e = ein.einsum custom(%x[n, c], %gm[n]) -> [n, c] {
    ^bb0(%xa_h: bf16, %ma: f32):
      %xa = arith.extf %xa_h : bf16 to f32
      %da = arith.subf %xa, %ma : f32
      %ea = math.exp %da : f32
      ein.yield %ea : f32
    }
        : (tensor<?x?xbf16>, tensor<?xf32>) -> tensor<?x?xf32>
    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c]
        : (tensor<?x?xf32>) -> tensor<?xf32>
    %o = ein.einsum custom(%e[n, c], %s[n]) -> [n, c] {
    ^bb0(%ea: f32, %sa: f32):
      %qa = arith.divf %ea, %sa : f32
      %res_t = arith.truncf %qa : f32 to bf16
      ein.yield %res_t : bf16
    }
        : (tensor<?x?xf32>, tensor<?xf32>) -> tensor<?x?xbf16>
    ein.yield %o : tensor<?x?xbf16>
  }
  return %r : tensor<?x?xbf16>
}

