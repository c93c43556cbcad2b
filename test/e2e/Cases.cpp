//===- Cases.cpp - Random awkward test cases --------------------------------===//
#include "E2E.h"

#include <cmath>
#include <sstream>

namespace e2e {

namespace {

int64_t pick(Rng &rng, std::initializer_list<int64_t> values) {
  std::uniform_int_distribution<size_t> d(0, values.size() - 1);
  return values.begin()[d(rng)];
}

bool coin(Rng &rng, double p = 0.5) {
  return std::bernoulli_distribution(p)(rng);
}

double uniform(Rng &rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

int64_t integer(Rng &rng, int64_t lo, int64_t hi) {
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
}

/// `tensor<...>` with the dims in `dynamic` printed as `?`.
std::string tensorType(const std::vector<int64_t> &shape,
                       const std::vector<bool> &dynamic, Elt elt) {
  std::ostringstream os;
  os << "tensor<";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < dynamic.size() && dynamic[i])
      os << "?";
    else
      os << shape[i];
    os << "x";
  }
  os << mlirName(elt) << ">";
  return os.str();
}

void fillUniform(Rng &rng, Tensor &t, double lo, double hi) {
  for (int64_t i = 0; i < t.numel(); ++i)
    t.set(i, uniform(rng, lo, hi));
}

/// Sequence lengths that hit 1, primes, powers of two and their neighbours.
int64_t awkwardLength(Rng &rng) {
  return pick(rng, {1, 2, 3, 5, 7, 8, 13, 16, 17, 31, 32, 33, 47, 63, 64, 65});
}

std::string fmt(double v) {
  std::ostringstream os;
  os.precision(17);
  os << std::scientific << v;
  return os.str();
}

/// Custom-map lines computing `%<result> = %s / extent(c)` in f32 (a mean
/// over the rank c).
std::string divideByExtentC(const std::string &result) {
  return "      %ci = ein.extent \"c\" : index\n"
         "      %cn = arith.index_cast %ci : index to i64\n"
         "      %cf = arith.sitofp %cn : i64 to f32\n"
         "      %" + result + " = arith.divf %s, %cf : f32\n";
}

/// Einsums %mx = max over c of %x, %e = exp(%x - %mx), %s = sum over c of %e.
std::string maxExpSum(const std::string &xT, const std::string &rT) {
  return "    %mx = ein.einsum copy(%x[n, c]) -> [n] max[c] : (" + xT + ") -> " + rT + "\n"
         "    %e = ein.einsum custom(%x[n, c], %mx[n]) -> [n, c] {\n"
         "    ^bb0(%a: f32, %b: f32):\n"
         "      %d = arith.subf %a, %b : f32\n"
         "      %r = math.exp %d : f32\n"
         "      ein.yield %r : f32\n"
         "    } : (" + xT + ", " + rT + ") -> " + xT + "\n"
         "    %s = ein.einsum copy(%e[n, c]) -> [n] sum[c] : (" + xT + ") -> " + rT + "\n";
}

} // namespace

