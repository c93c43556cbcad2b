/* Runs the attention kernel that einfuse-compile made from
 * examples/attention.mlir on random inputs and checks it against a float64
 * reference (numerics contract of docs/design.md: max error <= 2 x the error of a
 * naive float32 computation + 1e-6, output poisoned with NaN first).
 *   usage: attention [batch] [seq]        (default 2 x 257) */
#include "attention.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { HQ = 8, HKV = 2, D = 64 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Causal attention for one (b, h, query) row, in double or float. */
static void reference(const float *q, const float *k, const float *v, long S,
                      long b, long h, long i, double *out, int naive) {
  double *s = malloc(sizeof(double) * S), mx = -INFINITY, sum = 0;
  long kh = h / (HQ / HKV);
  const float *qi = q + ((b * HQ + h) * S + i) * D;
  for (long j = 0; j <= i; ++j) {
    const float *kj = k + ((b * HKV + kh) * S + j) * D;
    double dot = 0;
    float fdot = 0;
    for (int e = 0; e < D; ++e) {
      dot += (double)qi[e] * kj[e];
      fdot += qi[e] * kj[e];
    }
    s[j] = naive ? (double)(fdot * (1.0f / 8.0f)) : dot / 8.0;
    if (s[j] > mx) mx = s[j];
  }
  for (long j = 0; j <= i; ++j) {
    s[j] = naive ? (double)expf((float)(s[j] - mx)) : exp(s[j] - mx);
    sum = naive ? (double)((float)sum + (float)s[j]) : sum + s[j];
  }
  for (int f = 0; f < D; ++f) {
    double acc = 0;
    float facc = 0;
    for (long j = 0; j <= i; ++j) {
      double a = s[j] / sum;
      float vf = v[((b * HKV + kh) * S + j) * D + f];
      acc += a * vf;
      facc += (float)a * vf;
    }
    out[f] = naive ? facc : acc;
  }
  free(s);
}

int main(int argc, char **argv) {
  long B = argc > 1 ? atol(argv[1]) : 2, S = argc > 2 ? atol(argv[2]) : 257;
  if (B <= 0 || S <= 0) {
    fprintf(stderr, "usage: %s [batch > 0] [seq > 0]\n", argv[0]);
    return 2;
  }
  size_t nq = (size_t)B * HQ * S * D, nkv = (size_t)B * HKV * S * D;
  float *q = malloc(nq * 4), *k = malloc(nkv * 4), *v = malloc(nkv * 4),
        *o = malloc(nq * 4);
  srand(42);
  for (size_t i = 0; i < nq; ++i) q[i] = (float)(2.0 * rand() / RAND_MAX - 1.0);
  for (size_t i = 0; i < nkv; ++i) k[i] = (float)(2.0 * rand() / RAND_MAX - 1.0);
  for (size_t i = 0; i < nkv; ++i) v[i] = (float)(2.0 * rand() / RAND_MAX - 1.0);
  for (size_t i = 0; i < nq; ++i) o[i] = NAN;

  double best = INFINITY;
  for (int rep = 0; rep < 5; ++rep) {
    double t0 = now();
    if (attention(q, B, S, k, B, S, v, B, S, o, B, S) != 0) {
      fprintf(stderr, "kernel rejected the sizes\n");
      return 1;
    }
    double t = now() - t0;
    if (t < best) best = t;
  }

  double maxErr = 0, naiveErr = 0, ref[D], nv[D];
  for (long b = 0; b < B; ++b)
    for (long h = 0; h < HQ; ++h)
      for (long i = 0; i < S; ++i) {
        reference(q, k, v, S, b, h, i, ref, 0);
        reference(q, k, v, S, b, h, i, nv, 1);
        const float *oi = o + ((b * HQ + h) * S + i) * D;
        for (int f = 0; f < D; ++f) {
          double err = isfinite(oi[f]) ? fabs(oi[f] - ref[f]) : INFINITY;
          if (err > maxErr) maxErr = err;
          if (fabs(nv[f] - ref[f]) > naiveErr) naiveErr = fabs(nv[f] - ref[f]);
        }
      }
  double bound = 2 * naiveErr + 1e-6;
  /* Causal: about half of the S x S scores, 4 flops per score and dim. */
  double flops = 4.0 * B * HQ * D * (double)S * (S + 1) / 2;
  printf("attention B=%ld Hq=%d Hkv=%d S=%ld D=%d causal f32 (CPU)\n", B, HQ,
         HKV, S, D);
  printf("max error %.3e (naive float32 %.3e, bound %.3e): %s\n", maxErr,
         naiveErr, bound, maxErr <= bound ? "PASS" : "FAIL");
  printf("time %.3f ms (best of 5), %.2f GFLOP/s\n", best * 1e3,
         flops / best * 1e-9);
  return maxErr <= bound ? 0 : 1;
}
