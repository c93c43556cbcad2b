//===- Reference.cpp - float64 references and the numerics contract -------===//
//
// Written from the op definitions, independently of the compiler: plain
// loops in double. The "naive" variants do the same computation the way a
// straightforward implementation in the kernel's dtype would (float
// accumulation, intermediates rounded to the dtype), which sets the error
// scale of the contract.
//
//===----------------------------------------------------------------------===//
#include "E2E.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace e2e {

const char *mlirName(Elt e) {
  switch (e) {
  case Elt::F32: return "f32";
  case Elt::F16: return "f16";
  case Elt::BF16: return "bf16";
  case Elt::I8: return "i8";
  case Elt::I1: return "i1";
  case Elt::F8E4M3: return "f8E4M3FN";
  }
  return "?";
}

size_t byteSize(Elt e) {
  switch (e) {
  case Elt::F32: return 4;
  case Elt::F16:
  case Elt::BF16: return 2;
  default: return 1;
  }
}

static uint16_t toBF16Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if (std::isnan(f))
    return 0x7FC0;
  uint32_t lsb = (u >> 16) & 1;
  u += 0x7FFF + lsb; // round to nearest even
  return static_cast<uint16_t>(u >> 16);
}

static float fromBF16Bits(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

double decodeF8E4M3(uint8_t b) {
  int s = b >> 7, e = (b >> 3) & 0xF, m = b & 7;
  if (e == 15 && m == 7)
    return std::numeric_limits<double>::quiet_NaN();
  double v = e == 0 ? std::ldexp(m / 8.0, -6) : std::ldexp(1.0 + m / 8.0, e - 7);
  return s ? -v : v;
}

double roundTo(Elt e, double v) {
  switch (e) {
  case Elt::F32: return static_cast<float>(v);
  case Elt::F16: return static_cast<double>(static_cast<_Float16>(static_cast<float>(v)));
  case Elt::BF16: return fromBF16Bits(toBF16Bits(static_cast<float>(v)));
  default: return v;
  }
}

Tensor::Tensor(Elt elt, std::vector<int64_t> s) : elt(elt), shape(std::move(s)) {
  bytes.assign(numel() * byteSize(elt), 0);
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

double Tensor::get(int64_t i) const {
  const uint8_t *p = bytes.data() + i * byteSize(elt);
  switch (elt) {
  case Elt::F32: { float f; std::memcpy(&f, p, 4); return f; }
  case Elt::F16: { _Float16 h; std::memcpy(&h, p, 2); return static_cast<double>(h); }
  case Elt::BF16: { uint16_t b; std::memcpy(&b, p, 2); return fromBF16Bits(b); }
  case Elt::I8: return static_cast<int8_t>(*p);
  case Elt::I1: return *p ? 1.0 : 0.0;
  case Elt::F8E4M3: return decodeF8E4M3(*p);
  }
  return 0;
}

void Tensor::set(int64_t i, double v) {
  uint8_t *p = bytes.data() + i * byteSize(elt);
  switch (elt) {
  case Elt::F32: { float f = static_cast<float>(v); std::memcpy(p, &f, 4); return; }
  case Elt::F16: { _Float16 h = static_cast<_Float16>(static_cast<float>(v)); std::memcpy(p, &h, 2); return; }
  case Elt::BF16: { uint16_t b = toBF16Bits(static_cast<float>(v)); std::memcpy(p, &b, 2); return; }
  case Elt::I8: *p = static_cast<uint8_t>(static_cast<int8_t>(v)); return;
  case Elt::I1: *p = v != 0; return;
  case Elt::F8E4M3: return; // use setRaw
  }
}

void Tensor::poison() {
  for (int64_t i = 0, n = numel(); i < n; ++i) {
    switch (elt) {
    case Elt::F32:
    case Elt::F16:
    case Elt::BF16:
      set(i, std::numeric_limits<double>::quiet_NaN());
      break;
    default:
      bytes[i] = 0x5A;
    }
  }
}

Verdict check(const Tensor &out, const Expected &exp, double floor) {
  Verdict v;
  for (size_t i = 0; i < exp.naive.size(); ++i)
    if (std::isfinite(exp.ref[i]))
      v.naiveErr = std::max(v.naiveErr, std::fabs(exp.naive[i] - exp.ref[i]));
  v.bound = exp.exact ? 0.0 : 2 * v.naiveErr + floor;
  for (int64_t i = 0, n = out.numel(); i < n; ++i) {
    double got = out.get(i), ref = exp.ref[i];
    if (std::isfinite(ref) && !std::isfinite(got)) {
      v.worst = i;
      v.maxErr = std::numeric_limits<double>::infinity();
      v.why = "element " + std::to_string(i) + " is " + std::to_string(got) +
              " where the reference is " + std::to_string(ref);
      return v;
    }
    double err = std::isfinite(ref) ? std::fabs(got - ref) : 0.0;
    if (exp.exact && got != ref)
      err = std::max(err, std::numeric_limits<double>::min());
    if (err > v.maxErr) {
      v.maxErr = err;
      v.worst = i;
    }
  }
  v.pass = v.maxErr <= v.bound;
  if (!v.pass)
    v.why = "element " + std::to_string(v.worst) + " is off by " +
            std::to_string(v.maxErr) + " > bound " + std::to_string(v.bound);
  return v;
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

static std::vector<double> attention(const AttentionParams &p, const Tensor &q,
                                     const Tensor &k, const Tensor &v,
                                     const Tensor *mask, bool naive, Elt dt,
                                     Elt outElt) {
  // Naive: float accumulation, every intermediate rounded to the dtype.
  auto R = [&](double x) { return naive ? roundTo(dt, roundTo(Elt::F32, x)) : x; };
  auto acc0 = [&]() { return 0.0; };
  auto accAdd = [&](double a, double b) {
    return naive ? static_cast<double>(static_cast<float>(a) + static_cast<float>(b)) : a + b;
  };
  int64_t G = p.Hq / p.Hkv;
  std::vector<double> out(p.B * p.Hq * p.Sq * p.Dv, 0.0);
  std::vector<double> s(p.Sk), a(p.Sk);
  const double inf = std::numeric_limits<double>::infinity();
  int64_t off = p.bottomRight ? p.Sk - p.Sq : 0;
  for (int64_t b = 0; b < p.B; ++b)
    for (int64_t h = 0; h < p.Hq; ++h) {
      int64_t kh = h / G;
      for (int64_t i = 0; i < p.Sq; ++i) {
        for (int64_t j = 0; j < p.Sk; ++j) {
          double dot = acc0();
          for (int64_t e = 0; e < p.D; ++e) {
            double prod = q.get(((b * p.Hq + h) * p.Sq + i) * p.D + e) *
                          k.get(((b * p.Hkv + kh) * p.Sk + j) * p.D + e);
            dot = accAdd(dot, naive ? static_cast<float>(prod) : prod);
          }
          double x = R(R(dot) * p.scale);
          if (p.softcap > 0)
            x = R(p.softcap * std::tanh(x / p.softcap));
          bool keep = true;
          if (p.maskKind) {
            int64_t mi = p.maskKind == 1 || p.maskKind == 3
                             ? i * p.Sk + j
                             : ((b * p.Hq + h) * p.Sq + i) * p.Sk + j;
            double mv = mask->get(mi);
            if (p.maskKind <= 2)
              keep = mv != 0;
            else
              x = R(x + mv);
          }
          int64_t d = j - i - off;
          if (p.causal && d > 0)
            keep = false;
          if (p.left >= 0 && d < -p.left)
            keep = false;
          if (p.right >= 0 && d > p.right)
            keep = false;
          s[j] = keep ? x : -inf;
        }
        double mx = -inf;
        for (int64_t j = 0; j < p.Sk; ++j)
          mx = std::max(mx, s[j]);
        double* o = &out[((b * p.Hq + h) * p.Sq + i) * p.Dv];
        if (mx == -inf)
          continue; // every key masked: the row is 0
        double sum = acc0();
        for (int64_t j = 0; j < p.Sk; ++j) {
          a[j] = R(std::exp(s[j] - mx));
          sum = accAdd(sum, a[j]);
        }
        sum = naive ? R(sum) : sum;
        for (int64_t j = 0; j < p.Sk; ++j)
          a[j] = R(a[j] / sum);
        for (int64_t f = 0; f < p.Dv; ++f) {
          double acc = acc0();
          for (int64_t j = 0; j < p.Sk; ++j) {
            double prod = a[j] * v.get(((b * p.Hkv + kh) * p.Sk + j) * p.Dv + f);
            acc = accAdd(acc, naive ? static_cast<float>(prod) : prod);
          }
          o[f] = naive ? roundTo(outElt, roundTo(Elt::F32, acc)) : acc;
        }
      }
    }
  return out;
}

Expected attentionReference(const AttentionParams &p, const Tensor &q,
                            const Tensor &k, const Tensor &v,
                            const Tensor *mask, Elt outElt) {
  Expected e;
  e.ref = attention(p, q, k, v, mask, false, q.elt, outElt);
  e.naive = attention(p, q, k, v, mask, true, q.elt, outElt);
  return e;
}

//===----------------------------------------------------------------------===//
// Quantized matmul
//===----------------------------------------------------------------------===//

static double quantValue(const QMatmulParams &p, const Tensor &w, int64_t n,
                         int64_t k) {
  switch (p.kind) {
  case 0:
  case 1: {
    uint8_t byte = w.bytes[n * (p.K / 2) + k / 2];
    int nib = k % 2 == 0 ? (byte & 0xF) : (byte >> 4);
    if (p.kind == 0 && nib >= 8)
      nib -= 16;
    return nib;
  }
  case 2:
    return static_cast<int8_t>(w.bytes[n * p.K + k]);
  default:
    return decodeF8E4M3(w.bytes[n * p.K + k]);
  }
}

double storedWeight(const QMatmulParams &p, const Tensor &w, int64_t n,
                    int64_t k) {
  return quantValue(p, w, n, k);
}

Expected qmatmulReference(const QMatmulParams &p, const Tensor &x,
                          const Tensor &w, const Tensor &s, const Tensor *z,
                          Elt outElt, bool exact) {
  Expected e;
  e.exact = exact;
  int64_t groups = p.K / p.group;
  e.ref.assign(p.M * p.N, 0);
  e.naive.assign(p.M * p.N, 0);
  for (int64_t i = 0; i < p.M; ++i)
    for (int64_t n = 0; n < p.N; ++n) {
      double acc = 0;
      float facc = 0;
      for (int64_t k = 0; k < p.K; ++k) {
        int64_t g = n * groups + k / p.group;
        double q = quantValue(p, w, n, k);
        double zp = z ? z->get(g) : 0.0;
        double wd = (q - zp) * s.get(g);
        double xv = x.get(i * p.K + k);
        acc += xv * wd;
        facc += static_cast<float>(xv) *
                (static_cast<float>(q - zp) * static_cast<float>(s.get(g)));
      }
      e.ref[i * p.N + n] = acc;
      e.naive[i * p.N + n] = roundTo(outElt, facc);
    }
  return e;
}

//===----------------------------------------------------------------------===//
// Other cascades (f32)
//===----------------------------------------------------------------------===//

Expected softmaxReference(const Tensor &x, Elt outElt) {
  int64_t N = x.shape[0], C = x.shape[1];
  Expected e;
  e.ref.resize(N * C);
  e.naive.resize(N * C);
  for (int64_t n = 0; n < N; ++n) {
    double mx = -INFINITY;
    float fmx = -INFINITY;
    for (int64_t c = 0; c < C; ++c) {
      mx = std::max(mx, x.get(n * C + c));
      fmx = std::max(fmx, static_cast<float>(x.get(n * C + c)));
    }
    double sum = 0;
    float fsum = 0;
    for (int64_t c = 0; c < C; ++c) {
      sum += std::exp(x.get(n * C + c) - mx);
      fsum += std::exp(static_cast<float>(x.get(n * C + c)) - fmx);
    }
    for (int64_t c = 0; c < C; ++c) {
      e.ref[n * C + c] = std::exp(x.get(n * C + c) - mx) / sum;
      e.naive[n * C + c] = roundTo(
          outElt, std::exp(static_cast<float>(x.get(n * C + c)) - fmx) / fsum);
    }
  }
  return e;
}

Expected layerNormReference(const Tensor &x, const Tensor &gamma,
                            const Tensor &beta, double eps, Elt outElt) {
  int64_t N = x.shape[0], C = x.shape[1];
  Expected e;
  e.ref.resize(N * C);
  e.naive.resize(N * C);
  for (int64_t n = 0; n < N; ++n) {
    double mu = 0;
    float fmu = 0;
    for (int64_t c = 0; c < C; ++c) {
      mu += x.get(n * C + c);
      fmu += static_cast<float>(x.get(n * C + c));
    }
    mu /= C;
    fmu /= static_cast<float>(C);
    double var = 0;
    float fvar = 0;
    for (int64_t c = 0; c < C; ++c) {
      double d = x.get(n * C + c) - mu;
      float fd = static_cast<float>(x.get(n * C + c)) - fmu;
      var += d * d;
      fvar += fd * fd;
    }
    var /= C;
    fvar /= static_cast<float>(C);
    for (int64_t c = 0; c < C; ++c) {
      e.ref[n * C + c] = (x.get(n * C + c) - mu) / std::sqrt(var + eps) *
                             gamma.get(c) +
                         beta.get(c);
      float fy = (static_cast<float>(x.get(n * C + c)) - fmu) /
                     std::sqrt(fvar + static_cast<float>(eps)) *
                     static_cast<float>(gamma.get(c)) +
                 static_cast<float>(beta.get(c));
      e.naive[n * C + c] = roundTo(outElt, fy);
    }
  }
  return e;
}

Expected crossEntropyReference(const Tensor &x, const Tensor &onehot) {
  int64_t N = x.shape[0], C = x.shape[1];
  Expected e;
  e.ref.resize(N);
  e.naive.resize(N);
  for (int64_t n = 0; n < N; ++n) {
    double mx = -INFINITY, picked = 0;
    float fmx = -INFINITY, fpicked = 0;
    for (int64_t c = 0; c < C; ++c) {
      double v = x.get(n * C + c);
      mx = std::max(mx, v);
      fmx = std::max(fmx, static_cast<float>(v));
      picked += v * onehot.get(n * C + c);
      fpicked += static_cast<float>(v) * static_cast<float>(onehot.get(n * C + c));
    }
    double sum = 0;
    float fsum = 0;
    for (int64_t c = 0; c < C; ++c) {
      sum += std::exp(x.get(n * C + c) - mx);
      fsum += std::exp(static_cast<float>(x.get(n * C + c)) - fmx);
    }
    e.ref[n] = std::log(sum) + mx - picked;
    e.naive[n] = (std::log(fsum) + fmx) - fpicked;
  }
  return e;
}

Expected rmsNormMatmulReference(const Tensor &x, const Tensor &g,
                                const Tensor &w, double eps, Elt outElt) {
  int64_t N = x.shape[0], C = x.shape[1], J = w.shape[1];
  Expected e;
  e.ref.assign(N * J, 0);
  e.naive.assign(N * J, 0);
  std::vector<double> y(C);
  std::vector<float> fy(C);
  for (int64_t n = 0; n < N; ++n) {
    double ms = 0;
    float fms = 0;
    for (int64_t c = 0; c < C; ++c) {
      double xv = x.get(n * C + c);
      ms += xv * xv;
      fms += static_cast<float>(xv) * static_cast<float>(xv);
    }
    double r = 1.0 / std::sqrt(ms / C + eps);
    float fr = 1.0f / std::sqrt(fms / static_cast<float>(C) + static_cast<float>(eps));
    for (int64_t c = 0; c < C; ++c) {
      y[c] = x.get(n * C + c) * r * g.get(c);
      fy[c] = static_cast<float>(x.get(n * C + c)) * fr * static_cast<float>(g.get(c));
    }
    for (int64_t j = 0; j < J; ++j) {
      double acc = 0;
      float facc = 0;
      for (int64_t c = 0; c < C; ++c) {
        acc += y[c] * w.get(c * J + j);
        facc += fy[c] * static_cast<float>(w.get(c * J + j));
      }
      e.ref[n * J + j] = acc;
      e.naive[n * J + j] = roundTo(outElt, facc);
    }
  }
  return e;
}

} // namespace e2e