Case makeAttentionCase(Rng &rng, int index) {
  AttentionParams p;
  p.B = integer(rng, 1, 2);
  p.Hkv = pick(rng, {1, 2, 3});
  int64_t G = pick(rng, {1, 1, 2, 3, 4});
  p.Hq = p.Hkv * G;
  p.Sq = awkwardLength(rng);
  p.Sk = coin(rng, 0.3) ? p.Sq : awkwardLength(rng);
  p.D = pick(rng, {1, 4, 8, 16, 17, 32, 64});
  p.Dv = coin(rng) ? p.D : pick(rng, {3, 8, 16, 24});
  Elt dt = index % 3 == 0 ? Elt::F32 : (index % 3 == 1 ? Elt::BF16 : Elt::F16);
  if (coin(rng, 0.3))
    dt = Elt::F32;

  // Variants cycle so that every mask kind appears in every run.
  int variant = index % 8;
  std::ostringstream attrs;
  std::vector<std::string> attrList;
  switch (variant) {
  case 0: break;
  case 1: p.causal = true; break;
  case 2: p.causal = true; p.bottomRight = true; break;
  case 3: p.left = integer(rng, 0, 8); p.right = integer(rng, -1, 4); p.bottomRight = coin(rng); break;
  case 4: p.maskKind = coin(rng) ? 1 : 2; break;
  case 5: p.maskKind = coin(rng) ? 3 : 4; break;
  case 6: p.causal = true; p.left = integer(rng, 0, 6); p.bottomRight = coin(rng); break;
  case 7: p.softcap = pick(rng, {2, 5, 30}); p.causal = coin(rng); p.bottomRight = coin(rng); break;
  }
  bool customScale = coin(rng, 0.3);
  p.scale = customScale ? uniform(rng, 0.05, 1.5) : 1.0 / std::sqrt(double(p.D));
  if (p.causal)
    attrList.push_back("causal");
  if (p.left >= 0 || p.right >= 0)
    attrList.push_back("window = array<i64: " + std::to_string(p.left) + ", " +
                       std::to_string(p.right) + ">");
  if (p.bottomRight)
    attrList.push_back("align = #ein.align<bottom_right>");
  if (customScale)
    attrList.push_back("scale = " + fmt(p.scale) + " : f64");
  if (p.softcap > 0)
    attrList.push_back("softcap = " + fmt(p.softcap) + " : f64");

  bool dynB = coin(rng), dynS = coin(rng);
  Tensor q(dt, {p.B, p.Hq, p.Sq, p.D}), k(dt, {p.B, p.Hkv, p.Sk, p.D}),
      v(dt, {p.B, p.Hkv, p.Sk, p.Dv});
  double amp = pick(rng, {1, 2, 4, 8});
  fillUniform(rng, q, -amp, amp);
  fillUniform(rng, k, -amp, amp);
  fillUniform(rng, v, -1, 1);

  Case c;
  std::vector<bool> dyn4 = {dynB, false, dynS, false};
  std::string qT = tensorType(q.shape, dyn4, dt), kT = tensorType(k.shape, dyn4, dt),
              vT = tensorType(v.shape, dyn4, dt);
  Tensor out(dt, {p.B, p.Hq, p.Sq, p.Dv});
  std::string oT = tensorType(out.shape, dyn4, dt);
  std::string maskArg, maskUse;
  Tensor mask;
  if (p.maskKind) {
    bool isBool = p.maskKind <= 2;
    Elt me = isBool ? Elt::I1 : dt;
    std::vector<int64_t> ms = p.maskKind % 2 == 1
                                  ? std::vector<int64_t>{p.Sq, p.Sk}
                                  : std::vector<int64_t>{p.B, p.Hq, p.Sq, p.Sk};
    mask = Tensor(me, ms);
    int64_t rows = mask.numel() / p.Sk;
    for (int64_t r = 0; r < rows; ++r) {
      // Some rows fully masked: they must come out as 0.
      bool allMasked = isBool && coin(rng, 0.2);
      for (int64_t j = 0; j < p.Sk; ++j) {
        int64_t i = r * p.Sk + j;
        if (isBool)
          mask.set(i, allMasked ? 0 : coin(rng, 0.7));
        else
          mask.set(i, coin(rng, 0.1) ? -INFINITY : uniform(rng, -2, 2));
      }
    }
    std::vector<bool> mdyn = ms.size() == 2 ? std::vector<bool>{dynS, dynS}
                                            : std::vector<bool>{dynB, false, dynS, dynS};
    std::string mT = tensorType(ms, mdyn, me);
    maskArg = ", %mask: " + mT;
    maskUse = " mask(%mask : " + mT + ")";
  }
  std::ostringstream m;
  m << "func.func @kernel(%q: " << qT << ", %k: " << kT << ", %v: " << vT
    << maskArg << ") -> " << oT << " {\n"
    << "  %o = ein.attention %q, %k, %v" << maskUse;
  if (!attrList.empty()) {
    m << " {";
    for (size_t i = 0; i < attrList.size(); ++i)
      m << (i ? ", " : "") << attrList[i];
    m << "}";
  }
  m << " : " << qT << ", " << kT << ", " << vT << " -> " << oT << "\n"
    << "  return %o : " << oT << "\n}\n";
  c.mlir = m.str();

  std::ostringstream d;
  d << "attention " << mlirName(dt) << " B" << p.B << " Hq" << p.Hq << " Hkv"
    << p.Hkv << " Sq" << p.Sq << " Sk" << p.Sk << " D" << p.D << " Dv" << p.Dv
    << (p.causal ? " causal" : "") << (p.bottomRight ? " bottom-right" : "")
    << (p.left >= 0 || p.right >= 0
            ? " window(" + std::to_string(p.left) + "," + std::to_string(p.right) + ")"
            : "")
    << (p.maskKind ? " mask" + std::to_string(p.maskKind) : "")
    << (p.softcap > 0 ? " softcap" : "") << (dynB || dynS ? " dynamic" : "");
  c.desc = d.str();
  c.inputs = {q, k, v};
  if (p.maskKind)
    c.inputs.push_back(mask);
  c.output = out;
  c.expected = attentionReference(p, q, k, v, p.maskKind ? &mask : nullptr, dt);
  c.floor = dt == Elt::F32 ? 1e-6 : 1e-3;
  return c;
}

