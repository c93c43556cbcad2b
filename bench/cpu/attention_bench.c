/* CPU attention benchmark: Einfuse's fused kernel vs an unfused OpenBLAS
 * baseline, fp32, H = 8, D in {64, 128}, causal and non-causal, S in
 * {1024, 4096, 16384} (Sq = Sk = S), plus the machine's sgemm ceiling.
 *
 * Method (docs/design.md, "Performance method"): FLOPs counted as 4*B*H*Sq*Sk*D
 * (halved for causal), one warm-up run, then the median of several timed
 * runs (clock_gettime CLOCK_MONOTONIC), rotating between 2-3 input/output
 * buffer sets so caches do not flatter, our output checked against the
 * baseline's (max abs diff, fails if > 1e-3), ratio reported.
 *
 * Threads: OpenBLAS is pinned to 2 threads (openblas_set_num_threads(2),
 * override with --threads). Our kernel uses OMP_NUM_THREADS threads when
 * compiled with the pipeline option threads=true (run.sh does so unless
 * EINFUSE_THREADS=0), else one.
 *
 * Budget: each implementation of each configuration gets --budget seconds
 * (default 60). Its run time is predicted from the rate measured on earlier
 * configurations; if warm-up + --min-reps runs would not fit, it prints
 * "skipped (over budget)". --max-seq drops larger sequence lengths.
 *
 * --rss-probe S: instead of the sweep, run our D=128 non-causal kernel once
 * at B=1, H=8, S in a child process (one buffer set: q, k, v, out) and
 * report the child's peak RSS (VmHWM). With --probe-seconds T the child is
 * killed after T seconds and the figure is the peak seen so far (partial).
 *
 *   usage: attention_bench [--batch B] [--max-seq S] [--budget SEC]
 *                          [--reps N] [--min-reps N] [--threads N]
 *                          [--sgemm N] [--rss-probe S [--probe-seconds T]]
 */
#include "attention_d128.h"
#include "attention_d128_bf16.h"
#include "attention_d128_causal.h"
#include "attention_d64.h"
#include "attention_d64_bf16.h"
#include "attention_d64_causal.h"

#include <cblas.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { H = 8, MAXBUF = 3 };

typedef int (*kernel_fn)(const float *, int64_t, int64_t, const float *,
                         int64_t, int64_t, const float *, int64_t, int64_t,
                         float *, int64_t, int64_t);

static kernel_fn pick_kernel(int D, int causal) {
  if (D == 64) return causal ? attn_d64_causal : attn_d64;
  return causal ? attn_d128_causal : attn_d128;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *t, int n) {
  qsort(t, n, sizeof(double), cmp_double);
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static void *xmalloc(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) {
    fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
    exit(2);
  }
  return p;
}

static void fill(float *x, size_t n, unsigned *seed) {
  for (size_t i = 0; i < n; ++i) {
    *seed = *seed * 1664525u + 1013904223u;
    x[i] = (float)((*seed >> 8) * (2.0 / 16777216.0) - 1.0);
  }
}

static double max_rss_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}

/* ---- unfused baseline: per (b, h) sgemm, row softmax, sgemm ---- */

