// einfuse-compile --target=cpu on ein.attention: grouped-query attention
// (2 query heads share 1 key/value head) with dynamic sequence lengths.
//
// RUN: rm -rf %t.dir
// RUN: einfuse-compile %s --target=cpu -o %t.dir
// RUN: FileCheck %s --check-prefix=HEADER < %t.dir/attention.h
// RUN: FileCheck %s --check-prefix=LAUNCHER < %t.dir/attention.c
// RUN: %cc -std=c99 -Wall -Wextra -Werror -c %t.dir/attention.c -o %t.launcher.o
// RUN: llvm-nm --defined-only --extern-only --just-symbol-name %t.dir/attention.o | FileCheck %s --check-prefix=SYMS
// RUN: %cc -std=c99 -I%t.dir %S/Inputs/attention-main.c %t.dir/attention.c %t.dir/attention.o -lm -o %t.exe
// RUN: %t.exe | FileCheck %s --check-prefix=OUTPUT

// The base name defaults to the input's stem; only dynamic dims get a size.
// HEADER:      #ifndef EINFUSE_KERNEL_ATTENTION_H
// HEADER:      typedef enum einfuse_status {
// HEADER:        EINFUSE_ERROR_SIZE_MISMATCH = -2,
// HEADER:        EINFUSE_ERROR_NULL_POINTER = -6,
// HEADER:        EINFUSE_ERROR_TOO_LARGE = -7,
// HEADER:      static inline const char *einfuse_status_message(int status) {
// HEADER:      #define ATTENTION_EINFUSE_VERSION "{{[0-9]+\.[0-9]+\.[0-9]+}}"
// HEADER-NEXT: #define ATTENTION_EINFUSE_TARGET "cpu:x86-64-v3"
// HEADER:      /* attention:
// HEADER-NEXT:  *   q   (in)  f32[1, 2, ?, 4]
// HEADER-NEXT:  *   k   (in)  f32[1, 1, ?, 4]
// HEADER-NEXT:  *   v   (in)  f32[1, 1, ?, 2]
// HEADER-NEXT:  *   out (out) f32[1, 2, ?, 2]
// HEADER:      einfuse_status attention(const float *q, int64_t q_dim2, const float *k, int64_t k_dim2, const float *v, int64_t v_dim2, float *out, int64_t out_dim2);

// LAUNCHER:      #include "attention.h"
// LAUNCHER:      typedef struct { void *allocated; void *aligned; int64_t offset; int64_t sizes[4]; int64_t strides[4]; } einfuse_memref_4;
// LAUNCHER:      extern void _mlir_ciface_attention(einfuse_memref_4 *, einfuse_memref_4 *, einfuse_memref_4 *, einfuse_memref_4 *);
// LAUNCHER:      static int einfuse_run_attention(
// Every size is checked before any work: negative (-1), sizes that must
// agree (-2: Sq of query and output, Sk of key and value), byte sizes that
// overflow even where another size is 0 (-7), NULL buffers with elements
// (-6).
// LAUNCHER:        if (!einfuse_cpu_supported()) return -8;
// LAUNCHER:        if (in0_dim2 < 0) return -1;
// LAUNCHER:        if (out0_dim2 < 0) return -1;
// LAUNCHER-NEXT:   if (out0_dim2 != in0_dim2) return -2;
// LAUNCHER-NEXT:   if (in2_dim2 != in1_dim2) return -2;
// LAUNCHER-NEXT:   int64_t in0_bytes = 32, in0_span = 32;
// LAUNCHER-NEXT:   if (__builtin_mul_overflow(in0_span, in0_dim2 ? in0_dim2 : 1, &in0_span)) return -7;
// LAUNCHER-NEXT:   in0_bytes *= in0_dim2;
// LAUNCHER-NEXT:   if (in0_bytes && !in0) return -6;
// LAUNCHER:        if (out0_bytes && !out0) return -6;
// LAUNCHER-NEXT:   einfuse_memref_4 in0_desc = {(void *)in0, (void *)in0, 0, {1, 2, in0_dim2, 4}, {0}};
// LAUNCHER-NEXT:   in0_desc.strides[3] = 1;
// LAUNCHER-NEXT:   in0_desc.strides[2] = in0_desc.strides[3] * in0_desc.sizes[3];
// LAUNCHER-NEXT:   in0_desc.strides[1] = in0_desc.strides[2] * in0_desc.sizes[2];
// LAUNCHER-NEXT:   in0_desc.strides[0] = in0_desc.strides[1] * in0_desc.sizes[1];
// LAUNCHER:        einfuse_memref_4 in2_desc = {(void *)in2, (void *)in2, 0, {1, 1, in2_dim2, 2}, {0}};
// LAUNCHER:        _mlir_ciface_attention(&in0_desc, &in1_desc, &in2_desc, &out0_desc);
// LAUNCHER-NEXT:   return 0;
// LAUNCHER:      einfuse_status attention(const float *q, int64_t q_dim2, const float *k, int64_t k_dim2, const float *v, int64_t v_dim2, float *out, int64_t out_dim2) {
// LAUNCHER-NEXT:   return (einfuse_status)einfuse_run_attention(q, q_dim2, k, k_dim2, v, v_dim2, out, out_dim2);

// SYMS:     {{^}}_mlir_ciface_attention{{$}}
// SYMS-NOT: {{.}}

// Head 0: query p matches key p so strongly (score 500 against 0) that the
// others' weights underflow to exactly 0: row p is value row p. Head 1: a
// zero query weighs the 4 keys equally: every row is the mean of the values.
// Bad calls return their code and leave the output as it was.
// OUTPUT:      negative -1
// OUTPUT-NEXT: short output -2
// OUTPUT-NEXT: short value -2
// OUTPUT-NEXT: null query -6
// OUTPUT-NEXT: huge -7
// OUTPUT-NEXT: empty null ok 0
// OUTPUT-NEXT: untouched 1
// OUTPUT-NEXT: head 0
// OUTPUT-NEXT: 1 0
// OUTPUT-NEXT: 2 8
// OUTPUT-NEXT: 3 0
// OUTPUT-NEXT: head 1
// OUTPUT-NEXT: 3 1
// OUTPUT-NEXT: 3 1
// OUTPUT-NEXT: 3 1

func.func @attention(%q: tensor<1x2x?x4xf32>, %k: tensor<1x1x?x4xf32>,
                     %v: tensor<1x1x?x2xf32>) -> tensor<1x2x?x2xf32> {
  %o = ein.attention %q, %k, %v
      : tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x2xf32>
      -> tensor<1x2x?x2xf32>
  return %o : tensor<1x2x?x2xf32>
}
