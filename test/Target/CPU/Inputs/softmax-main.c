/* Runs the kernels of softmax.mlir on inputs whose results are exact. */
#include "softmax.h"

#include <math.h>
#include <stdio.h>

static void print_rows(const float *y, int rows, const int *cols) {
  for (int r = 0, i = 0; r < rows; ++r) {
    for (int c = 0; c < cols[r]; ++c, ++i)
      printf(c ? " %g" : "%g", y[i]);
    printf("\n");
  }
}

int main(void) {
  /* Two calls with different sizes: 2x4, then 1x8. */
  float x1[2 * 4] = {3, 3, 3, 3, 5, -1000, 5, -1000};
  float y1[2 * 4];
  float x2[8] = {-7, -7, -7, -7, -7, -7, -7, -7};
  float y2[8];
  for (int i = 0; i < 8; ++i)
    y1[i] = y2[i] = NAN;
  printf("softmax\n");
  if (softmax(x1, 2, 4, y1, 2, 4) != 0 || softmax(x2, 1, 8, y2, 1, 8) != 0)
    return 1;
  int cols1[] = {4, 4}, cols2[] = {8};
  print_rows(y1, 2, cols1);
  print_rows(y2, 1, cols2);

  printf("rowsum\n");
  int32_t a[3 * 3] = {1, 2, 3, -4, -5, -6, 1000000000, 999999999, 1};
  int32_t s[3] = {-1, -1, -1};
  if (rowsum(a, 3, s, 3) != 0)
    return 1;
  printf("%d %d %d\n", s[0], s[1], s[2]);
  printf("bad size: %d\n", rowsum(a, -1, s, 3));
  return 0;
}