Case makeQMatmulCase(Rng &rng, int index) {
  QMatmulParams p;
  p.kind = index % 4;
  p.group = pick(rng, {1, 2, 4, 8, 16, 32, 64});
  p.K = p.group * integer(rng, 1, 6);
  if (p.kind <= 1 && p.K % 2)
    p.K *= 2;
  p.M = pick(rng, {1, 2, 3, 5, 16, 17});
  p.N = pick(rng, {1, 3, 7, 8, 33});
  p.zeroPoint = coin(rng);
  // Exact cases: small integers and power-of-two scales.
  bool exact = p.kind != 3 && (index / 4) % 2 == 0;
  Elt xe = exact ? (coin(rng) ? Elt::I8 : Elt::F32)
                 : static_cast<Elt>(pick(rng, {0, 1, 2, 3, 5}));
  if (p.kind == 3 && coin(rng, 0.3))
    xe = Elt::F8E4M3;
  Elt se = exact ? Elt::F32 : static_cast<Elt>(pick(rng, {0, 1, 2}));
  Elt oe = exact ? Elt::F32 : static_cast<Elt>(pick(rng, {0, 1, 2}));
  static const char *kinds[] = {"int4", "uint4", "int8", "fp8_e4m3"};

  Tensor x(xe, {p.M, p.K});
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (xe == Elt::F8E4M3) {
      uint8_t b;
      do b = static_cast<uint8_t>(integer(rng, 0, 255)); while ((b & 0x7F) == 0x7F);
      x.setRaw(i, b);
    } else {
      x.set(i, exact || xe == Elt::I8 ? double(integer(rng, -8, 7)) : uniform(rng, -1, 1));
    }
  }
  int64_t wCols = p.kind <= 1 ? p.K / 2 : p.K;
  Tensor w(p.kind == 3 ? Elt::F8E4M3 : Elt::I8, {p.N, wCols});
  for (int64_t i = 0; i < w.numel(); ++i) {
    uint8_t b;
    do b = static_cast<uint8_t>(integer(rng, 0, 255));
    while (p.kind == 3 && (b & 0x7F) == 0x7F);
    w.setRaw(i, b);
  }
  Tensor s(se, {p.N, p.K / p.group}), z(se, {p.N, p.K / p.group});
  for (int64_t i = 0; i < s.numel(); ++i) {
    s.set(i, exact ? std::ldexp(1.0, int(integer(rng, -3, 1))) : uniform(rng, 0.001, 0.05));
    z.set(i, exact ? double(integer(rng, -4, 4)) : uniform(rng, -3, 3));
  }

  Case c;
  std::string xT = tensorType(x.shape, {coin(rng)}, xe);
  std::string wT = tensorType(w.shape, {}, w.elt);
  std::string sT = tensorType(s.shape, {}, se);
  Tensor out(oe, {p.M, p.N});
  std::string oT = tensorType(out.shape, {xT.find('?') != std::string::npos}, oe);
  std::ostringstream m;
  m << "func.func @kernel(%x: " << xT << ", %w: " << wT << ", %s: " << sT
    << (p.zeroPoint ? ", %z: " + sT : "") << ") -> " << oT << " {\n"
    << "  %o = ein.qmatmul %x, %w scales(%s)"
    << (p.zeroPoint ? " zero_points(%z)" : "")
    << " format(#ein.qformat<kind = " << kinds[p.kind]
    << ", group_size = " << p.group
    << ", zero_point = " << (p.zeroPoint ? "true" : "false") << ">) : " << xT
    << ", " << wT << ", " << sT << (p.zeroPoint ? ", " + sT : "") << " -> "
    << oT << "\n  return %o : " << oT << "\n}\n";
  c.mlir = m.str();
  std::ostringstream d;
  d << "qmatmul " << kinds[p.kind] << " x:" << mlirName(xe) << " s:"
    << mlirName(se) << " out:" << mlirName(oe) << " M" << p.M << " N" << p.N
    << " K" << p.K << " g" << p.group << (p.zeroPoint ? " zp" : "")
    << (exact ? " exact" : "");
  c.desc = d.str();
  c.inputs = {x, w, s};
  if (p.zeroPoint)
    c.inputs.push_back(z);
  c.output = out;
  c.expected = qmatmulReference(p, x, w, s, p.zeroPoint ? &z : nullptr, oe, exact);
  c.floor = oe == Elt::F32 ? 1e-5 : 1e-2;
  return c;
}