static void baseline(const float *q, const float *k, const float *v, float *o,
                     long B, long S, int D, int causal, float *P) {
  const float scale = 1.0f / sqrtf((float)D);
  for (long bh = 0; bh < B * H; ++bh) {
    const float *Q = q + bh * S * D, *K = k + bh * S * D, *V = v + bh * S * D;
    float *O = o + bh * S * D;
    /* P = scale * Q K^T   (S x S) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, S, S, D, scale, Q, D,
                K, D, 0.0f, P, S);
    /* row softmax; causal keeps keys j <= i (top-left aligned) */
    for (long i = 0; i < S; ++i) {
      float *p = P + i * S;
      long n = causal ? i + 1 : S;
      float mx = -INFINITY;
      for (long j = 0; j < n; ++j) mx = p[j] > mx ? p[j] : mx;
      float sum = 0.0f;
      for (long j = 0; j < n; ++j) {
        p[j] = expf(p[j] - mx);
        sum += p[j];
      }
      float inv = 1.0f / sum;
      for (long j = 0; j < n; ++j) p[j] *= inv;
      for (long j = n; j < S; ++j) p[j] = 0.0f;
    }
    /* O = P V   (S x D) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S, D, S, 1.0f, P, S,
                V, D, 0.0f, O, D);
  }
}

/* ---- bf16 inputs: our bf16 kernel vs the baseline on the inputs widened
 * to f32 (the widening is part of the baseline's time) ---- */

typedef int (*kernel_bf16_fn)(const uint16_t *, int64_t, int64_t,
                              const uint16_t *, int64_t, int64_t,
                              const uint16_t *, int64_t, int64_t, uint16_t *,
                              int64_t, int64_t);

static uint16_t to_bf16(float x) { /* round to nearest even */
  uint32_t u;
  memcpy(&u, &x, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

static float from_bf16(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float x;
  memcpy(&x, &u, 4);
  return x;
}

static void widen(const uint16_t *x, float *y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] = from_bf16(x[i]);
}

/* One configuration (non-causal); returns 1 when the outputs disagree. */
static int run_bf16(int D, long B, long S, int reps, double ceiling) {
  kernel_bf16_fn kern = D == 64 ? attn_d64_bf16 : attn_d128_bf16;
  size_t n = (size_t)B * H * S * D;
  uint16_t *q = xmalloc(n * 2), *k = xmalloc(n * 2), *v = xmalloc(n * 2),
           *o = xmalloc(n * 2);
  float *tmp = xmalloc(n * 4), *qf = xmalloc(n * 4), *kf = xmalloc(n * 4),
        *vf = xmalloc(n * 4), *ob = xmalloc(n * 4);
  float *P = xmalloc(sizeof(float) * S * S);
  unsigned seed = 777u + (unsigned)(S * 131 + D);
  uint16_t *bufs[3] = {q, k, v};
  for (int b = 0; b < 3; ++b) {
    fill(tmp, n, &seed);
    for (size_t i = 0; i < n; ++i) bufs[b][i] = to_bf16(tmp[i]);
  }
  for (size_t i = 0; i < n; ++i) o[i] = 0x7fc0; /* NaN poison */
  double flops = 4.0 * B * H * (double)S * S * D, times[64];
  for (int r = -1; r < reps; ++r) {
    double t0 = now();
    if (kern(q, B, S, k, B, S, v, B, S, o, B, S)) {
      fprintf(stderr, "bf16 kernel rejected the sizes\n");
      exit(1);
    }
    if (r >= 0) times[r] = now() - t0;
  }
  double tOurs = median(times, reps);
  for (int r = -1; r < reps; ++r) {
    double t0 = now();
    widen(q, qf, n);
    widen(k, kf, n);
    widen(v, vf, n);
    baseline(qf, kf, vf, ob, B, S, D, 0, P);
    if (r >= 0) times[r] = now() - t0;
  }
  double tBase = median(times, reps);
  double maxDiff = 0;
  for (size_t i = 0; i < n; ++i) {
    double d = fabs((double)from_bf16(o[i]) - ob[i]);
    if (!(d <= maxDiff)) maxDiff = isnan(d) ? INFINITY : d;
  }
  double gOurs = flops / tOurs * 1e-9, gBase = flops / tBase * 1e-9;
  printf("%-4d %-6s %6ld | %12.2f %12.2f %6.3fx | %6.1f%% %9.2e | %10.1f "
         "%9.1f %2d/%d\n",
         D, "no", S, gOurs, gBase, gOurs / gBase, 100.0 * gOurs / ceiling,
         maxDiff, tOurs * 1e3, tBase * 1e3, reps, reps);
  fflush(stdout);
  free(q); free(k); free(v); free(o); free(tmp);
  free(qf); free(kf); free(vf); free(ob); free(P);
  /* outputs are bf16 (8 bits of mantissa) and |o| <= 1 */
  if (!(maxDiff <= 1e-2)) {
    fprintf(stderr, "FAIL: bf16 D=%d S=%ld: max |ours - baseline| = %.3e > "
                    "1e-2\n", D, S, maxDiff);
    return 1;
  }
  return 0;
}

/* ---- sgemm ceiling ---- */

static double sgemm_ceiling(int n, int reps) {
  float *a[2], *b[2], *c = xmalloc(sizeof(float) * n * n);
  unsigned seed = 7;
  for (int i = 0; i < 2; ++i) {
    a[i] = xmalloc(sizeof(float) * n * n);
    b[i] = xmalloc(sizeof(float) * n * n);
    fill(a[i], (size_t)n * n, &seed);
    fill(b[i], (size_t)n * n, &seed);
  }
  double t[64];
  if (reps > 64) reps = 64;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a[0],
              n, b[0], n, 0.0f, c, n);
  for (int r = 0; r < reps; ++r) {
    double t0 = now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                a[r % 2], n, b[r % 2], n, 0.0f, c, n);
    t[r] = now() - t0;
  }
  for (int i = 0; i < 2; ++i) {
    free(a[i]);
    free(b[i]);
  }
  free(c);
  return 2.0 * n * (double)n * n / median(t, reps) * 1e-9;
}

/* ---- peak-RSS probe of our kernel in a child process ---- */

static long vmhwm_kib(pid_t pid) {
  char path[64], line[256];
  long kib = -1;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0) kib = atol(line + 6);
  fclose(f);
  return kib;
}

