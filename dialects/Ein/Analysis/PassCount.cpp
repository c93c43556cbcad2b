//===- PassCount.cpp - Passes over a rank and on-chip footprint ------------===//
#include "Ein/Analysis/PassCount.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace einfuse::ein;

void Footprint::add(std::vector<std::string> symbols, int64_t coefficient) {
  llvm::sort(symbols);
  terms[symbols] += coefficient;
}

double Footprint::evaluate(const llvm::StringMap<int64_t> &sizes) const {
  double total = 0;
  for (auto &[symbols, coefficient] : terms) {
    double term = coefficient;
    for (const std::string &s : symbols) {
      auto it = sizes.find(s);
      term *= it == sizes.end() ? 1 : it->second;
    }
    total += term;
  }
  return total;
}

std::string Footprint::str() const {
  std::string out;
  llvm::raw_string_ostream os(out);
  bool first = true;
  for (auto &[symbols, coefficient] : terms) {
    os << (first ? "" : " + ");
    first = false;
    bool needStar = false;
    if (coefficient != 1 || symbols.empty()) {
      os << coefficient;
      needStar = true;
    }
    for (const std::string &s : symbols) {
      os << (needStar ? "*" : "") << s;
      needStar = true;
    }
  }
  if (first)
    os << "0";
  return out;
}

namespace {
/// What a pass-counting step knows about a value of the cascade.
struct ValueInfo {
  /// Produced element by element along r in pass `pass` (r is a rank of it).
  bool streamed = false;
  /// Complete only at the end of pass `pass` (it depends on a reduction
  /// over r).
  bool dependsOnR = false;
  int64_t pass = 0;
};

/// The plain ranks of an Einsum result, in order.
SmallVector<StringRef> resultRanks(EinsumOp op) {
  SmallVector<StringRef> names = op.getRankNames();
  SmallVector<StringRef> out;
  for (AffineExpr e : op.getOutputMap().getResults())
    out.push_back(names[cast<AffineDimExpr>(e).getPosition()]);
  return out;
}
} // namespace

CascadePassAnalysis::CascadePassAnalysis(CascadeOp cascade) : cascade(cascade) {
  llvm::StringSet<> reduced;
  for (EinsumOp e : cascade.getBodyBlock().getOps<EinsumOp>())
    for (unsigned pos : e.getReducedRankPositions())
      reduced.insert(e.getRankNames()[pos]);
  // An iteration reduces its rank into its state.
  for (IterateOp it : cascade.getBodyBlock().getOps<IterateOp>()) {
    reduced.insert(it.getRank());
    for (EinsumOp e : it.getBodyBlock().getOps<EinsumOp>())
      for (unsigned pos : e.getReducedRankPositions())
        if (e.getRankNames()[pos] != it.getTileRank())
          reduced.insert(e.getRankNames()[pos]);
  }
  for (Attribute r : cascade.getRanks()) {
    StringRef name = cast<StringAttr>(r).getValue();
    if (reduced.contains(name))
      reducedRanks.push_back(name.str());
  }
}

