//===- EinOps.td - The Ein dialect ------------------------*- tablegen -*-===//
//
// Ein: cascades of extended Einsums over named ranks, and the named ops
// (attention, quantized matmul) that decompose into them.
//
//===----------------------------------------------------------------------===//

#ifndef EIN_OPS_TD
#define EIN_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Dialect/Linalg/IR/LinalgInterfaces.td"
include "mlir/Interfaces/TilingInterface.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

def Ein_Dialect : Dialect {
  let name = "ein";
  let cppNamespace = "::einfuse::ein";
  let summary = "Cascades of extended Einsums, attention and quantized matmul";
  let description = [{
    The Ein dialect describes computations as *cascades of extended Einsums*
    (FuseMax, EDGE). Tensors are indexed by named ranks. Each `ein.einsum`
    applies a map action to the elements of its operands and an optional
    reduce action over the ranks that do not appear in its output. An
    `ein.cascade` groups Einsums that share rank names.

    Named ops (`ein.attention`, `ein.qmatmul`) are sugar: `--ein-decompose`
    turns them into cascades so every variant goes through the same
    analyses and rewrites.

    The argument and result attribute `ein.name = "q"` names a kernel
    parameter in the generated C header (by default the argument's SSA
    name); the verifier checks that C can take it.
  }];
  let useDefaultAttributePrinterParser = 1;
  // `ein.name` on function arguments and results names kernel parameters.
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// Enums and attributes
//===----------------------------------------------------------------------===//

def Ein_MapKind : I32EnumAttr<"MapKind", "map action of an Einsum", [
    I32EnumAttrCase<"copy", 0>, I32EnumAttrCase<"cast", 1>,
    I32EnumAttrCase<"neg", 2>, I32EnumAttrCase<"abs", 3>,
    I32EnumAttrCase<"exp", 4>, I32EnumAttrCase<"exp2", 5>,
    I32EnumAttrCase<"log", 6>, I32EnumAttrCase<"sqrt", 7>,
    I32EnumAttrCase<"rsqrt", 8>, I32EnumAttrCase<"tanh", 9>,
    I32EnumAttrCase<"add", 10>, I32EnumAttrCase<"sub", 11>,
    I32EnumAttrCase<"mul", 12>, I32EnumAttrCase<"div", 13>,
    I32EnumAttrCase<"max", 14>, I32EnumAttrCase<"min", 15>,
    I32EnumAttrCase<"select", 16>, I32EnumAttrCase<"custom", 17>]> {
  let cppNamespace = "::einfuse::ein";
  let genSpecializedAttr = 0;
}
def Ein_MapKindAttr : EnumAttr<Ein_Dialect, Ein_MapKind, "map"> {
  let assemblyFormat = "`<` $value `>`";
}

def Ein_ReduceKind : I32EnumAttr<"ReduceKind", "reduce action of an Einsum", [
    I32EnumAttrCase<"none", 0>, I32EnumAttrCase<"sum", 1>,
    I32EnumAttrCase<"max", 2>, I32EnumAttrCase<"min", 3>]> {
  let cppNamespace = "::einfuse::ein";
  let genSpecializedAttr = 0;
}
def Ein_ReduceKindAttr : EnumAttr<Ein_Dialect, Ein_ReduceKind, "reduce"> {
  let assemblyFormat = "`<` $value `>`";
}

def Ein_MaskAlign : I32EnumAttr<"MaskAlign",
    "where the causal diagonal sits when S_q != S_k", [
    I32EnumAttrCase<"top_left", 0>, I32EnumAttrCase<"bottom_right", 1>]> {
  let cppNamespace = "::einfuse::ein";
  let genSpecializedAttr = 0;
}
def Ein_MaskAlignAttr : EnumAttr<Ein_Dialect, Ein_MaskAlign, "align"> {
  let assemblyFormat = "`<` $value `>`";
}

def Ein_QuantKind : I32EnumAttr<"QuantKind", "stored weight element format", [
    I32EnumAttrCase<"int4", 0>, I32EnumAttrCase<"uint4", 1>,
    I32EnumAttrCase<"int8", 2>, I32EnumAttrCase<"fp8_e4m3", 3>]> {
  let cppNamespace = "::einfuse::ein";
}

def Ein_QuantFormatAttr : AttrDef<Ein_Dialect, "QuantFormat"> {
  let mnemonic = "qformat";
  let summary = "how quantized weights are stored and dequantized";
  let description = [{
    `#ein.qformat<kind = int4, group_size = 128, zero_point = true>`

    * `kind`: the stored element format. `int4`/`uint4` pack two values per
      byte along K (low nibble first) in an `i8` tensor `[N, K/2]`; `int8`
      is an `i8` tensor `[N, K]`; `fp8_e4m3` is an `f8E4M3FN` tensor `[N, K]`.
    * `group_size`: scales (and zero points) are shared by `group_size`
      consecutive elements along K; they are `[N, K / group_size]`.
    * `zero_point`: whether a zero-point operand is present. Dequantization
      is `w = (q - zero) * scale`.

    New formats (fp6, nf4, LUT codebooks) are new `kind`s, plus parameters
    where they need them; the ops that use the format do not change.
  }];
  let parameters = (ins
    EnumParameter<Ein_QuantKind>:$kind,
    "int64_t":$group_size,
    DefaultValuedParameter<"bool", "false">:$zero_point);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Bits of one quantized value.
    unsigned getBitWidth() const;
    /// Quantized values held by one element of the storage tensor.
    unsigned getValuesPerStorageElement() const { return getBitWidth() == 4 ? 2 : 1; }
    /// Element type of the storage tensor.
    ::mlir::Type getStorageType() const;
  }];
}