static int rss_probe(long S, double seconds) {
  const int D = 128;
  size_t n = (size_t)H * S * D;
  printf("rss-probe: our attention_d128 (non-causal), B=1 H=%d S=%ld D=%d, "
         "one buffer set (q, k, v, out = %.0f MiB)\n",
         H, S, D, 4.0 * n * 4 / 1048576.0);
  fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) {
    perror("fork");
    return 2;
  }
  if (pid == 0) {
    float *q = xmalloc(n * 4), *k = xmalloc(n * 4), *v = xmalloc(n * 4),
          *o = xmalloc(n * 4);
    unsigned seed = 1;
    fill(q, n, &seed);
    fill(k, n, &seed);
    fill(v, n, &seed);
    memset(o, 0, n * 4);
    _exit(attn_d128(q, 1, S, k, 1, S, v, 1, S, o, 1, S) != 0);
  }
  double t0 = now();
  long peak = 0;
  int status = 0, done = 0;
  for (;;) {
    long h = vmhwm_kib(pid); /* before waitpid reaps it */
    if (h > peak) peak = h;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      done = 1;
      break;
    }
    if (seconds > 0 && now() - t0 > seconds) break;
    usleep(20000);
  }
  if (!done) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  printf("rss-probe: child peak RSS (VmHWM) %.1f MiB after %.1f s%s\n",
         peak / 1024.0, now() - t0,
         done ? " (kernel finished)"
              : " (kernel NOT finished, killed: peak seen so far)");
  return 0;
}

/* ---- the sweep ---- */

static void usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s [--batch B] [--max-seq S] [--budget SEC] [--reps N] "
          "[--min-reps N] [--threads N] [--sgemm N] [--rss-probe S "
          "[--probe-seconds T]]\n",
          argv0);
  exit(2);
}

