//===- E2E.h - End-to-end numeric tests: shared types -----------*- C++ -*-===//
//
// Tensors hold the kernel's raw bytes in its element type; the reference
// works on the decoded values in double. Reference.cpp is written from the
// definitions of the ops (docs/design.md, EinOps.td), not from the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef EINFUSE_TEST_E2E_E2E_H
#define EINFUSE_TEST_E2E_E2E_H

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace e2e {

enum class Elt { F32, F16, BF16, I8, I1, F8E4M3 };

const char *mlirName(Elt e);
size_t byteSize(Elt e);

/// Rounds a double to the nearest value of `e` (float types) and returns it.
double roundTo(Elt e, double v);

struct Tensor {
  Elt elt = Elt::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  Tensor() = default;
  Tensor(Elt elt, std::vector<int64_t> shape);
  int64_t numel() const;
  double get(int64_t i) const;
  /// Stores `v`, rounded to the element type.
  void set(int64_t i, double v);
  /// Stores the raw fp8 byte (F8E4M3 only).
  void setRaw(int64_t i, uint8_t b) { bytes[i] = b; }
  /// Fills with NaN (floats) or 0x5A bytes (others): unwritten elements fail.
  void poison();
};

/// A reference result: values in double and the same computation done
/// naively in the kernel's dtype.
struct Expected {
  std::vector<double> ref;
  std::vector<double> naive;
  bool exact = false; ///< the result must match ref bit for bit
};

/// One generated test case.
struct Case {
  std::string desc;
  std::string mlir;     ///< module with one public function @kernel
  std::vector<Tensor> inputs;
  Tensor output;        ///< shape and dtype; poisoned before the run
  Expected expected;
  double floor = 0;     ///< absolute floor of the tolerance
};

/// The outcome of checking one output against the contract.
struct Verdict {
  bool pass = false;
  double maxErr = 0, naiveErr = 0, bound = 0;
  int64_t worst = -1;
  std::string why;
};

/// Numerics contract (docs/design.md): every element within
/// 2 * max|naive - ref| + floor of ref (0 for exact cases), and no NaN/Inf
/// where the reference is finite.
Verdict check(const Tensor &out, const Expected &exp, double floor);

using Rng = std::mt19937_64;

// Case families.
Case makeAttentionCase(Rng &rng, int index);
Case makeQMatmulCase(Rng &rng, int index);
Case makeSoftmaxCase(Rng &rng, int index);
Case makeLayerNormCase(Rng &rng, int index);
Case makeRMSNormMatmulCase(Rng &rng, int index);
Case makeCrossEntropyCase(Rng &rng, int index);

// References (Reference.cpp).
struct AttentionParams {
  int64_t B, Hq, Hkv, Sq, Sk, D, Dv;
  double scale;
  double softcap = 0; // 0: none
  bool causal = false, bottomRight = false;
  int64_t left = -1, right = -1; // window; -1 unbounded
  int maskKind = 0;              // 0 none, 1 bool [Sq,Sk], 2 bool [B,H,Sq,Sk], 3 bias [Sq,Sk], 4 bias 4-D
};
Expected attentionReference(const AttentionParams &p, const Tensor &q,
                            const Tensor &k, const Tensor &v,
                            const Tensor *mask, Elt outElt);

struct QMatmulParams {
  int64_t M, N, K, group;
  int kind; // 0 int4, 1 uint4, 2 int8, 3 fp8_e4m3
  bool zeroPoint;
};
/// Dequantized weight value w[n][k] from the stored tensor.
double storedWeight(const QMatmulParams &p, const Tensor &w, int64_t n,
                    int64_t k);
double decodeF8E4M3(uint8_t b);
Expected qmatmulReference(const QMatmulParams &p, const Tensor &x,
                          const Tensor &w, const Tensor &s, const Tensor *z,
                          Elt outElt, bool exact);

Expected softmaxReference(const Tensor &x, Elt outElt);
Expected layerNormReference(const Tensor &x, const Tensor &gamma,
                            const Tensor &beta, double eps, Elt outElt);
Expected crossEntropyReference(const Tensor &x, const Tensor &onehot);
Expected rmsNormMatmulReference(const Tensor &x, const Tensor &g,
                                const Tensor &w, double eps, Elt outElt);

} // namespace e2e

#endif
