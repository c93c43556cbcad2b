/* Runs attention.mlir on inputs whose results are exact. */
#include "attention.h"

#include <math.h>
#include <stdio.h>

enum { SQ = 3, SK = 4, D = 4, DV = 2, HQ = 2 };

int main(void) {
  float q[HQ * SQ * D] = {0}, k[SK * D] = {0}, v[SK * DV], out[HQ * SQ * DV];
  /* Head 0: query p is one-hot at p; key m is 1000 x one-hot at m. With the
   * default scale 1/sqrt(4), query p scores 500 on key p and 0 elsewhere. */
  for (int p = 0; p < SQ; ++p)
    q[p * D + p] = 1;
  for (int m = 0; m < SK; ++m)
    k[m * D + m] = 1000;
  /* Head 1: zero queries. */
  float v0[SK] = {1, 2, 3, 6}, v1[SK] = {0, 8, 0, -4};
  for (int m = 0; m < SK; ++m) {
    v[m * DV] = v0[m];
    v[m * DV + 1] = v1[m];
  }
  for (int i = 0; i < HQ * SQ * DV; ++i)
    out[i] = NAN;
  if (attention(q, SQ, k, SK, v, SK, out, SQ) != 0)
    return 1;
  for (int h = 0; h < HQ; ++h) {
    printf("head %d\n", h);
    for (int p = 0; p < SQ; ++p)
      printf("%g %g\n", out[(h * SQ + p) * DV], out[(h * SQ + p) * DV + 1]);
  }
  return 0;
}