def Ein_GPUConfigAttr : AttrDef<Ein_Dialect, "GPUConfig"> {
  let mnemonic = "gpu_config";
  let summary = "how the GPU lowering runs one kernel function";
  let description = [{
    `#ein.gpu_config<threads = 128, lanes = 32, tile_size = 64, matrix_tile = 16>`,
    the `ein.gpu_config` attribute of a kernel function: the configuration
    of `--einfuse-gpu-pipeline`, chosen per target and per kernel by its
    first step (`--einfuse-gpu-config`) unless the function already has
    one, and read by every later step that has a parameter to set.

    * `threads`: threads per block (1 to 1024);
    * `lanes`: threads per tile point: 1, or the subgroup size (the point's
      reductions run across the lanes); it divides `threads`;
    * `tile_size`: the tile of the rank `ein-online-normalize` iterates
      (key tiles, K tiles), and of the reductions split inside a point;
    * `matrix_tile`: rows and columns of a matrix product's tile that one
      subgroup computes with the matrix instruction (1: none; then lanes
      must be the subgroup size), at most 256;
    * `k_split`: subgroups that share one matrix tile, each taking a part
      of K, their partial sums added through workgroup memory (1: none);
      more than 1 only as `threads / lanes`, so that a block is one tile.
    * `small_m`: with `matrix_tile` above 1, a matrix product one of whose
      free ranks (M, or N) has an extent of at most `small_m` runs on the
      lanes instead (a subgroup per output element, its lanes over K: the
      GEMV shape of decode), where a matrix tile would compute mostly
      padding. A static extent is decided at compile time; a run-time
      extent gets both tile loops, each bounded by a `select` on the
      extent so that one of them has no points (its launch is skipped).
      0: never.
    * `split`: workers of each `ein.iterate` that says how its states
      combine (`--ein-partition` with `workers = split`): split-KV at
      decode. The chunks' states are a kernel of their own (a point per
      chunk and row), merged by a second kernel; the states live in the
      launcher's workspace. 0 or 1: no split (a point runs the whole
      iteration). Up to 1024.
  }];
  let parameters = (ins "int64_t":$threads, "int64_t":$lanes,
                        "int64_t":$tile_size,
                        DefaultValuedParameter<"int64_t", "1">:$matrix_tile,
                        DefaultValuedParameter<"int64_t", "1">:$k_split,
                        DefaultValuedParameter<"int64_t", "0">:$small_m,
                        DefaultValuedParameter<"int64_t", "0">:$split);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The discardable attribute name that holds it: `ein.gpu_config`.
    static ::llvm::StringRef getAttrName() { return "ein.gpu_config"; }
    /// The configuration of the nearest ancestor of `op` (or `op`) that
    /// has one, or null.
    static GPUConfigAttr lookup(::mlir::Operation *op);
  }];
}