Case makeSoftmaxCase(Rng &rng, int index) {
  int64_t N = pick(rng, {1, 2, 3, 7, 16, 33}), C = awkwardLength(rng);
  bool dyn = coin(rng);
  Tensor x(Elt::F32, {N, C});
  fillUniform(rng, x, -8, 8);
  std::string xT = tensorType(x.shape, {dyn, dyn}, Elt::F32);
  std::string rT = tensorType({N}, {dyn}, Elt::F32);
  std::ostringstream m;
  m << "func.func @kernel(%x: " << xT << ") -> " << xT << " {\n"
    << "  %y = ein.cascade [n, c] -> (" << xT << ") {\n"
    << maxExpSum(xT, rT)
    << "    %y = ein.einsum div(%e[n, c], %s[n]) -> [n, c] : (" << xT << ", " << rT << ") -> " << xT << "\n"
    << "    ein.yield %y : " << xT << "\n  }\n"
    << "  return %y : " << xT << "\n}\n";
  Case c;
  c.mlir = m.str();
  c.desc = "softmax N" + std::to_string(N) + " C" + std::to_string(C) + (dyn ? " dynamic" : "");
  c.inputs = {x};
  c.output = Tensor(Elt::F32, {N, C});
  c.expected = softmaxReference(x, Elt::F32);
  c.floor = 1e-6;
  (void)index;
  return c;
}

