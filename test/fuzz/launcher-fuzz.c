/* Calls generated launchers (launcher-kernels.mlir) with random sizes:
 * consistent ones, negative ones, mismatched ones, huge ones, and NULL
 * buffers. Every buffer the caller passes is as large as the sizes it
 * passes say (or the call is one the launcher must refuse), and is followed
 * by guard words. The launcher must return 0 exactly for valid calls,
 * a documented code otherwise, write nothing on refusal, and never write
 * past a buffer. Usage: launcher-fuzz <iterations> <seed>. */
#include "launcher-kernels.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { GUARD = 64 };
static uint64_t state;
static uint64_t next(void) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

/* A size: mostly small, sometimes an edge. */
static int64_t pick(void) {
  static const int64_t edges[] = {-1, -7, 0, INT64_MAX, (int64_t)1 << 58,
                                  (int64_t)1 << 62, INT64_MIN};
  if (next() % 8)
    return (int64_t)(next() % 9);
  return edges[next() % (sizeof(edges) / sizeof(edges[0]))];
}

/* A size that usually agrees with `like`. */
static int64_t same(int64_t like) { return next() % 6 ? like : pick(); }

typedef struct {
  float *data;
  int64_t count;
} Buffer;

static int failures;

/* Room for `count` floats plus guards, NaN-filled; NULL when the count is
 * unusable (the launcher must refuse before touching it) or by chance. */
static Buffer alloc(int64_t count, int mayBeNull) {
  Buffer b = {0, count};
  if (count < 0 || count > (1 << 20) || (mayBeNull && next() % 16 == 0))
    return b;
  b.data = malloc(sizeof(float) * (size_t)(count + GUARD));
  for (int64_t i = 0; i < count + GUARD; ++i)
    b.data[i] = NAN;
  return b;
}

static int untouched(Buffer b, int64_t from) {
  if (!b.data)
    return 1;
  for (int64_t i = from; i < b.count + GUARD; ++i)
    if (!isnan(b.data[i]))
      return 0;
  return 1;
}

static int64_t prod(int64_t a, int64_t b, int64_t c, int64_t d) {
  int64_t n;
  if (a < 0 || b < 0 || c < 0 || d < 0 || __builtin_mul_overflow(a, b, &n) ||
      __builtin_mul_overflow(n, c, &n) || __builtin_mul_overflow(n, d, &n))
    return -1;
  return n;
}

static void check(const char *kernel, int rc, int valid, Buffer *in, int nin,
                  Buffer out, int iter) {
  int ok = 1;
  if (valid && rc != 0)
    ok = 0;
  if (!valid && rc != -1 && rc != -2 && rc != -6 && rc != -7)
    ok = 0;
  if (rc != 0 && !untouched(out, 0))
    ok = 0; /* a refused call wrote something */
  if (rc == 0 && !untouched(out, out.count))
    ok = 0; /* wrote past the output */
  for (int i = 0; i < nin; ++i)
    if (!untouched(in[i], in[i].count))
      ok = 0;
  if (!ok) {
    ++failures;
    if (failures < 10)
      printf("FAIL %s iteration %d: rc %d, valid %d\n", kernel, iter, rc,
             valid);
  }
}

static void fill(Buffer b) {
  for (int64_t i = 0; b.data && i < b.count; ++i)
    b.data[i] = (float)((next() % 7) - 3);
}

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 1000;
  state = argc > 2 ? strtoull(argv[2], 0, 10) : 88172645463325252ull;
  if (!state)
    state = 1;
  int calls[2] = {0, 0}, accepted[2] = {0, 0};
  for (int it = 0; it < iterations; ++it) {
    if (next() % 2) {
      int64_t B = pick(), Sq = pick(), Sk = pick();
      int64_t bq = B, sq = Sq, bk = same(B), sk = Sk, bv = same(B),
              sv = same(Sk), bo = same(B), so = same(Sq);
      int valid = B >= 0 && Sq >= 0 && Sk >= 0 && bk == B && bv == B &&
                  bo == B && sv == Sk && so == Sq && B < 64 && Sq < 64 &&
                  Sk < 64;
      Buffer in[3] = {alloc(prod(bq, 2, sq, 8), 1), alloc(prod(bk, 1, sk, 8), 1),
                      alloc(prod(bv, 1, sv, 4), 1)};
      Buffer out = alloc(prod(bo, 2, so, 4), 1);
      for (int i = 0; i < 3; ++i)
        fill(in[i]);
      /* A NULL buffer that holds elements must be refused; an empty one
       * may be NULL. A buffer the caller could not allocate is passed NULL
       * and makes the call invalid unless it is empty. */
      for (int i = 0; i < 3; ++i)
        if (!in[i].data && in[i].count != 0)
          valid = 0;
      if (!out.data && out.count != 0)
        valid = 0;
      int rc = attn(in[0].data, bq, sq, in[1].data, bk, sk, in[2].data, bv, sv,
                    out.data, bo, so);
      ++calls[0];
      accepted[0] += rc == 0;
      check("attn", rc, valid, in, 3, out, it);
      for (int i = 0; i < 3; ++i)
        free(in[i].data);
      free(out.data);
    } else {
      int64_t N = pick(), C = pick();
      int64_t xn = N, xc = C, wc = same(C), on = same(N);
      int valid = N >= 0 && C >= 0 && wc == C && on == N && N < 64 && C < 64;
      Buffer in[2] = {alloc(prod(xn, xc, 1, 1), 1), alloc(prod(wc, 1, 1, 1), 1)};
      Buffer out = alloc(prod(on, 1, 1, 1), 1);
      fill(in[0]);
      fill(in[1]);
      for (int i = 0; i < 2; ++i)
        if (!in[i].data && in[i].count != 0)
          valid = 0;
      if (!out.data && out.count != 0)
        valid = 0;
      int rc = rows(in[0].data, xn, xc, in[1].data, wc, out.data, on);
      ++calls[1];
      accepted[1] += rc == 0;
      check("rows", rc, valid, in, 2, out, it);
      free(in[0].data);
      free(in[1].data);
      free(out.data);
    }
  }
  printf("attn: %d calls, %d accepted; rows: %d calls, %d accepted; "
         "%d failures\n",
         calls[0], accepted[0], calls[1], accepted[1], failures);
  return failures != 0;
}
