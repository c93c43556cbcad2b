/* GPU-machine test of the launcher's loading (test/gpu/run.sh contexts):
 * one launcher (examples/attention_gpu.mlir, compiled for
 * nvidia:sm_80,sm_90a, or for one chip) called concurrently from four
 * threads in four situations:
 *   A: context 1 current, NULL stream;
 *   B: context 2 current, a stream of context 2;
 *   C: no current context, a stream of context 1 (the stream's context);
 *   D: no current context, NULL stream (device 0's primary context);
 * each many times, every result checked against a float reference; then
 * the caller-workspace variant (decode: the split-KV scratch), including a
 * workspace that is too small. Prints the image each context loaded.
 *   contexts [expected image, e.g. sm_90a or "sm_80 ptx"] */
#include "attention_gpu.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 2, HQ = 8, HKV = 2, D = 128, ITER = 20 };

static float bf2f(uint16_t x) { union { uint32_t u; float f; } c = {(uint32_t)x << 16}; return c.f; }
static uint16_t f2bf(float x) { union { float f; uint32_t u; } c = {x}; return (uint16_t)((c.u + 0x7fff + ((c.u >> 16) & 1)) >> 16); }

typedef struct {
  int sq, sk;
  uint16_t *q, *k, *v;
  float *ref;
} Case;

static void make_case(Case *c, int sq, int sk, unsigned seed) {
  size_t nq = (size_t)B * HQ * sq * D, nk = (size_t)B * HKV * sk * D;
  c->sq = sq; c->sk = sk;
  c->q = malloc(nq * 2); c->k = malloc(nk * 2); c->v = malloc(nk * 2);
  c->ref = malloc(nq * 4);
  srand(seed);
  for (size_t i = 0; i < nq; ++i) c->q[i] = f2bf((float)((double)rand() / RAND_MAX * 2 - 1));
  for (size_t i = 0; i < nk; ++i) c->k[i] = f2bf((float)((double)rand() / RAND_MAX * 2 - 1));
  for (size_t i = 0; i < nk; ++i) c->v[i] = f2bf((float)((double)rand() / RAND_MAX * 2 - 1));
  float *s = malloc(sizeof(float) * sk);
  for (int b = 0; b < B; ++b)
    for (int h = 0; h < HQ; ++h)
      for (int p = 0; p < sq; ++p) {
        const uint16_t *qr = c->q + (((size_t)b * HQ + h) * sq + p) * D;
        int kh = h / (HQ / HKV);
        float m = -INFINITY, l = 0;
        for (int j = 0; j < sk; ++j) {
          if (j > p) { s[j] = -INFINITY; continue; } /* causal, top-left */
          const uint16_t *kr = c->k + (((size_t)b * HKV + kh) * sk + j) * D;
          float acc = 0;
          for (int d = 0; d < D; ++d) acc += bf2f(qr[d]) * bf2f(kr[d]);
          s[j] = acc / sqrtf((float)D);
          if (s[j] > m) m = s[j];
        }
        for (int j = 0; j < sk; ++j) l += s[j] = s[j] == -INFINITY ? 0 : expf(s[j] - m);
        float *o = c->ref + (((size_t)b * HQ + h) * sq + p) * D;
        for (int d = 0; d < D; ++d) {
          float acc = 0;
          for (int j = 0; j < sk; ++j)
            acc += s[j] * bf2f(c->v[(((size_t)b * HKV + kh) * sk + j) * D + d]);
          o[d] = l > 0 ? acc / l : 0;
        }
      }
  free(s);
}

typedef struct { CUdeviceptr q, k, v, o; } Buffers;

static int upload(const Case *c, Buffers *b) {
  size_t nq = (size_t)B * HQ * c->sq * D * 2, nk = (size_t)B * HKV * c->sk * D * 2;
  if (cuMemAlloc(&b->q, nq) || cuMemAlloc(&b->k, nk) || cuMemAlloc(&b->v, nk) ||
      cuMemAlloc(&b->o, nq))
    return 1;
  return cuMemcpyHtoD(b->q, c->q, nq) || cuMemcpyHtoD(b->k, c->k, nk) ||
         cuMemcpyHtoD(b->v, c->v, nk);
}

/* Max error of the device output against the reference; NaN fails. */
static double check(const Case *c, const Buffers *b) {
  size_t n = (size_t)B * HQ * c->sq * D;
  uint16_t *o = malloc(n * 2);
  double err = 0;
  if (cuMemcpyDtoH(o, b->o, n * 2)) { free(o); return INFINITY; }
  for (size_t i = 0; i < n; ++i) {
    double e = fabs(bf2f(o[i]) - c->ref[i]);
    if (!(e <= err)) err = e; /* NaN propagates */
  }
  free(o);
  return err;
}