Case makeLayerNormCase(Rng &rng, int index) {
  int64_t N = pick(rng, {1, 2, 5, 16, 31}), C = awkwardLength(rng);
  bool dyn = coin(rng);
  double eps = 1e-5;
  bool squareWithInit = coin(rng);
  Tensor x(Elt::F32, {N, C}), g(Elt::F32, {C}), b(Elt::F32, {C});
  fillUniform(rng, x, -3, 5);
  fillUniform(rng, g, 0.5, 1.5);
  fillUniform(rng, b, -1, 1);
  std::string xT = tensorType(x.shape, {dyn, false}, Elt::F32);
  std::string cT = tensorType({C}, {}, Elt::F32);
  std::string rT = tensorType({N}, {dyn}, Elt::F32);
  std::ostringstream m;
  // mean = sum(x) / C; var = sum((x - mean)^2) / C; y = (x - mean) * rsqrt(var + eps) * g + b
  m << "func.func @kernel(%x: " << xT << ", %g: " << cT << ", %b: " << cT << ") -> " << xT << " {\n"
    << "  %y = ein.cascade [n, c] -> (" << xT << ") {\n"
    << "    %sum = ein.einsum copy(%x[n, c]) -> [n] sum[c] : (" << xT << ") -> " << rT << "\n"
    << "    %mean = ein.einsum custom(%sum[n]) -> [n] {\n"
    << "    ^bb0(%s: f32):\n"
    << divideByExtentC("r")
    << "      ein.yield %r : f32\n"
    << "    } : (" << rT << ") -> " << rT << "\n"
    << "    %d = ein.einsum sub(%x[n, c], %mean[n]) -> [n, c] : (" << xT << ", " << rT << ") -> " << xT << "\n";
  // The sum of squares as mul(d, d), or (as docs/guide-writing-cascades.md
  // writes it) as a custom square whose sum starts at C * eps.
  if (squareWithInit) {
    m << "    %ss = ein.einsum custom(%d[n, c]) -> [n] sum[c] init(" << fmt(C * eps) << " : f32) {\n"
      << "    ^bb0(%e: f32):\n"
      << "      %sq = arith.mulf %e, %e : f32\n"
      << "      ein.yield %sq : f32\n"
      << "    } : (" << xT << ") -> " << rT << "\n";
  } else {
    m << "    %ss = ein.einsum mul(%d[n, c], %d[n, c]) -> [n] sum[c] : (" << xT << ", " << xT << ") -> " << rT << "\n";
  }
  m << "    %rstd = ein.einsum custom(%ss[n]) -> [n] {\n"
    << "    ^bb0(%s: f32):\n"
    << divideByExtentC("var")
    << "      %eps = arith.constant " << fmt(squareWithInit ? 0.0 : eps) << " : f32\n"
    << "      %ve = arith.addf %var, %eps : f32\n"
    << "      %r = math.rsqrt %ve : f32\n"
    << "      ein.yield %r : f32\n"
    << "    } : (" << rT << ") -> " << rT << "\n"
    << "    %y = ein.einsum custom(%d[n, c], %rstd[n], %g[c], %b[c]) -> [n, c] {\n"
    << "    ^bb0(%dv: f32, %rv: f32, %gv: f32, %bv: f32):\n"
    << "      %t = arith.mulf %dv, %rv : f32\n"
    << "      %u = arith.mulf %t, %gv : f32\n"
    << "      %r = arith.addf %u, %bv : f32\n"
    << "      ein.yield %r : f32\n"
    << "    } : (" << xT << ", " << rT << ", " << cT << ", " << cT << ") -> " << xT << "\n"
    << "    ein.yield %y : " << xT << "\n  }\n"
    << "  return %y : " << xT << "\n}\n";
  Case c;
  c.mlir = m.str();
  c.desc = "layernorm N" + std::to_string(N) + " C" + std::to_string(C) + (dyn ? " dynamic" : "");
  c.inputs = {x, g, b};
  c.output = Tensor(Elt::F32, {N, C});
  c.expected = layerNormReference(x, g, b, eps, Elt::F32);
  c.floor = 1e-5;
  (void)index;
  return c;
}

