/* Calls the attention kernel of examples/attention_gpu.mlir through the
 * header and launcher einfuse-compile generates, and checks the last query
 * row of head 0 against a float reference.
 *   cc attention_cuda.c out/attention_gpu.c -Iout -lcuda -lpthread -lm */
#include "attention_gpu.h"
#include <math.h>
#include <stdio.h>
enum { B = 2, S = 300, HQ = 8, HKV = 2, D = 128, NQ = B * HQ * S * D, NK = B * HKV * S * D };
static uint16_t q[NQ], k[NK], v[NK], o[NQ];
static float f(uint16_t x) { union { uint32_t u; float f; } c = {(uint32_t)x << 16}; return c.f; }
static uint16_t bf(float x) { union { float f; uint32_t u; } c = {x}; return c.u >> 16; }
int main(void) {
  CUdevice dev; CUcontext ctx; CUdeviceptr dq, dk, dv, dout;
  for (int i = 0; i < NK; ++i) { k[i] = bf(sinf(i * 0.7f)); v[i] = bf(cosf(i * 0.3f)); }
  for (int i = 0; i < NQ; ++i) q[i] = bf(sinf(i * 1.3f));
  if (cuInit(0) || cuDeviceGet(&dev, 0) || cuCtxCreate(&ctx, NULL, 0, dev)) return 1;
  cuMemAlloc(&dq, sizeof q); cuMemAlloc(&dk, sizeof k); cuMemAlloc(&dv, sizeof v); cuMemAlloc(&dout, sizeof o);
  cuMemcpyHtoD(dq, q, sizeof q); cuMemcpyHtoD(dk, k, sizeof k); cuMemcpyHtoD(dv, v, sizeof v);
  int rc = attention_gpu((const uint16_t *)dq, B, S, (const uint16_t *)dk, B, S, (const uint16_t *)dv, B, S,
                         (uint16_t *)dout, B, S, NULL);
  if (rc || cuMemcpyDtoH(o, dout, sizeof o)) { printf("kernel failed: %d\n", rc); return 1; }
  float s[S], m = -INFINITY, l = 0, err = 0; /* row p = S-1 of batch 0, head 0 (kv head 0) */
  for (int j = 0; j < S; ++j) { s[j] = 0; for (int d = 0; d < D; ++d) s[j] += f(q[(S - 1) * D + d]) * f(k[j * D + d]);
    s[j] /= sqrtf(D); m = fmaxf(m, s[j]); }
  for (int j = 0; j < S; ++j) l += s[j] = expf(s[j] - m);
  for (int d = 0; d < D; ++d) { float r = 0; for (int j = 0; j < S; ++j) r += s[j] / l * f(v[j * D + d]);
    err = fmaxf(err, fabsf(r - f(o[(S - 1) * D + d]))); }
  printf("attention_gpu: B=%d S=%d, max error of row %d vs float: %.3g: %s\n", B, S, S - 1, err, err < 2e-2 ? "PASS" : "FAIL");
  return err < 2e-2 ? 0 : 1;
}