int main(int argc, char **argv) {
  long B = 1, maxSeq = 4096, probeSeq = 0;
  double budget = 60.0, probeSeconds = 0;
  int reps = 5, minReps = 3, threads = 2, sgemmN = 2048;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (i + 1 >= argc) usage(argv[0]);
    const char *val = argv[++i];
    if (!strcmp(a, "--batch")) B = atol(val);
    else if (!strcmp(a, "--max-seq")) maxSeq = atol(val);
    else if (!strcmp(a, "--budget")) budget = atof(val);
    else if (!strcmp(a, "--reps")) reps = atoi(val);
    else if (!strcmp(a, "--min-reps")) minReps = atoi(val);
    else if (!strcmp(a, "--threads")) threads = atoi(val);
    else if (!strcmp(a, "--sgemm")) sgemmN = atoi(val);
    else if (!strcmp(a, "--rss-probe")) probeSeq = atol(val);
    else if (!strcmp(a, "--probe-seconds")) probeSeconds = atof(val);
    else usage(argv[0]);
  }
  if (B <= 0 || reps < 1 || reps > 64 || minReps < 1 || minReps > reps ||
      threads < 1 || sgemmN < 1)
    usage(argv[0]);

  if (probeSeq > 0) return rss_probe(probeSeq, probeSeconds);

  openblas_set_num_threads(threads);
  printf("CPU attention benchmark: fp32 (bf16 inputs at the end), B=%ld, H=%d, Sq=Sk=S, scale "
         "1/sqrt(D)\n",
         B, H);
  const char *ompThreads = getenv("OMP_NUM_THREADS");
  printf("threads: OpenBLAS %d (%s core), Einfuse kernel %s\n",
         openblas_get_num_threads(), openblas_get_corename(),
         ompThreads ? ompThreads
                    : "1 (compiled without threads=true, single-threaded)");
  printf("method: 1 warm-up + median of up to %d timed runs (at least %d), "
         "inputs rotated over 2-3 buffer sets; budget %.0f s per "
         "implementation per config; max S %ld\n",
         reps, minReps, budget, maxSeq);
  printf("FLOPs = 4*B*H*S*S*D (halved for causal); the causal baseline "
         "computes the full S x S scores, counted at the halved FLOPs\n");
  fflush(stdout);

  double ceiling = sgemm_ceiling(sgemmN, 5);
  printf("sgemm ceiling: %d^3, %d threads: %.1f GFLOP/s\n\n", sgemmN, threads,
         ceiling);
  printf("%-4s %-6s %6s | %12s %12s %7s | %7s %9s | %10s %9s %5s\n", "D",
         "causal", "S", "ours GF/s", "base GF/s", "ratio", "%sgemm",
         "max|diff|", "ours ms", "base ms", "reps");
  fflush(stdout);

  const long seqs[] = {1024, 4096, 16384};
  const int dims[] = {64, 128};
  /* GFLOP/s guesses until measured; ours per causal flag (causal FLOPs are
   * halved, so the two rates differ) */
  double rateOurs[2] = {1.0, 1.0}, rateBase = 20.0;
  int failed = 0;
  double rssAfterOurs[2][2][3] = {{{0}}};

  for (int si = 0; si < 3; ++si) {
    long S = seqs[si];
    for (int di = 0; di < 2; ++di) {
      for (int causal = 0; causal < 2; ++causal) {
        int D = dims[di];
        if (S > maxSeq) {
          printf("%-4d %-6s %6ld | skipped (S > --max-seq %ld)\n", D,
                 causal ? "yes" : "no", S, maxSeq);
          fflush(stdout);
          continue;
        }
        double flops = 4.0 * B * H * (double)S * S * D * (causal ? 0.5 : 1.0);
        size_t n = (size_t)B * H * S * D;
        int nbuf = n * 4 * 4 > ((size_t)64 << 20) ? 2 : MAXBUF;
        /* predicted times from earlier rates (x1.25 safety margin) */
        double tOursPred = 1.25 * flops / (rateOurs[causal] * 1e9);
        /* the baseline does the full S x S work even when causal */
        double tBasePred =
            1.25 * 4.0 * B * H * (double)S * S * D / (rateBase * 1e9);
        int runOurs = (1 + minReps) * tOursPred <= budget;
        int runBase = (1 + minReps) * tBasePred <= budget;
        if (!runOurs && !runBase) {
          printf("%-4d %-6s %6ld | ours: skipped (over budget, ~%.0f s/run), "
                 "baseline: skipped (over budget, ~%.0f s/run)\n",
                 D, causal ? "yes" : "no", S, tOursPred, tBasePred);
          fflush(stdout);
          continue;
        }

        float *q[MAXBUF], *k[MAXBUF], *v[MAXBUF], *oo[MAXBUF], *ob[MAXBUF];
        unsigned seed = 12345u + (unsigned)(S * 131 + D * 7 + causal);
        for (int i = 0; i < nbuf; ++i) {
          q[i] = xmalloc(n * 4);
          k[i] = xmalloc(n * 4);
          v[i] = xmalloc(n * 4);
          oo[i] = xmalloc(n * 4);
          ob[i] = xmalloc(n * 4);
          fill(q[i], n, &seed);
          fill(k[i], n, &seed);
          fill(v[i], n, &seed);
          for (size_t j = 0; j < n; ++j) oo[i][j] = NAN; /* poison */
          memset(ob[i], 0, n * 4);
        }
        kernel_fn kern = pick_kernel(D, causal);
        double times[64], tOurs = NAN, tBase = NAN;
        int rOurs = 0, rBase = 0;

        if (runOurs) {
          for (int r = -1; r < reps; ++r) {
            int bi = (r + 1) % nbuf;
            double t0 = now();
            if (kern(q[bi], B, S, k[bi], B, S, v[bi], B, S, oo[bi], B, S)) {
              fprintf(stderr, "kernel rejected the sizes\n");
              return 1;
            }
            double t = now() - t0;
            if (r >= 0) times[rOurs++] = t;
            else if (minReps * t > budget - t) { /* prediction was off */
              times[rOurs++] = t; /* report the warm-up run alone */
              break;
            }
            /* stop early once the budget is used, keeping >= minReps */
            if (rOurs >= minReps && (rOurs + 1) * t > budget) break;
          }
          tOurs = median(times, rOurs);
          rateOurs[causal] = flops / tOurs * 1e-9;
          rssAfterOurs[di][causal][si] = max_rss_mib();
        }

        float *P = NULL;
        if (runBase) {
          P = xmalloc(sizeof(float) * S * S);
          for (int r = -1; r < reps; ++r) {
            int bi = (r + 1) % nbuf;
            double t0 = now();
            baseline(q[bi], k[bi], v[bi], ob[bi], B, S, D, causal, P);
            double t = now() - t0;
            if (r >= 0) times[rBase++] = t;
            if (rBase >= minReps && (rBase + 1) * t > budget) break;
          }
          tBase = median(times, rBase);
          rateBase = 4.0 * B * H * (double)S * S * D / tBase * 1e-9;
          free(P);
        }

        /* correctness: compare buffer set 0 (both ran on it in warm-up) */
        double maxDiff = NAN;
        if (runOurs && runBase) {
          maxDiff = 0;
          for (size_t j = 0; j < n; ++j) {
            double d = fabs((double)oo[0][j] - ob[0][j]);
            if (!(d <= maxDiff)) maxDiff = isnan(d) ? INFINITY : d;
          }
        }

        double gOurs = runOurs ? flops / tOurs * 1e-9 : NAN;
        double gBase = runBase ? flops / tBase * 1e-9 : NAN;
        char so[32], sb[32], sr[32], sp[32], sd[32], mo[32], mb[32], rr[16];
        snprintf(so, sizeof so, runOurs ? "%.2f" : "skipped", gOurs);
        snprintf(sb, sizeof sb, runBase ? "%.2f" : "skipped", gBase);
        snprintf(sr, sizeof sr, runOurs && runBase ? "%.3fx" : "-",
                 gOurs / gBase);
        snprintf(sp, sizeof sp, runOurs ? "%.1f%%" : "-",
                 100.0 * gOurs / ceiling);
        snprintf(sd, sizeof sd, runOurs && runBase ? "%.2e" : "-", maxDiff);
        snprintf(mo, sizeof mo, runOurs ? "%.1f" : "-", tOurs * 1e3);
        snprintf(mb, sizeof mb, runBase ? "%.1f" : "-", tBase * 1e3);
        snprintf(rr, sizeof rr, "%d/%d", rOurs, rBase);
        printf("%-4d %-6s %6ld | %12s %12s %7s | %7s %9s | %10s %9s %5s%s\n", D,
               causal ? "yes" : "no", S, so, sb, sr, sp, sd, mo, mb, rr,
               runOurs ? "" : "   (ours skipped (over budget))");
        if (runOurs && runBase && !(maxDiff <= 1e-3)) {
          fprintf(stderr,
                  "FAIL: D=%d causal=%d S=%ld: max |ours - baseline| = %.3e "
                  "> 1e-3\n",
                  D, causal, S, maxDiff);
          failed = 1;
        }
        fflush(stdout);
        for (int i = 0; i < nbuf; ++i) {
          free(q[i]);
          free(k[i]);
          free(v[i]);
          free(oo[i]);
          free(ob[i]);
        }
      }
    }
  }

  /* bf16 inputs: S up to min(--max-seq, 4096), a fixed 3 timed runs */
  printf("\nbf16 inputs and output (ours computes in f32; the baseline widens "
         "the inputs to f32, timed, then runs as above), non-causal:\n");
  for (int si = 0; si < 2; ++si) {
    long S = si ? 4096 : 1024;
    if (S > maxSeq) continue;
    for (int D = 64; D <= 128; D *= 2)
      failed |= run_bf16(D, B, S, reps < 3 ? reps : 3, ceiling);
  }

  printf("\nsgemm ceiling %.1f GFLOP/s (%d^3, %d OpenBLAS threads)\n", ceiling,
         sgemmN, threads);
  printf("peak RSS after our kernel, per config (process high-water mark so "
         "far, MiB):");
  for (int si = 0; si < 3; ++si)
    for (int di = 0; di < 2; ++di)
      for (int c = 0; c < 2; ++c)
        if (rssAfterOurs[di][c][si] > 0)
          printf(" D%d%s/S%ld=%.0f", dims[di], c ? "c" : "", seqs[si],
                 rssAfterOurs[di][c][si]);
  printf("\npeak RSS of the process: %.1f MiB (getrusage)\n", max_rss_mib());
  if (failed) {
    fprintf(stderr, "FAIL: some outputs differ from the baseline by > 1e-3\n");
    return 1;
  }
  return 0;
}