static einfuse_status run(const Case *c, const Buffers *b, CUstream stream) {
  return attention_gpu((const einfuse_bf16 *)b->q, B, c->sq, (const einfuse_bf16 *)b->k, B, c->sk,
                       (const einfuse_bf16 *)b->v, B, c->sk, (einfuse_bf16 *)b->o, B, c->sq, stream);
}

static CUcontext ctx1, ctx2, primary;
static Case prefill;
static const char *expected;
static int failures;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static void report(const char *who, int rc, double err, const char *image) {
  int ok = rc == 0 && err < 2e-2 && (!expected || (image && !strcmp(image, expected)));
  pthread_mutex_lock(&print_lock);
  printf("%s: status %d, max error %.3g, image %s: %s\n", who, rc, err,
         image ? image : "(none)", ok ? "PASS" : "FAIL");
  failures += !ok;
  pthread_mutex_unlock(&print_lock);
}

static void *thread_main(void *arg) {
  int mode = (int)(intptr_t)arg, rc = 0;
  static const char *names[] = {"A ctx1 NULL stream", "B ctx2 own stream",
                                "C no context, ctx1 stream", "D no context, NULL stream"};
  CUcontext home = mode == 1 ? ctx2 : mode == 3 ? primary : ctx1;
  CUstream stream = NULL;
  Buffers b;
  cuCtxSetCurrent(home);
  if (upload(&prefill, &b)) { report(names[mode], -100, INFINITY, NULL); return NULL; }
  if (mode == 1 || mode == 2) cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING);
  if (mode >= 2) cuCtxSetCurrent(NULL); /* the launcher finds the context */
  for (int i = 0; i < ITER && !rc; ++i) {
    cuCtxSetCurrent(home);
    cuMemsetD16(b.o, 0x7fc0, (size_t)B * HQ * prefill.sq * D); /* NaN */
    cuCtxSynchronize();
    if (mode >= 2) cuCtxSetCurrent(NULL);
    rc = run(&prefill, &b, stream);
    CUcontext now = NULL;
    cuCtxGetCurrent(&now);
    if (mode >= 2 && now) rc = -101; /* the launcher must restore the caller's (no) context */
  }
  cuCtxSetCurrent(home);
  cuCtxSynchronize();
  report(names[mode], rc, rc ? INFINITY : check(&prefill, &b), attention_gpu_loaded_image());
  return NULL;
}

int main(int argc, char **argv) {
  CUdevice dev;
  expected = argc > 1 ? argv[1] : NULL;
  if (cuInit(0) || cuDeviceGet(&dev, 0) || cuCtxCreate(&ctx1, NULL, 0, dev) ||
      cuCtxCreate(&ctx2, NULL, 0, dev) || cuDevicePrimaryCtxRetain(&primary, dev)) {
    printf("no CUDA device\n");
    return 1;
  }
  make_case(&prefill, 77, 77, 1);
  pthread_t t[4];
  for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, thread_main, (void *)(intptr_t)i);
  for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);

  /* Decode through the caller-workspace variant. */
  Case decode;
  Buffers b;
  size_t bytes = 0;
  make_case(&decode, 1, 300, 2);
  cuCtxSetCurrent(ctx1);
  einfuse_status rc = attention_gpu_workspace_size(NULL, B, 1, NULL, B, 300, NULL, B, 300, NULL, B, 1, &bytes);
  printf("workspace for decode B=%d Sk=300: %zu bytes (status %d)\n", B, bytes, rc);
  failures += rc != EINFUSE_OK || bytes == 0;
  CUdeviceptr ws;
  if (upload(&decode, &b) || cuMemAlloc(&ws, bytes)) return 1;
  rc = attention_gpu_with_workspace((const einfuse_bf16 *)b.q, B, 1, (const einfuse_bf16 *)b.k, B, 300,
                                    (const einfuse_bf16 *)b.v, B, 300, (einfuse_bf16 *)b.o, B, 1,
                                    (void *)(uintptr_t)ws, bytes - 1, NULL);
  printf("workspace one byte short: %d (%s)\n", rc, einfuse_status_message(rc));
  failures += rc != EINFUSE_ERROR_WORKSPACE_TOO_SMALL;
  cuMemsetD16(b.o, 0x7fc0, (size_t)B * HQ * D);
  rc = attention_gpu_with_workspace((const einfuse_bf16 *)b.q, B, 1, (const einfuse_bf16 *)b.k, B, 300,
                                    (const einfuse_bf16 *)b.v, B, 300, (einfuse_bf16 *)b.o, B, 1,
                                    (void *)(uintptr_t)ws, bytes, NULL);
  cuCtxSynchronize();
  report("decode with caller workspace", rc, rc ? INFINITY : check(&decode, &b), attention_gpu_loaded_image());
  printf("%s\n", failures ? "contexts: FAIL" : "contexts: PASS");
  return failures != 0;
}