def Ein_CombineKind : I32EnumAttr<"CombineKind",
    "how two partial states of an iteration combine", [
    I32EnumAttrCase<"max", 0>, I32EnumAttrCase<"min", 1>,
    I32EnumAttrCase<"sum", 2>, I32EnumAttrCase<"rescaled_sum", 3>,
    I32EnumAttrCase<"welford_mean", 4>, I32EnumAttrCase<"welford_m2", 5>]> {
  let cppNamespace = "::einfuse::ein";
  let genSpecializedAttr = 0;
}

def Ein_CombineAttr : AttrDef<Ein_Dialect, "Combine"> {
  let mnemonic = "combine";
  let summary = "how two partial states of disjoint ranges combine";
  let description = [{
    One per state value of an `ein.iterate` (its `combine` list, where it
    is written without `#ein.combine<...>`):

    * `max`, `min`: the larger (smaller); the identity is -inf (+inf).
    * `sum`: the sum; identity 0.
    * `rescaled_sum(i, w)`: a sum of terms proportional to exp(w * G),
      where G is state #i (a `max` or `min`): two sides combine as
      `a * exp(w * (G - Ga)) + b * exp(w * (G - Gb))`, G the combined
      state; a side whose G is the identity (empty) counts 0. Softmax over
      a max has w = -1 (exp(x - max)), with a temperature T w = -1/T, and
      softmin over a min w = +1 (exp(min - x)); the sign of w must make the
      factors at most 1 (negative for a max, positive for a min).
    * `welford_mean(n)`: a mean over the count in `sum` state #n,
      `ma + (mb - ma) * nb / (na + nb)`; 0 where the count is 0.
    * `welford_m2(n, m)`: a sum of squared deviations from the
      `welford_mean(n)` state #m (Chan et al.'s merge),
      `M2a + M2b + (mb - ma)^2 * na * nb / (na + nb)`; 0 where the count
      is 0.

    `getIdentity()` gives the identity state, `getReferencedStates()` the
    states a kind reads; the verifier of `ein.iterate` checks the kinds of
    those states.
  }];
  let parameters = (ins EnumParameter<Ein_CombineKind>:$kind,
                        DefaultValuedParameter<"int64_t", "-1">:$ref,
                        DefaultValuedParameter<"int64_t", "-1">:$ref2,
                        APFloatParameter<"exp weight of a rescaled sum">:$weight);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "CombineKind":$kind), [{
      return $_get($_ctxt, kind, -1, -1, ::llvm::APFloat(0.0));
    }]>,
    AttrBuilder<(ins "CombineKind":$kind, "int64_t":$ref, "int64_t":$ref2,
                     "double":$weight), [{
      return $_get($_ctxt, kind, ref, ref2, ::llvm::APFloat(weight));
    }]>
  ];
  let extraClassDeclaration = [{
    /// The weight w of a `rescaled_sum` (0 for other kinds).
    double getWeightValue() const { return getWeight().convertToDouble(); }
    /// The value of an empty range (-inf, +inf or 0).
    double getIdentity() const;
    /// Prints / parses the kind without `<>` (the iterate's list uses it).
    void printBody(::mlir::AsmPrinter &p) const;
    void printBody(::llvm::raw_ostream &os) const;
    static CombineAttr parseBody(::mlir::AsmParser &parser);
  }];
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

class Ein_Op<string mnemonic, list<Trait> traits = []> :
    Op<Ein_Dialect, mnemonic, traits>;