Case makeRMSNormMatmulCase(Rng &rng, int index) {
  int64_t N = pick(rng, {1, 3, 8, 17}), C = awkwardLength(rng), J = pick(rng, {1, 5, 16, 33});
  bool dyn = coin(rng);
  double eps = 1e-6;
  Tensor x(Elt::F32, {N, C}), g(Elt::F32, {C}), w(Elt::F32, {C, J});
  fillUniform(rng, x, -2, 2);
  fillUniform(rng, g, 0.5, 1.5);
  fillUniform(rng, w, -1, 1);
  std::string xT = tensorType(x.shape, {dyn, false}, Elt::F32);
  std::string cT = tensorType({C}, {}, Elt::F32);
  std::string wT = tensorType(w.shape, {}, Elt::F32);
  std::string rT = tensorType({N}, {dyn}, Elt::F32);
  std::string oT = tensorType({N, J}, {dyn, false}, Elt::F32);
  std::ostringstream m;
  // r = rsqrt(sum(x^2) / C + eps); y = x * r * g; o = y @ w
  m << "func.func @kernel(%x: " << xT << ", %g: " << cT << ", %w: " << wT << ") -> " << oT << " {\n"
    << "  %o = ein.cascade [n, c, j] -> (" << oT << ") {\n"
    << "    %ss = ein.einsum mul(%x[n, c], %x[n, c]) -> [n] sum[c] : (" << xT << ", " << xT << ") -> " << rT << "\n"
    << "    %r = ein.einsum custom(%ss[n]) -> [n] {\n"
    << "    ^bb0(%s: f32):\n"
    << divideByExtentC("ms")
    << "      %eps = arith.constant " << fmt(eps) << " : f32\n"
    << "      %me = arith.addf %ms, %eps : f32\n"
    << "      %rs = math.rsqrt %me : f32\n"
    << "      ein.yield %rs : f32\n"
    << "    } : (" << rT << ") -> " << rT << "\n"
    << "    %y = ein.einsum custom(%x[n, c], %r[n], %g[c]) -> [n, c] {\n"
    << "    ^bb0(%xv: f32, %rv: f32, %gv: f32):\n"
    << "      %t = arith.mulf %xv, %rv : f32\n"
    << "      %u = arith.mulf %t, %gv : f32\n"
    << "      ein.yield %u : f32\n"
    << "    } : (" << xT << ", " << rT << ", " << cT << ") -> " << xT << "\n"
    << "    %o = ein.einsum mul(%y[n, c], %w[c, j]) -> [n, j] sum[c] : (" << xT << ", " << wT << ") -> " << oT << "\n"
    << "    ein.yield %o : " << oT << "\n  }\n"
    << "  return %o : " << oT << "\n}\n";
  Case c;
  c.mlir = m.str();
  c.desc = "rmsnorm-matmul N" + std::to_string(N) + " C" + std::to_string(C) +
           " J" + std::to_string(J) + (dyn ? " dynamic" : "");
  c.inputs = {x, g, w};
  c.output = Tensor(Elt::F32, {N, J});
  c.expected = rmsNormMatmulReference(x, g, w, eps, Elt::F32);
  c.floor = 1e-5;
  (void)index;
  return c;
}

Case makeCrossEntropyCase(Rng &rng, int index) {
  int64_t N = pick(rng, {1, 2, 5, 16, 31}), C = awkwardLength(rng) * pick(rng, {1, 3, 17});
  bool dyn = coin(rng);
  Tensor x(Elt::F32, {N, C}), onehot(Elt::F32, {N, C});
  fillUniform(rng, x, -20, 20);
  for (int64_t n = 0; n < N; ++n)
    onehot.set(n * C + integer(rng, 0, C - 1), 1.0);
  std::string xT = tensorType(x.shape, {false, dyn}, Elt::F32);
  std::string rT = tensorType({N}, {}, Elt::F32);
  std::ostringstream m;
  // loss = log(sum exp(x - max)) + max - sum(x * onehot)
  m << "func.func @kernel(%x: " << xT << ", %onehot: " << xT << ") -> " << rT << " {\n"
    << "  %l = ein.cascade [n, c] -> (" << rT << ") {\n"
    << maxExpSum(xT, rT)
    << "    %picked = ein.einsum mul(%x[n, c], %onehot[n, c]) -> [n] sum[c] : (" << xT << ", " << xT << ") -> " << rT << "\n"
    << "    %lse = ein.einsum custom(%s[n], %mx[n]) -> [n] {\n"
    << "    ^bb0(%a: f32, %b: f32):\n"
    << "      %lg = math.log %a : f32\n"
    << "      %r = arith.addf %lg, %b : f32\n"
    << "      ein.yield %r : f32\n"
    << "    } : (" << rT << ", " << rT << ") -> " << rT << "\n"
    << "    %loss = ein.einsum sub(%lse[n], %picked[n]) -> [n] : (" << rT << ", " << rT << ") -> " << rT << "\n"
    << "    ein.yield %loss : " << rT << "\n  }\n"
    << "  return %l : " << rT << "\n}\n";
  Case c;
  c.mlir = m.str();
  c.desc = "cross-entropy N" + std::to_string(N) + " C" + std::to_string(C) + (dyn ? " dynamic" : "");
  c.inputs = {x, onehot};
  c.output = Tensor(Elt::F32, {N});
  c.expected = crossEntropyReference(x, onehot);
  c.floor = 1e-5;
  (void)index;
  return c;
}

} // namespace e2e
