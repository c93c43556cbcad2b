/* Runs size-checks.mlir: good calls, and calls the launcher must refuse. */
#include "size-checks.h"

#include <math.h>
#include <stdio.h>

int main(void) {
  float x[3] = {1, 2, 3}, y[3] = {10, 20, 30}, out[3] = {NAN, NAN, NAN};
  int rc = add(x, 3, y, 2, out, 3);
  printf("add short y %d\n", rc);
  rc = add(x, 3, y, 3, out, 2);
  printf("add short out %d\n", rc);
  printf("add untouched %d\n", isnan(out[0]) && isnan(out[1]) && isnan(out[2]));
  rc = add(x, 3, y, 3, out, 3);
  printf("add ok %d: %g %g %g\n", rc, out[0], out[1], out[2]);

  float m[2 * 16], w[16], r[2];
  for (int i = 0; i < 16; ++i) {
    w[i] = 1;
    m[i] = 1;
    m[16 + i] = 2;
  }
  printf("rows wrong width %d\n", rows(m, 2, 15, w, r, 2));
  rc = rows(m, 2, 16, w, r, 2);
  printf("rows ok %d: %g %g\n", rc, r[0], r[1]);

  float a[4] = {1, 2, 3, 4}, b[4];
  rc = ident(a, b);
  printf("ident ok %d: %g %g %g %g\n", rc, b[0], b[1], b[2], b[3]);
  return 0;
}