def Ein_CascadeOp : Ein_Op<"cascade", [
    SingleBlock, RecursiveMemoryEffects, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
        ["reifyResultShapes"]>,
    DeclareOpInterfaceMethods<TilingInterface,
        ["getLoopIteratorTypes", "getIterationDomain",
         "getTiledImplementation", "getResultTilePosition"]>]> {
  let summary = "a cascade of Einsums that share rank names";
  let description = [{
    Declares the ranks its Einsums may use and holds them in one block,
    ended by `ein.yield` with the cascade's results. A rank may carry a
    static extent (`m0 = 64`); that is needed for a rank that only appears
    inside compound index expressions. Other extents come from the shapes
    of the tensors the rank indexes, and must agree across the cascade.

    A cascade may compute one tile of some of its ranks:
    `tile(p = %offset of %extent, ...)` says that rank `p` runs over
    positions [%offset, %offset + its extent here) of a rank of extent
    `%extent`; `ein.index "p"` gives the position in the whole rank and
    `ein.extent "p"` the whole extent. Tiling makes these.

    `ein.cascade` implements upstream's `TilingInterface` over its parallel
    ranks (`getParallelRanks`, in the order of the first result's dims, up
    to the first dim not yielded by an Einsum of the body: the ranks that
    index every result, that no Einsum reduces and no iteration runs over,
    that every read of a tensor indexes plainly as a dynamic dim, or as
    `rank floordiv G` (GQA's key/value head shared by G query heads: tiles
    must then divide G, and that tensor is sliced at `offset floordiv G`,
    one index wide) (a tensor read along the rank is read along it
    everywhere, so self-attention with Q = K does not tile its queries),
    with no static 0 dim, and whose
    extent comes from a tensor read outside the cascade), so
    `scf::tileUsingSCF` tiles it: a tile slices the tensors the cascade
    reads along the tiled ranks and is a cascade with a `tile(...)` clause.

    ```mlir
    %r = ein.cascade [p, m, e] -> tensor<?x64xf32> {
      %qk = ein.einsum mul(%q[p, e], %k[m, e]) -> [p, m] sum[e]
          : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x?xf32>
      ...
      ein.yield %out : tensor<?x64xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Index>:$tile_offsets,
                       Variadic<Index>:$tile_extents,
                       StrArrayAttr:$ranks, DenseI64ArrayAttr:$extents,
                       DefaultValuedAttr<StrArrayAttr, "{}">:$tiled_ranks);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let builders = [
    OpBuilder<(ins "::mlir::TypeRange":$results, "::mlir::ArrayAttr":$ranks,
                   "::mlir::DenseI64ArrayAttr":$extents), [{
      build($_builder, $_state, results, ::mlir::ValueRange(),
            ::mlir::ValueRange(), ranks, extents,
            $_builder.getStrArrayAttr({}));
    }]>
  ];
  let extraClassDeclaration = [{
    /// Whether reifyResultShapes succeeds: every dynamic dim of a result is
    /// indexed by a rank whose extent is known outside the cascade.
    bool hasKnownResultSizes();
    /// The parallel ranks, the iteration domain of TilingInterface.
    ::llvm::SmallVector<::llvm::StringRef> getParallelRanks();
    /// The offset and whole extent of `rank` when this cascade is a tile
    /// of it (`tile(...)`), else null values.
    std::pair<::mlir::Value, ::mlir::Value> getTileOf(::llvm::StringRef rank);
    /// Index of `rank` in the rank list, or -1.
    int64_t lookupRank(::llvm::StringRef rank);
    /// Declared static extent of `rank`, or ShapedType::kDynamic.
    int64_t getDeclaredExtent(::llvm::StringRef rank);
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
  }];
}

def Ein_EinsumOp : Ein_Op<"einsum", [
    ParentOneOf<["CascadeOp", "IterateOp"]>, RecursiveMemoryEffects]> {
  let summary = "an extended Einsum: map action, then reduce action";
  let description = [{
    `out[o...] = reduce over r... of map(in0[x0...], in1[x1...], ...)`

    Each operand is indexed by rank expressions over the Einsum's ranks: a
    rank (`m`), a split rank (`m1 * 64 + m0`), an iterated rank (`m1 + 1`),
    a grouped rank (`h floordiv 4`), or a constant. The output is indexed by
    distinct plain ranks. Ranks of the operands that the output lacks are
    reduced, and the reduce action (`sum`, `max`, `min`) must list exactly
    them. The reduction starts from the action's identity (0, -inf, +inf)
    unless `init(...)` gives a value.

    The map action is a named op (`mul`, `exp`, `select`, `cast`, ...) or
    `custom` with a region whose block takes one scalar per operand and
    yields the mapped scalar. In a custom region, `ein.index` gives the
    current position along a rank and `ein.extent` the extent of a rank.

    ```mlir
    %qk = ein.einsum mul(%q[b, h, p, e], %k[b, h floordiv 4, m, e])
        -> [b, h, p, m] sum[e]
        : (tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>) -> tensor<?x8x?x?xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs,
                       StrArrayAttr:$ranks,
                       AffineMapArrayAttr:$indexing_maps,
                       Ein_MapKindAttr:$map,
                       Ein_ReduceKindAttr:$reduce,
                       OptionalAttr<TypedAttrInterface>:$init);
  let results = (outs AnyRankedTensor:$result);
  let regions = (region AnyRegion:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::AffineMap getInputMap(unsigned i) {
      return ::llvm::cast<::mlir::AffineMapAttr>(getIndexingMaps()[i]).getValue();
    }
    ::mlir::AffineMap getOutputMap() {
      return ::llvm::cast<::mlir::AffineMapAttr>(getIndexingMaps().getValue().back()).getValue();
    }
    /// Names of the ranks, in loop order.
    ::llvm::SmallVector<::llvm::StringRef> getRankNames();
    /// Positions (into getRanks()) of the reduced ranks.
    ::llvm::SmallVector<unsigned> getReducedRankPositions();
    /// Whether rank `pos` is reduced (absent from the output).
    bool isReducedRank(unsigned pos);
    CascadeOp getCascade() { return (*this)->getParentOfType<CascadeOp>(); }
  }];
}