const RankPasses &CascadePassAnalysis::getPasses(StringRef rank) {
  auto cached = cache.find(rank.str());
  if (cached != cache.end())
    return cached->second;
  RankPasses result;
  result.rank = rank.str();
  llvm::DenseMap<Value, ValueInfo> info;
  int64_t lastPass = -1;

  // The pass an op runs in, given what it reads.
  auto passOf = [&](ValueRange inputs, bool iterates, bool &dependsOnR) {
    int64_t pass = 0;
    for (Value in : inputs) {
      auto it = info.find(in);
      if (it == info.end())
        continue; // from outside the cascade: readable in any pass
      const ValueInfo &vi = it->second;
      dependsOnR |= vi.dependsOnR || vi.streamed;
      int64_t need = 0;
      if (iterates)
        need = vi.streamed ? vi.pass : (vi.dependsOnR ? vi.pass + 1 : 0);
      else
        need = vi.dependsOnR || vi.streamed ? vi.pass : 0;
      pass = std::max(pass, need);
    }
    return pass;
  };

  for (Operation &op : cascade.getBodyBlock()) {
    if (auto it = dyn_cast<IterateOp>(op)) {
      // One pass over the tiles of its rank; its state is complete after
      // it. Over another rank, it runs like the Einsums in its body.
      bool iterates = it.getRank() == rank ||
                      llvm::any_of(it.getBodyBlock().getOps<EinsumOp>(),
                                   [&](EinsumOp e) {
                                     return llvm::is_contained(
                                         e.getRankNames(), rank);
                                   });
      // What it reads: its operands, and the cascade's values its body
      // captures (an earlier iteration's state, a guard's operand).
      SmallVector<Value> reads(it->getOperands());
      it.getBody().walk([&](Operation *inner) {
        for (Value v : inner->getOperands())
          if (Operation *def = v.getDefiningOp();
              def && def->getBlock() == &cascade.getBodyBlock())
            reads.push_back(v);
      });
      bool dependsOnR = false;
      int64_t pass = passOf(reads, iterates, dependsOnR);
      result.opPass[it] = pass;
      if (iterates)
        lastPass = std::max(lastPass, pass);
      // Over its own rank its state is complete after it. Over another
      // rank that no Einsum of its body reduces, a state indexed by that
      // rank is produced element by element along it, like an Einsum that
      // keeps the rank (attention's running output keeps f).
      bool reducesRank =
          it.getRank() == rank ||
          llvm::any_of(it.getBodyBlock().getOps<EinsumOp>(), [&](EinsumOp e) {
            return llvm::any_of(e.getReducedRankPositions(), [&](unsigned p) {
              return e.getRankNames()[p] == rank;
            });
          });
      // Whether the state yielded as `v` is computed through an Einsum of
      // the rank (its slice in the body; block arguments are states).
      Block &body = it.getBodyBlock();
      auto involvesRank = [&](Value v) {
        SmallVector<Value> work = {v};
        llvm::DenseSet<Operation *> seen;
        while (!work.empty()) {
          Operation *def = work.pop_back_val().getDefiningOp();
          if (!def || def->getBlock() != &body || !seen.insert(def).second)
            continue;
          if (auto e = dyn_cast<EinsumOp>(def);
              e && llvm::is_contained(e.getRankNames(), rank))
            return true;
          llvm::append_range(work, def->getOperands());
        }
        return false;
      };
      auto yield = cast<YieldOp>(body.getTerminator());
      for (auto [i, r] : llvm::enumerate(it.getResults())) {
        Value v = yield.getValues()[i];
        auto def = v.getDefiningOp<EinsumOp>();
        if (iterates && it.getRank() != rank && !involvesRank(v)) {
          // Not a function of the rank: like a value from outside.
          info[r] = ValueInfo{false, dependsOnR, pass};
          continue;
        }
        bool keeps = iterates && !reducesRank && def &&
                     llvm::is_contained(resultRanks(def), rank);
        info[r] = keeps ? ValueInfo{true, false, pass}
                        : ValueInfo{false, iterates || dependsOnR, pass};
      }
      continue;
    }
    auto e = dyn_cast<EinsumOp>(op);
    if (!e)
      continue;
    SmallVector<StringRef> names = e.getRankNames();
    bool iterates = llvm::is_contained(names, rank);
    bool dependsOnR = false;
    int64_t pass = passOf(e.getInputs(), iterates, dependsOnR);
    result.opPass[e] = pass;
    ValueInfo out;
    out.pass = pass;
    if (iterates) {
      lastPass = std::max(lastPass, pass);
      bool keeps = llvm::is_contained(resultRanks(e), rank);
      out.streamed = keeps;
      out.dependsOnR = !keeps;
    } else {
      out.dependsOnR = dependsOnR;
    }
    info[e.getResult()] = out;
  }
  result.passes = lastPass + 1;

  // Footprint: every intermediate, tiled along each rank; along r, a value
  // streamed in one pass and read in a later one is held whole. Inside an
  // iteration, the tile rank is the tile of the iterated rank.
  auto addFootprint = [&](EinsumOp e, StringRef tileRank, StringRef of) {
    auto it = info.find(e.getResult());
    bool crosses = false;
    if (it != info.end() && it->second.streamed)
      for (Operation *user : e.getResult().getUsers()) {
        auto up = result.opPass.find(user);
        if (up != result.opPass.end() && up->second > it->second.pass)
          crosses = true;
      }
    std::vector<std::string> symbols;
    for (StringRef r : resultRanks(e)) {
      StringRef name = r == tileRank ? of : r;
      symbols.push_back((r == rank && crosses ? "M_" : "T_") + name.str());
    }
    result.footprint.add(symbols, 1);
  };
  for (Operation &op : cascade.getBodyBlock()) {
    if (auto e = dyn_cast<EinsumOp>(op))
      addFootprint(e, "", "");
    else if (auto it = dyn_cast<IterateOp>(op))
      for (EinsumOp e : it.getBodyBlock().getOps<EinsumOp>())
        addFootprint(e, it.getTileRank(), it.getRank());
  }
  return cache.emplace(rank.str(), std::move(result)).first->second;
}

int64_t CascadePassAnalysis::getMaxPasses() {
  int64_t most = 1;
  for (const std::string &r : reducedRanks)
    most = std::max(most, getPasses(r).passes);
  return most;
}
