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
  /* Calls the launcher must refuse before touching anything. */
  printf("negative %d\n", attention(q, -1, k, SK, v, SK, out, -1));
  printf("short output %d\n", attention(q, SQ, k, SK, v, SK, out, SQ - 1));
  printf("short value %d\n", attention(q, SQ, k, SK, v, SK - 1, out, SQ));
  printf("null query %d\n", attention(0, SQ, k, SK, v, SK, out, SQ));
  int64_t huge = (int64_t)1 << 58;
  printf("huge %d\n", attention(q, huge, k, SK, v, SK, out, huge));
  printf("empty null ok %d\n", attention(0, 0, k, SK, v, SK, 0, 0));
  int untouched = 1;
  for (int i = 0; i < HQ * SQ * DV; ++i)
    untouched &= isnan(out[i]) != 0;
  printf("untouched %d\n", untouched);
  if (attention(q, SQ, k, SK, v, SK, out, SQ) != EINFUSE_OK)
    return 1;
  for (int h = 0; h < HQ; ++h) {
    printf("head %d\n", h);
    for (int p = 0; p < SQ; ++p)
      printf("%g %g\n", out[(h * SQ + p) * DV], out[(h * SQ + p) * DV + 1]);
  }
  return 0;
}