def Ein_IterateOp : Ein_Op<"iterate", [
    HasParent<"CascadeOp">, RecursiveMemoryEffects, AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<TilingInterface,
        ["getLoopIteratorTypes", "getIterationDomain",
         "getTiledImplementation", "getResultTilePosition"]>,
    DeclareOpInterfaceMethods<PartialReductionOpInterface,
        ["generateInitialTensorForPartialReduction", "tileToPartialReduction",
         "mergeReductions", "getPartialResultTilePosition"]>]> {
  let summary = "iterate a rank tile by tile, carrying a running state";
  let description = [{
    The iterated rank of FuseMax's 1-pass cascades. Rank `rank` is split
    into tiles of `tile_size`; for each tile, in order, the body sees the
    tile of every `tiles` operand (sliced along its dim in `tile_dims`,
    indexed by rank `tile_rank` inside the body; the last tile may be
    shorter) and the current state, and yields the next state. The results
    are the state after the last tile (the initial state if `rank` is
    empty).

    `RM[m1 + 1] = max(RM[m1], LM[m1])` is written as a block argument `%rm`
    (RM[m1]) and a yielded value (RM[m1 + 1]).

    A tiled operand may be indexed along its tile dim by `rank floordiv d`
    (a packed int4 weight, `d` = 2; a group scale, `d` = the group size),
    written `%w dim 1 / 2`: its tile is the slice that holds the tile's
    positions, indexed by `tile_rank floordiv d` inside the body. Every
    tile (and every worker's chunk) then starts at a multiple of `d`, so
    `tile_size` must be a multiple of each `d`; the extent of `rank` comes
    from an operand tiled plainly (`d` = 1), of which there must be one.

    `combine` (optional) says how two partial states of disjoint ranges
    combine, one `#ein.combine` kind per state value, written without the
    `#ein.combine<>`: `combine [max, rescaled_sum(0, -1.0)]`. The
    partition rewrite uses it to split the iteration across workers.

    `range(%offset, %size)` (optional, two `index` values) iterates only
    the positions [offset, offset + size) of `rank` (clipped to its
    extent): the first tile starts at `offset`, which must then be a
    multiple of every tile divisor. `ein.index` of the rank still gives the
    position along the whole rank, and `workers` split the range. The
    partial-reduction methods (below) make one iteration per chunk this way.

    `workers = P` (optional) splits the rank into P contiguous chunks
    of whole tiles (ceil(extent / P) elements rounded up to a multiple of
    `tile_size`; the last ones may be short or empty)
    that are iterated independently, in parallel where the target can:
    chunk 0 starts from the initial state, the others from the identity of
    their combine kinds (so `combine` is required). Result #i is then the
    state of every chunk, with a leading dim of size P. `ein.index` and
    `ein.extent` of the rank still refer to the whole rank.

    `ein.iterate` implements upstream's `PartialReductionOpInterface`
    (strategy `PartialReductionOuterParallel`) over its iteration domain,
    the iterated rank (or its range): the initial partials are a tensor
    with a leading dim of one partial state per chunk (chunk 0 holds the
    initial state, the others the identities of their combine kinds), a
    chunk is this iteration over the chunk's range, starting from its
    partial, at position [chunk, 0, ...] of the partials, and the merge is
    the combine of the partial states (the reduction `--ein-partition`
    builds after a split across workers). Everything they build is Ein IR,
    so they run inside a cascade.

    ```mlir
    %rm, %rd = ein.iterate m tile 64 as m0 tiles(%x : tensor<8x?xf32> dim 1)
        init(%m0, %d0 : tensor<8xf32>, tensor<8xf32>) {
    ^bb0(%xt: tensor<8x?xf32>, %rm: tensor<8xf32>, %rd: tensor<8xf32>):
      ...
      ein.yield %rm2, %rd2 : tensor<8xf32>, tensor<8xf32>
    } -> tensor<8xf32>, tensor<8xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyRankedTensor>:$tiles,
                       Variadic<AnyRankedTensor>:$inits,
                       Optional<Index>:$range_offset,
                       Optional<Index>:$range_size,
                       StrAttr:$rank, StrAttr:$tile_rank,
                       I64Attr:$tile_size, DenseI64ArrayAttr:$tile_dims,
                       OptionalAttr<DenseI64ArrayAttr>:$tile_divisors,
                       OptionalAttr<TypedArrayAttrBase<Ein_CombineAttr,
                           "combine kinds">>:$combine,
                       OptionalAttr<I64Attr>:$workers);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Block &getBodyBlock() { return getBody().front(); }
    /// Block arguments holding the current tiles, then the current state.
    ::mlir::Block::BlockArgListType getTileArgs() {
      return getBodyBlock().getArguments().take_front(getTiles().size());
    }
    ::mlir::Block::BlockArgListType getStateArgs() {
      return getBodyBlock().getArguments().drop_front(getTiles().size());
    }
    /// The type of state #i (the type of result #i without the workers'
    /// leading dim).
    ::mlir::RankedTensorType getStateType(unsigned i) {
      return ::llvm::cast<::mlir::RankedTensorType>(getInits()[i].getType());
    }
    /// The combine kind of state #i (null without `combine`).
    CombineAttr getCombineKind(unsigned i) {
      auto combine = getCombine();
      return combine ? ::llvm::cast<CombineAttr>((*combine)[i]) : CombineAttr();
    }
    /// The type of a result for a state of type `state`: `state`, with a
    /// leading dim of `workers` when that is positive.
    static ::mlir::RankedTensorType getResultType(::mlir::RankedTensorType state,
                                                  int64_t workers);
    /// The divisor of tiled operand #i (`rank floordiv d` indexes it; 1
    /// when plain).
    int64_t getTileDivisor(unsigned i) {
      auto divisors = getTileDivisors();
      return divisors ? (*divisors)[i] : 1;
    }
    /// The ranks that index state #i: the output ranks of the Einsum that
    /// yields it (failure when another op yields it).
    ::mlir::FailureOr<::llvm::SmallVector<::llvm::StringRef>>
    getStateRanks(unsigned i);
    /// Type of the tile of `tiled` (its tile dim made dynamic).
    static ::mlir::RankedTensorType getTileType(::mlir::RankedTensorType tiled,
                                                int64_t dim);
  }];
}

def Ein_IndexOp : Ein_Op<"index", [Pure]> {
  let summary = "position along a rank inside a custom map region";
  let description = [{
    The position along `rank` of the element being mapped. Inside an
    `ein.iterate` over rank `m` with tile rank `m0`, an Einsum over `m0` may
    ask for `m`: the position along the whole rank (tile offset + position
    in the tile).
  }];
  let arguments = (ins StrAttr:$rank);
  let results = (outs Index:$result);
  let assemblyFormat = "$rank attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Ein_ExtentOp : Ein_Op<"extent", [Pure]> {
  let summary = "extent of a rank of the enclosing cascade";
  let arguments = (ins StrAttr:$rank);
  let results = (outs Index:$result);
  let assemblyFormat = "$rank attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Ein_YieldOp : Ein_Op<"yield", [
    Pure, Terminator, ReturnLike,
    ParentOneOf<["CascadeOp", "EinsumOp", "IterateOp"]>]> {
  let summary = "ends a cascade (its results), an iteration (the next state) or a custom map region (the mapped scalar)";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let hasVerifier = 1;
}

def Ein_AttentionOp : Ein_Op<"attention", [Pure,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "scaled dot-product attention";
  let description = [{
    `out[b, h, p, f] = sum over m of softmax_m(score(p, m)) * V[b, h/G, m, f]`
    with `score = mask(softcap(scale * sum over e of Q[b,h,p,e] K[b,h/G,m,e]))`.

    * `query`: `[B, Hq, Sq, D]`, `key`: `[B, Hkv, Sk, D]`, `value`:
      `[B, Hkv, Sk, Dv]`, result `[B, Hq, Sq, Dv]`. Element types f32, f16
      or bf16 (all the same); the result has that type too. Batch and
      sequence sizes may be dynamic; head counts and head dims are static.
      `Hq` must be a multiple of `Hkv` (GQA/MQA; G = Hq / Hkv).
    * `mask` (optional): `[Sq, Sk]` or `[B, Hq, Sq, Sk]`. An `i1` mask keeps
      the positions that are true (as PyTorch SDPA); a float mask of the
      query type is an additive bias.
    * `scale` (default `1/sqrt(D)`), `softcap` (`c * tanh(s / c)`, applied
      after the scale and before masking).
    * `causal` keeps keys `m <= p + off`; `window = array<i64: L, R>` keeps
      keys with `p + off - L <= m <= p + off + R` (-1: unbounded). `off` is
      0 with `align = #ein.align<top_left>` (the default) and `Sk - Sq` with
      `bottom_right`.
    * Rows with every key masked produce 0 (as PyTorch SDPA).
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value,
                       Optional<AnyRankedTensor>:$mask,
                       OptionalAttr<F64Attr>:$scale,
                       OptionalAttr<F64Attr>:$softcap,
                       UnitAttr:$causal,
                       OptionalAttr<DenseI64ArrayAttr>:$window,
                       DefaultValuedAttr<Ein_MaskAlignAttr,
                         "::einfuse::ein::MaskAlign::top_left">:$align);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` `(` $mask^ `:` type($mask) `)`)? attr-dict
    `:` type($query) `,` type($key) `,` type($value) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Ein_QMatmulOp : Ein_Op<"qmatmul", [Pure,
    DeclareOpInterfaceMethods<AggregatedOpInterface, ["decomposeOperation"]>]> {
  let summary = "matmul with quantized weights: out[m, n] = sum over k of x[m, k] * w[n, k]";
  let description = [{
    * `input`: `[M, K]` of f32, f16, bf16, i8 or f8E4M3FN (M may be dynamic).
    * `weight`: stored as the `format` says (see `#ein.qformat`), `[N, K]`
      or `[N, K/2]` for 4-bit kinds, static.
    * `scales`: `[N, K / group_size]` of f32, f16 or bf16.
    * `zero_points` (present iff the format says so): like `scales`.
    * Result `[M, N]` of f32, f16 or bf16. Products accumulate in f32.
    `group_size` must divide K (the verifier rejects other sizes), and K must
    be even for 4-bit kinds.
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$weight,
                       AnyRankedTensor:$scales,
                       Optional<AnyRankedTensor>:$zero_points,
                       Ein_QuantFormatAttr:$format);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $input `,` $weight `scales` `(` $scales `)` (`zero_points` `(` $zero_points^ `)`)?
    `format` `(` $format `)` attr-dict `:` type($input) `,` type($weight) `,`
    type($scales) (`,` type($zero_points)^)? `->` type($output)
  }];
  let hasVerifier = 1;
}

#endif // EIN_OPS_TD
