"""Random `ein.cascade` kernels for the property test of the cascade
rewrites (test_property.py, issue 10).

`generate(seed)` returns a :class:`Case`: one `func.func` (named
`k<seed>`) holding one `ein.cascade`, its random inputs, and a NumPy
evaluator of the same function (`Case.evaluate(inputs, dtype)`), which
replays the Einsums in float64 (the reference) or in float32 (the naive
same-dtype result of the numerics contract: every intermediate rounded to
f32, sums accumulated one element at a time).

A cascade is a random chain of *structures* (the `STRUCTURES` table):
softmax and its variants (a min barrier, `mu - x`, a temperature, exp2,
guards, inits, a max with an init), attention-like weighted sums,
log-softmax and cross-entropy, layer norm (with and without gamma/beta,
`mu - x`, the variance in one region, an init of C * eps), RMS norm and
L2-normalise feeding a matmul, sigmoid-weighted sums, max-pool-and-subtract,
min-max norm, masked attention with SDPA's guards, plain reductions over one
or two ranks (one of them sometimes static and small; a sum with a group
scale s[.., r floordiv d], a dequantised matmul's), reductions over the
inner rank of a split rank x[.., o * B + i] (then over the tiles o), and
random elementwise maps (named and custom; a per-group bias), each reading
values of earlier structures or fresh inputs, with r-free values broadcast
along the reduced rank. Ranks (2 to 4, random names), their extents (0, 1,
primes, 131, ...), static or dynamic dims and the storage order of every
tensor are random too.

The values stay well-conditioned by construction (denominators are exp
sums, squares plus eps, or 1 + something non-negative; exp sees x - max or
bounded values; comparisons only look at inputs, positions or exact
special values such as -inf), so a correct compiler meets the contract on
every case. Where a reduced rank is empty the reference may be +-inf or
NaN; the contract does not compare those elements.

Every random switch has a name in FEATURES; `generate(seed, exclude=...)`
leaves the named ones out (test_property.KNOWN_BUGS: the features the
compiler has a known bug with). A seed gives the same case for the same
`exclude`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

# ---------------------------------------------------------------------------
# Scalar expressions of custom map regions
# ---------------------------------------------------------------------------

F32_NINF = "0xFF800000"
F32_PINF = "0x7F800000"


def f32(value: float) -> float:
    """`value` rounded to f32 (what an f32 constant in the kernel holds)."""
    return float(np.float32(value))


class Ex:
    """A scalar expression: `ty` is 'f' (f32), 'i1' or 'idx' (index)."""
    ty = "f"

    # Operators build float expressions.
    def __add__(self, o): return Bin("addf", self, lift(o))
    def __radd__(self, o): return Bin("addf", lift(o), self)
    def __sub__(self, o): return Bin("subf", self, lift(o))
    def __rsub__(self, o): return Bin("subf", lift(o), self)
    def __mul__(self, o): return Bin("mulf", self, lift(o))
    def __rmul__(self, o): return Bin("mulf", lift(o), self)
    def __truediv__(self, o): return Bin("divf", self, lift(o))
    def __rtruediv__(self, o): return Bin("divf", lift(o), self)
    def __neg__(self): return Un("negf", self)


def lift(x) -> Ex:
    return x if isinstance(x, Ex) else Const(float(x))


@dataclass(eq=False)
class Arg(Ex):
    index: int
    ty: str = "f"


@dataclass(eq=False)
class Const(Ex):
    value: float  # an f32 value, or +-inf

    def __post_init__(self):
        self.value = f32(self.value)


@dataclass(eq=False)
class Un(Ex):
    op: str  # negf, absf, exp, exp2, log, sqrt, rsqrt, tanh
    a: Ex


@dataclass(eq=False)
class Bin(Ex):
    op: str  # addf, subf, mulf, divf, maximumf, minimumf
    a: Ex
    b: Ex


@dataclass(eq=False)
class CmpF(Ex):
    pred: str  # oeq, one, olt, ole, ogt, oge
    a: Ex
    b: Ex
    ty: str = "i1"


@dataclass(eq=False)
class Select(Ex):
    cond: Ex
    a: Ex
    b: Ex


@dataclass(eq=False)
class Index(Ex):
    rank: str
    ty: str = "idx"


@dataclass(eq=False)
class Extent(Ex):
    rank: str
    ty: str = "idx"


@dataclass(eq=False)
class IdxAdd(Ex):
    a: Ex
    c: int
    ty: str = "idx"


@dataclass(eq=False)
class CmpI(Ex):
    pred: str  # sle, slt, sge, sgt, eq
    a: Ex
    b: Ex
    ty: str = "i1"


@dataclass(eq=False)
class ToFloat(Ex):
    a: Ex  # an index


def exp(x): return Un("exp", lift(x))
def exp2(x): return Un("exp2", lift(x))
def log(x): return Un("log", lift(x))
def sqrt(x): return Un("sqrt", lift(x))
def rsqrt(x): return Un("rsqrt", lift(x))
def tanh(x): return Un("tanh", lift(x))
def fabs(x): return Un("absf", lift(x))
def fmax(a, b): return Bin("maximumf", lift(a), lift(b))
def fmin(a, b): return Bin("minimumf", lift(a), lift(b))


_UNARY_NP = {"negf": np.negative, "absf": np.abs, "exp": np.exp, "exp2": np.exp2,
             "log": np.log, "sqrt": np.sqrt, "tanh": np.tanh,
             "rsqrt": lambda a: 1 / np.sqrt(a)}
_BINARY_NP = {"addf": np.add, "subf": np.subtract, "mulf": np.multiply, "divf": np.divide,
              "maximumf": np.maximum, "minimumf": np.minimum}
_CMP_NP = {"oeq": np.equal, "one": np.not_equal, "olt": np.less, "ole": np.less_equal,
           "ogt": np.greater, "oge": np.greater_equal, "eq": np.equal, "ne": np.not_equal,
           "slt": np.less, "sle": np.less_equal, "sgt": np.greater, "sge": np.greater_equal}
_MATH_OPS = {"exp", "exp2", "log", "sqrt", "rsqrt", "tanh", "absf"}


def eval_expr(e: Ex, args, dtype, index_of: Callable[[str], np.ndarray],
              extent_of: Callable[[str], int]):
    """Evaluates `e` elementwise in `dtype` (args: arrays already broadcast
    against each other)."""
    def ev(e):
        if isinstance(e, Arg):
            return args[e.index]
        if isinstance(e, Const):
            return dtype(e.value)
        if isinstance(e, Un):
            with np.errstate(all="ignore"):
                return np.asarray(_UNARY_NP[e.op](ev(e.a)), dtype=dtype)
        if isinstance(e, Bin):
            with np.errstate(all="ignore"):
                return np.asarray(_BINARY_NP[e.op](ev(e.a), ev(e.b)), dtype=dtype)
        if isinstance(e, (CmpF, CmpI)):
            return _CMP_NP[e.pred](ev(e.a), ev(e.b))
        if isinstance(e, Select):
            return np.where(ev(e.cond), ev(e.a), ev(e.b)).astype(dtype)
        if isinstance(e, Index):
            return index_of(e.rank)
        if isinstance(e, Extent):
            return np.int64(extent_of(e.rank))
        if isinstance(e, IdxAdd):
            return ev(e.a) + np.int64(e.c)
        if isinstance(e, ToFloat):
            return np.asarray(ev(e.a)).astype(dtype)
        raise TypeError(e)
    return ev(e)


def _fmt_float(v: float) -> str:
    if v == -math.inf:
        return F32_NINF
    if v == math.inf:
        return F32_PINF
    return "%.9e" % v


def render_region(e: Ex, arg_types: Sequence[str], indent: str) -> List[str]:
    """The block of a custom map region computing `e`."""
    lines = []
    args = ", ".join(f"%a{i}: {t}" for i, t in enumerate(arg_types))
    lines.append(f"{indent}^bb0({args}):")
    counter = [0]
    memo: Dict[int, str] = {}

    def fresh():
        counter[0] += 1
        return f"%u{counter[0]}"

    def emit(text):
        lines.append(f"{indent}  {text}")

    def go(e) -> str:
        if id(e) in memo:
            return memo[id(e)]
        if isinstance(e, Arg):
            r = f"%a{e.index}"
        elif isinstance(e, Const):
            r = fresh()
            emit(f"{r} = arith.constant {_fmt_float(e.value)} : f32")
        elif isinstance(e, Un):
            a = go(e.a)
            r = fresh()
            dialect = "math" if e.op in _MATH_OPS else "arith"
            emit(f"{r} = {dialect}.{e.op} {a} : f32")
        elif isinstance(e, Bin):
            a, b = go(e.a), go(e.b)
            r = fresh()
            emit(f"{r} = arith.{e.op} {a}, {b} : f32")
        elif isinstance(e, CmpF):
            a, b = go(e.a), go(e.b)
            r = fresh()
            emit(f"{r} = arith.cmpf {e.pred}, {a}, {b} : f32")
        elif isinstance(e, CmpI):
            a, b = go(e.a), go(e.b)
            r = fresh()
            emit(f"{r} = arith.cmpi {e.pred}, {a}, {b} : index")
        elif isinstance(e, Select):
            c, a, b = go(e.cond), go(e.a), go(e.b)
            r = fresh()
            emit(f"{r} = arith.select {c}, {a}, {b} : f32")
        elif isinstance(e, Index):
            r = fresh()
            emit(f'{r} = ein.index "{e.rank}" : index')
        elif isinstance(e, Extent):
            r = fresh()
            emit(f'{r} = ein.extent "{e.rank}" : index')
        elif isinstance(e, IdxAdd):
            a = go(e.a)
            c = fresh()
            emit(f"{c} = arith.constant {e.c} : index")
            r = fresh()
            emit(f"{r} = arith.addi {a}, {c} : index")
        elif isinstance(e, ToFloat):
            a = go(e.a)
            i = fresh()
            emit(f"{i} = arith.index_cast {a} : index to i64")
            r = fresh()
            emit(f"{r} = arith.sitofp {i} : i64 to f32")
        else:
            raise TypeError(e)
        memo[id(e)] = r
        return r

    result = go(e)
    emit(f"ein.yield {result} : f32")
    return lines


# ---------------------------------------------------------------------------
# Values and Einsums
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RankExpr:
    """A compound rank expression indexing one dim of an operand: a grouped
    rank `r floordiv c` (ranks (r,)), or a split rank `outer * c + inner`
    (ranks (outer, inner))."""
    kind: str  # "floordiv" or "split"
    ranks: Tuple[str, ...]
    c: int

    def __str__(self) -> str:
        if self.kind == "floordiv":
            return f"{self.ranks[0]} floordiv {self.c}"
        return f"{self.ranks[0]} * {self.c} + {self.ranks[1]}"

    def positions(self, index_of: Callable[[str], np.ndarray]) -> np.ndarray:
        if self.kind == "floordiv":
            return index_of(self.ranks[0]) // self.c
        return index_of(self.ranks[0]) * self.c + index_of(self.ranks[1])


def _expr_ranks(e) -> Tuple[str, ...]:
    """The ranks of an operand's index: a plain rank or a RankExpr."""
    return e.ranks if isinstance(e, RankExpr) else (e,)


@dataclass(eq=False)
class Val:
    name: str              # SSA name without '%'
    ranks: Tuple[str, ...]  # storage order
    elt: str = "f32"       # f32 or i1
    arg: bool = False      # a function argument
    reduced: Tuple[str, ...] = ()  # what the structure that made it reduced


@dataclass(eq=False)
class Einsum:
    out: Val
    map: str
    operands: List[Tuple[Val, tuple]]  # (value, one rank or RankExpr per dim)
    reduce: Optional[str] = None
    init: Optional[float] = None
    region: Optional[Ex] = None

    def loop_ranks(self) -> List[str]:
        ranks: List[str] = []
        for _, idx in self.operands:
            for e in idx:
                for r in _expr_ranks(e):
                    if r not in ranks:
                        ranks.append(r)
        for r in self.out.ranks:
            if r not in ranks:
                ranks.append(r)
        return ranks

    def reduced(self) -> List[str]:
        return [r for r in self.loop_ranks() if r not in self.out.ranks]


def _sequential_sum(a: np.ndarray, axes: Sequence[int], initial: float, dtype) -> np.ndarray:
    """Sum over `axes`, accumulated one element at a time in `dtype` from
    `initial` (float accumulation, as the naive result)."""
    keep = [i for i in range(a.ndim) if i not in axes]
    moved = np.transpose(a, keep + list(axes))
    flat = moved.reshape(moved.shape[:len(keep)] + (math.prod(moved.shape[len(keep):]),))
    start = np.full(flat.shape[:-1] + (1,), initial, dtype=dtype)
    return np.cumsum(np.concatenate([start, flat.astype(dtype)], axis=-1), axis=-1,
                     dtype=dtype)[..., -1]


def eval_einsum(op: Einsum, env: Dict[str, np.ndarray], extents: Dict[str, int], dtype):
    loop = op.loop_ranks()
    shape = tuple(extents[r] for r in loop)

    def index_of(rank):
        pos = loop.index(rank)
        return np.arange(extents[rank], dtype=np.int64).reshape(
            tuple(-1 if i == pos else 1 for i in range(len(loop))))

    args = []
    for val, idx in op.operands:
        a = env[val.name]
        if any(isinstance(e, RankExpr) for e in idx):
            # a gather: every dim's positions over the loop ranks
            a = a[tuple(e.positions(index_of) if isinstance(e, RankExpr) else index_of(e)
                        for e in idx)]
        else:
            order = sorted(range(len(idx)), key=lambda d: loop.index(idx[d]))
            a = np.transpose(a, order)
            a = a.reshape(tuple(extents[r] if r in idx else 1 for r in loop))
        args.append(a if val.elt == "i1" else a.astype(dtype))

    with np.errstate(all="ignore"):
        m = op.map
        if m == "custom":
            y = eval_expr(op.region, args, dtype, index_of, extents.__getitem__)
        elif m == "copy":
            y = args[0]
        elif m == "select":
            y = np.where(args[0], args[1], args[2])
        elif m in ("neg", "abs", "exp", "exp2", "log", "sqrt", "rsqrt", "tanh"):
            y = _UNARY_NP[{"neg": "negf", "abs": "absf"}.get(m, m)](args[0])
        else:
            y = _BINARY_NP[{"add": "addf", "sub": "subf", "mul": "mulf", "div": "divf",
                            "max": "maximumf", "min": "minimumf"}[m]](args[0], args[1])
        y = np.broadcast_to(np.asarray(y, dtype=dtype), shape)
        red = [loop.index(r) for r in op.reduced()]
        if op.reduce is None:
            out = np.array(y)
        elif op.reduce == "sum":
            initial = 0.0 if op.init is None else op.init
            if dtype == np.float64:
                out = np.sum(y, axis=tuple(red), dtype=dtype) + dtype(initial)
            else:
                out = _sequential_sum(y, red, initial, dtype)
        else:
            ident = -np.inf if op.reduce == "max" else np.inf
            initial = ident if op.init is None else op.init
            f = np.max if op.reduce == "max" else np.min
            out = f(y, axis=tuple(red), initial=initial)
    kept = [r for r in loop if r in op.out.ranks]
    out = np.asarray(out, dtype=dtype).reshape(tuple(extents[r] for r in kept))
    return np.array(np.transpose(out, [kept.index(r) for r in op.out.ranks]), order="C")


# ---------------------------------------------------------------------------
# The case
# ---------------------------------------------------------------------------

@dataclass
class Case:
    seed: int
    name: str
    text: str                      # the func.func
    inputs: List[np.ndarray]       # in argument order (f32, or bool for i1)
    input_names: List[str]
    output_shapes: List[Tuple[int, ...]]
    structures: List[str]          # what the cascade is made of
    ops: List[Einsum] = field(repr=False, default_factory=list)
    args: List[Val] = field(repr=False, default_factory=list)
    outputs: List[Val] = field(repr=False, default_factory=list)
    extents: Dict[str, int] = field(default_factory=dict)
    static: Dict[str, bool] = field(default_factory=dict)

    def evaluate(self, inputs: Sequence[np.ndarray], dtype) -> List[np.ndarray]:
        """The cascade's outputs for `inputs`, every Einsum computed in
        `dtype` (np.float64: the reference; np.float32: the naive result)."""
        env = {v.name: np.asarray(a) for v, a in zip(self.args, inputs)}
        extents = dict(self.extents)
        for v, a in zip(self.args, inputs):
            for r, n in zip(v.ranks, np.shape(a)):
                extents[r] = n
        for op in self.ops:
            env[op.out.name] = eval_einsum(op, env, extents, dtype)
        return [env[v.name] for v in self.outputs]

    def describe(self) -> str:
        used = {r for op in self.ops for r in op.loop_ranks()}
        ext = ", ".join(f"{r}={n}{'' if self.static[r] else '(?)'}"
                        for r, n in self.extents.items() if r in used)
        return f"seed {self.seed} [{'; '.join(self.structures)}] extents {ext}"


class Unsuitable(Exception):
    """The random choices do not make a well-conditioned case; draw again."""


EXTENT_CHOICES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 32, 33, 63, 64, 65, 128, 131]
EXTENT_WEIGHTS = [3, 8, 4, 5, 3, 5, 8, 3, 3, 8, 3, 5, 4, 2, 4, 2, 2, 3, 2, 4]
RANK_NAMES = ["n", "c", "p", "m", "f", "h", "k", "j", "d", "s"]
MAX_POINTS = 40000  # largest iteration space of one Einsum


class Builder:
    def __init__(self, seed: int):
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.name = f"k{seed}"
        self.ranks: List[str] = []
        self.extent: Dict[str, int] = {}
        self.static: Dict[str, bool] = {}
        self.args: List[Val] = []
        self.arg_types: List[str] = []
        self.inputs: List[np.ndarray] = []
        self.ops: List[Einsum] = []
        self.env64: Dict[str, np.ndarray] = {}
        self.env32: Dict[str, np.ndarray] = {}
        self.counter = 0
        self.structures: List[str] = []
        self.pool: List[Val] = []  # values of earlier structures
        self.exclude: frozenset = frozenset()
        self.extra: List[Val] = []
        self.cur_red: List[str] = []  # the ranks the current structure reduces
        # Dims indexed by a compound rank expression: a pseudo rank name (a key
        # of extent and static, never a rank of the cascade) -> the expression.
        self.pseudo: Dict[str, RankExpr] = {}
        self.more_ranks: List[str] = []  # ranks beyond `ranks` (split ranks)
        self.declared: Dict[str, int] = {}  # ranks the cascade declares `r = N`

    # -- random helpers ----------------------------------------------------
    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def may(self, feature: str, p: float) -> bool:
        """A random choice of `feature` (a name of FEATURES) with
        probability p, never when the feature is excluded. The draw is made
        either way, so excluding a feature changes no other choice."""
        hit = self.chance(p)
        return hit and feature not in self.exclude

    def pick(self, seq):
        seq = list(seq)
        return seq[int(self.rng.integers(len(seq)))]

    def shuffled(self, seq) -> List:
        seq = list(seq)
        self.rng.shuffle(seq)
        return seq

    # -- ranks ---------------------------------------------------------------
    def setup_ranks(self):
        count = int(self.rng.choice([2, 3, 4], p=[0.3, 0.4, 0.3]))
        names = self.shuffled(RANK_NAMES)[:count]
        # Sometimes a rank named like the tile rank a rewrite would add (m0).
        if self.may("tile-like-rank-name", 0.05):
            names[-1] = names[0] + "0"
        self.ranks = names
        w = np.array(EXTENT_WEIGHTS, dtype=float)
        # Static dims about double the compile time (LLVM unrolls the loops
        # they bound), so about a third of the cases have them.
        static_case = self.chance(0.35)
        for r in names:
            self.extent[r] = int(self.rng.choice(EXTENT_CHOICES, p=w / w.sum()))
            self.static[r] = static_case and self.chance(0.65)
            if self.extent[r] == 0 and "empty-rank" in self.exclude:
                self.extent[r] = 1
            if self.extent[r] == 0 and self.static[r] and "static-empty-rank" in self.exclude:
                self.static[r] = False
        self.shrink()

    def shrink(self):
        while math.prod(max(1, self.extent[r]) for r in self.ranks) > MAX_POINTS:
            big = max(self.ranks, key=lambda r: self.extent[r])
            self.extent[big] = max(1, self.extent[big] // 2 - 1)

    def used(self, r: str) -> bool:
        """Whether an input is indexed by rank r (plainly or in an expression):
        then its extent is fixed."""
        return any(r in v.ranks or any(r in self.pseudo[p].ranks for p in v.ranks
                                       if p in self.pseudo) for v in self.args)

    def nonempty(self, r: str, at_least: int = 1):
        """Makes rank r at least `at_least` long (only while nothing uses it)."""
        if self.extent[r] < at_least:
            if self.used(r):
                raise Unsuitable(f"rank {r} is already used with extent {self.extent[r]}")
            self.extent[r] = at_least

    def small_static(self, ranks: Sequence[str]) -> Optional[str]:
        """Makes one of `ranks` that nothing uses yet static and small (1 to 8);
        the rank, or None where every one is in use (or too long a space)."""
        for r in self.shuffled(ranks):
            if self.used(r):
                continue
            n = self.pick([1, 2, 3, 4, 5, 8])
            others = math.prod(max(1, self.extent[x]) for x in self.ranks if x != r)
            if others * n > MAX_POINTS:
                continue
            self.extent[r], self.static[r] = n, True
            return r
        return None

    def pseudo_rank(self, e: RankExpr, extent: int, static: bool) -> str:
        """The pseudo rank of a dim indexed by `e` (for input())."""
        name = str(e)
        self.pseudo[name] = e
        self.extent[name], self.static[name] = extent, static
        return name

    # -- values --------------------------------------------------------------
    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def dim(self, r: str, loose: bool = False) -> str:
        if self.static[r] and not loose:
            return str(self.extent[r])
        return "?"

    def ttype(self, ranks: Sequence[str], elt: str = "f32", dims: Optional[List[str]] = None) -> str:
        dims = dims if dims is not None else [self.dim(r) for r in ranks]
        return "tensor<" + "".join(d + "x" for d in dims) + elt + ">"

    def input(self, ranks: Sequence[str], dist: str = "normal", scale: float = 1.0,
              offset: float = 0.0, order: Optional[Sequence[str]] = None, prefix: str = "x") -> Val:
        """A new function argument over `ranks` (stored in a random order
        unless `order` is given)."""
        ranks = tuple(order) if order is not None else tuple(self.shuffled(ranks))
        shape = tuple(self.extent[r] for r in ranks)
        rng = self.rng
        elt = "f32"
        if dist == "normal":
            a = rng.standard_normal(shape) * scale + offset
        elif dist == "uniform":
            a = rng.uniform(-scale, scale, shape) + offset
        elif dist == "positive":
            a = rng.uniform(0.5, 1.5, shape) * scale
        elif dist == "int":
            a = rng.integers(-4, 5, shape).astype(np.float64)
        elif dist == "onehot":
            a = (rng.random(shape) < 0.2).astype(np.float64)
        elif dist == "mask":
            a = rng.random(shape) < 0.7
            elt = "i1"
        else:
            raise ValueError(dist)
        arr = a if elt == "i1" else a.astype(np.float32)
        v = Val(f"{prefix}{len(self.args)}", ranks, elt=elt, arg=True)
        self.args.append(v)
        # Inputs of a static rank are sometimes typed '?' (checked at run time).
        self.arg_types.append(self.ttype(ranks, elt, [self.dim(r, loose=self.chance(0.2)) for r in ranks]))
        self.inputs.append(arr)
        self.env64[v.name] = arr if elt == "i1" else arr.astype(np.float64)
        self.env32[v.name] = arr
        return v

    def einsum(self, map_: str, operands: Sequence[Tuple[Val, Sequence[str]]],
               out: Sequence[str], reduce: Optional[str] = None, init: Optional[float] = None,
               region: Optional[Ex] = None, prefix: str = "y") -> Val:
        """Emits one Einsum (operands indexed by plain ranks) and evaluates
        it. `out` is the result's storage order."""
        val = Val(self.fresh(prefix), tuple(out))
        ops = [(v, tuple(idx)) for v, idx in operands]
        op = Einsum(val, map_, ops, reduce, None if init is None else f32(init), region)
        red = op.reduced()
        assert bool(red) == (reduce is not None), (map_, out, red, reduce)
        self.env64[val.name] = eval_einsum(op, self.env64, self.extent, np.float64)
        self.env32[val.name] = eval_einsum(op, self.env32, self.extent, np.float32)
        self.ops.append(op)
        return val

    def read(self, v: Val, ranks: Optional[Sequence[str]] = None):
        """An operand reading `v` (by its own ranks; a pseudo rank by its
        expression)."""
        return (v, tuple(self.pseudo.get(r, r) for r in (v.ranks if ranks is None else ranks)))

    def order(self, ranks: Sequence[str], feature: Optional[str] = None) -> Tuple[str, ...]:
        """A random storage order for a result (the given one if `feature`
        is excluded)."""
        order = tuple(self.shuffled(ranks))
        return tuple(ranks) if feature in self.exclude else order

    def value(self, v: Val) -> np.ndarray:
        return self.env64[v.name]

    def check_finite(self, v: Val, bound: float = 1e4):
        a = self.env64[v.name]
        b = self.env32[v.name]
        if a.size and (not np.all(np.isfinite(a)) or np.max(np.abs(a)) > bound
                       or not np.all(np.isfinite(b))):
            raise Unsuitable(f"{v.name} out of range")

    # -- rendering -----------------------------------------------------------
    def render(self, outputs: List[Val]) -> str:
        args = ", ".join(f"%{v.name}: {t}" for v, t in zip(self.args, self.arg_types))
        out_types = [self.ttype(v.ranks) for v in outputs]
        res = ", ".join(out_types)
        used = []
        for op in self.ops:
            for r in op.loop_ranks():
                if r not in used:
                    used.append(r)
        ranks = ", ".join(f"{r} = {self.declared[r]}" if r in self.declared else r
                          for r in self.shuffled(used))
        names = ", ".join(f"%r{i}" for i in range(len(outputs)))
        lines = [f"func.func @{self.name}({args}) -> ({res}) {{"]
        lines.append(f"  {names} = ein.cascade [{ranks}] -> ({res}) {{")
        types: Dict[str, str] = {v.name: t for v, t in zip(self.args, self.arg_types)}
        for op in self.ops:
            types[op.out.name] = self.ttype(op.out.ranks)
            operands = ", ".join(f"%{v.name}[{', '.join(map(str, idx))}]"
                                 for v, idx in op.operands)
            text = f"    %{op.out.name} = ein.einsum {op.map}({operands}) -> [{', '.join(op.out.ranks)}]"
            if op.reduce:
                text += f" {op.reduce}[{', '.join(op.reduced())}]"
            if op.init is not None:
                text += f" init({_fmt_float(op.init)} : f32)"
            sig = (f" : ({', '.join(types[v.name] for v, _ in op.operands)}) -> "
                   f"{types[op.out.name]}")
            if op.region is not None:
                lines.append(text + " {")
                lines += render_region(op.region, [v.elt for v, _ in op.operands], "    ")
                lines.append("    }" + sig)
            else:
                lines.append(text + sig)
        lines.append(f"    ein.yield {', '.join('%' + v.name for v in outputs)} : {res}")
        lines.append("  }")
        lines.append(f"  return {names} : {res}")
        lines.append("}")
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Structures
# ---------------------------------------------------------------------------

# Every switch of the generator, by name: KNOWN_BUGS in test_property.py
# excludes some while the compiler is fixed (generate(seed, exclude=...)).
FEATURES = {
    # structures (one is drawn per step of the chain)
    "softmax": "softmax and what follows it (probabilities, attention, log-softmax, ...)",
    "two-softmax": "two chained softmaxes",
    "masked-attention": "position-masked attention (causal/window), rows may be fully masked",
    "layer-norm": "layer norm (mean, variance about it, normalise)",
    "rms-norm": "RMS norm or L2-normalise, usually feeding a matmul",
    "sigmoid-sum": "sigmoid-weighted sum (no barrier)",
    "maxpool-subtract": "x - max_r x, or its sum",
    "minmax-norm": "(x - min) / (max - min + 1)",
    "reduce": "a plain sum/max/min over one or two ranks",
    "softmax-2ranks": "softmax over two ranks at once",
    "elementwise": "elementwise maps only",
    "split-rank": "a reduction over the inner rank of x[.., o * B + i] (i declared = B), "
                  "then over the tiles o",
    "split-rank-sized-earlier": "... o dynamic, sized only by earlier Einsums' plain reads",
    # softmax variants
    "min-barrier": "softmin: a min barrier with exp(min - x)",
    "barrier-init": "a max/min barrier with init(...)",
    "temperature": "exp((x - max) / T)",
    "exp2": "exp2 instead of exp",
    "mu-x": "the subtraction written the other way (mu - x, -(mu - x), x + (-mu))",
    "named-exp": "sub and exp as two named Einsums",
    "sum-init": "the denominator (or sum of squares) with init(...)",
    "wsum-init": "the weighted sum with init(...)",
    "guard": "x == -inf ? 0 : x on the barrier",
    "transposed-guard": "the guard's result stored in another rank order than the barrier's",
    "div-guard": "s == 0 ? 0 : e / s",
    "recip-mul": "e * (1 / s) instead of e / s",
    "recip-mul-empty": "... over an empty rank",
    "scores": "the scores computed by a contraction q . k",
    "wsum-custom": "the weighted sum's map as a custom region",
    "probs": "softmax probabilities as the result (3 passes)",
    "attention": "softmax then a weighted sum over r",
    "attention-deferred": "the weighted sum already divided after the sum",
    "log-softmax": "x - (max + log sum exp)",
    "cross-entropy": "max + log sum exp - picked logit",
    # norms
    "large-mean": "rows whose mean is large against their spread",
    "var-init": "the variance's sum with init(C * eps)",
    "square-region": "(x - mu)^2 in one custom region",
    "std": "the standard deviation as the result",
    "affine": "gamma and/or beta",
    "norm-matmul": "a matmul over r after the norm",
    "l2-normalise": "x / sqrt(sum x^2 + eps)",
    # reductions
    "two-rank-reduce": "a reduction over two ranks",
    "reduce-init": "a plain reduction with init(...)",
    "grouped-input": "an input indexed by r floordiv d (a group scale of a sum over r, a "
                     "dequantised matmul's; or a per-group bias or scale of a source)",
    "small-static-rank": "a reduction over two ranks, one of them static and small (1 to 8)",
    # everywhere
    "chained": "a structure reads an earlier structure's value",
    "chained-other-rank": "... and reduces a rank the earlier structure did not reduce",
    "max-init-empty": "a max/min with init(...) over an empty rank",
    "decorate": "an elementwise map (bias, scale, tanh, custom, select) on a source",
    "bool-mask": "i1 inputs: named select, or a custom region with an i1 operand",
    "extra-output": "a second cascade result (an intermediate, or an earlier structure's)",
    "empty-rank": "extent 0",
    "static-empty-rank": "extent 0 written in the types (tensor<0x...>)",
    "loose-static": "an input typed '?' along a rank whose extent is static elsewhere",
    "tile-like-rank-name": "ranks m and m0 in one cascade",
}


def _choose(b: Builder, options: Sequence[Tuple[str, float]]) -> str:
    """One of `options` (feature names), drawn by weight among those not
    excluded."""
    names = [n for n, _ in options if n not in b.exclude]
    if not names:
        raise Unsuitable("every option excluded: " + ", ".join(n for n, _ in options))
    w = np.array([w for n, w in options if n not in b.exclude], dtype=float)
    return names[int(b.rng.choice(len(names), p=w / w.sum()))]


def _source(b: Builder, ranks: Sequence[str], *, red: Sequence[str], dist: str = "normal",
            scale: float = 1.0, offset: float = 0.0, bound: float = 30.0) -> Val:
    """A value over `ranks`: an earlier structure's value with those ranks
    (bounded by `bound`), or a new input, possibly decorated by an
    elementwise map (a broadcast bias, a scale, a custom region)."""
    ranks = tuple(ranks)
    if red:
        b.cur_red = list(red)
    pool = [v for v in b.pool if set(v.ranks) == set(ranks) and v.elt == "f32"
            and b.value(v).size and np.all(np.isfinite(b.value(v)))
            and np.max(np.abs(b.value(v))) <= bound
            and ("chained-other-rank" not in b.exclude or set(red) <= set(v.reduced))]
    if pool and b.may("chained", 0.8):
        x = b.pick(pool)
        b.structures.append("chained")
    else:
        x = b.input(ranks, dist, scale, offset)
    if b.may("decorate", 0.25):
        x = _decorate(b, x, bound)
    if len(red) == 1 and b.may("grouped-input", 0.07):
        # a per-group bias (or scale) along the reduced rank: b[.., r floordiv d]
        r = red[0]
        scale = b.chance(0.4)
        g = _grouped_input(b, r, [k for k in ranks if k != r],
                           "positive" if scale else "uniform", prefix="gs" if scale else "gb")
        ops = [b.read(x), b.read(g)]
        region = Arg(0) * Arg(1) if scale else Arg(0) + Arg(1)
        if b.chance(0.5):
            ops.reverse()
            region = _swap_args(region)
        x = b.einsum("custom", ops, b.order(ranks), region=region)
        b.structures.append("grouped-bias")
        b.check_finite(x, bound * 4)
    return x


def _grouped_input(b: Builder, r: str, others: Sequence[str], dist: str, prefix: str) -> Val:
    """A new input indexed by `r floordiv d` (its dim ceil(extent(r) / d)
    long) and by some of `others`."""
    d = b.pick([2, 3, 4, 8])
    dim = b.pseudo_rank(RankExpr("floordiv", (r,), d), -(-b.extent[r] // d), b.static[r])
    sub = [k for k in others if b.chance(0.5)]
    return b.input(sub + [dim], dist, 1.0, prefix=prefix)


def _decorate(b: Builder, x: Val, bound: float) -> Val:
    """A random well-conditioned elementwise map of `x` (keeps its ranks),
    sometimes reading a second value broadcast along some of them."""
    ranks = list(x.ranks)
    kind = b.pick(["scale", "bias", "tanh", "custom", "named2", "abs", "neg", "select"])
    if kind == "select" and "bool-mask" in b.exclude:
        kind = "custom"
    out = b.order(ranks)
    if kind == "scale":
        c = b.pick([0.5, 0.25, 1.5, -1.0, 2.0])
        y = b.einsum("custom", [b.read(x)], out, region=Arg(0) * c)
    elif kind in ("bias", "named2"):
        sub = [r for r in ranks if b.chance(0.5)]
        name = "add" if kind == "bias" else b.pick(["add", "sub", "max", "min", "mul"])
        if name == "mul":
            bias = b.input(sub, "positive", prefix="g")
        else:
            bias = b.input(sub, "uniform", 1.0, prefix="b")
        ops = [b.read(x), b.read(bias)]
        if name != "sub" and b.chance(0.5):
            ops.reverse()
        y = b.einsum(name, ops, out)
        b.structures.append(f"broadcast-{name}" if len(sub) < len(ranks) else name)
    elif kind == "tanh":
        y = b.einsum("tanh", [b.read(x)], out)
        y = b.einsum("custom", [b.read(y)], b.order(ranks), region=Arg(0) * 3.0)
    elif kind == "abs":
        y = b.einsum("abs", [b.read(x)], out)
    elif kind == "neg":
        y = b.einsum("neg", [b.read(x)], out)
    elif kind == "select":
        # a leaky mask by an i1 input broadcast along some ranks
        sub = [r for r in ranks if b.chance(0.6)]
        mask = b.input(sub, "mask", prefix="mask")
        if b.chance(0.5):
            half = b.einsum("custom", [b.read(x)], b.order(ranks), region=Arg(0) * 0.5)
            y = b.einsum("select", [b.read(mask), b.read(x), b.read(half)], out)
            b.structures.append("select")
        else:
            y = b.einsum("custom", [b.read(mask), b.read(x)], out,
                         region=Select(Arg(0, "i1"), Arg(1), Arg(1) * 0.25 - 1.0))
            b.structures.append("select-region")
    else:
        sub = [r for r in ranks if b.chance(0.5)]
        w = b.input(sub, "uniform", 1.0, prefix="w")
        a, c = Arg(0), Arg(1)
        region = b.pick([
            lambda: a * 0.5 + c,
            lambda: a / (c * c + 1.0),
            lambda: fmax(a, c) - fmin(a, 0.5),
            lambda: sqrt(a * a + 1.0) * c,
            lambda: a * tanh(c) + exp(fmin(c, 0.0)),
            # a select on an input (exact comparisons only)
            lambda: Select(CmpF("ogt", c, Const(0.0)), a, a * 0.5),
        ])()
        y = b.einsum("custom", [b.read(x), b.read(w)], out, region=region)
        b.structures.append("custom-map")
    b.check_finite(y, bound * 4)
    return y


def _pick_ranks(b: Builder, *, need_f: bool = False, need_e: bool = False,
                min_kept: int = 0):
    """(r, kept, f, e): the reduced rank, the kept (parallel) ranks, and
    optionally a value rank f and a contraction rank e, all distinct."""
    last = b.pool[-1] if b.pool else None
    chain = last is not None and len(last.ranks) > min_kept and b.may("chained", 0.5)
    kept = b.shuffled(last.ranks) if last is not None else []
    if chain and "chained-other-rank" in b.exclude:
        kept = [x for x in kept if x not in last.reduced] + [x for x in kept if x in last.reduced]
        chain = kept[-1] in last.reduced
    if chain:
        # over the ranks of the last structure's result, so that it can read it
        r = kept.pop()
        b.cur_red = [r]
        others = b.shuffled(x for x in b.ranks if x not in last.ranks)
        f = others.pop() if need_f and others and b.chance(0.75) else None
        e = others.pop() if need_e and others else None
        return r, kept, f, e
    names = b.shuffled(b.ranks)
    r = names.pop()
    b.cur_red = [r]
    if len(names) < min_kept:
        raise Unsuitable("not enough ranks")
    spare = len(names) - min_kept
    f = e = None
    if need_f and spare and b.chance(0.75):
        f = names.pop()
        spare -= 1
    if need_e and spare:
        e = names.pop()
    return r, names, f, e


def _swap_args(e: Ex) -> Ex:
    """`e` with Arg(0) and Arg(1) exchanged."""
    if isinstance(e, Arg):
        return Arg(1 - e.index, e.ty) if e.index < 2 else e
    if isinstance(e, (Const, Index, Extent)):
        return e
    if isinstance(e, Un):
        return Un(e.op, _swap_args(e.a))
    if isinstance(e, Bin):
        return Bin(e.op, _swap_args(e.a), _swap_args(e.b))
    if isinstance(e, CmpF):
        return CmpF(e.pred, _swap_args(e.a), _swap_args(e.b))
    if isinstance(e, Select):
        return Select(_swap_args(e.cond), _swap_args(e.a), _swap_args(e.b))
    raise TypeError(e)


def _exp_shift(b: Builder, x: Val, g: Val, kept, r, barrier: str, temp: float,
               tags: List[str], base2: bool = False) -> Val:
    """SN = exp of x shifted by the barrier g (max: x - g; min: g - x), in
    one of several spellings."""
    xr, gr = b.read(x), b.read(g)
    rows = list(kept) + [r]
    if not base2 and b.may("named-exp", 0.25):
        # sub, then exp, as two Einsums
        d = b.einsum("sub", [xr, gr] if barrier == "max" else [gr, xr], b.order(rows))
        if temp != 1.0:
            d = b.einsum("custom", [b.read(d)], b.order(rows), region=Arg(0) * (1.0 / temp))
        tags.append("named-exp")
        return b.einsum("exp", [b.read(d)], b.order(rows))
    a, c = Arg(0), Arg(1)
    form = "diff"
    if b.may("mu-x", 0.35):
        form = b.pick(["negdiff", "addneg", "swapped"])
        tags.append("mu-x")
    if form == "diff":
        t = (a - c) if barrier == "max" else (c - a)
    elif form == "negdiff":  # exp(-(mu - x))
        t = -(c - a) if barrier == "max" else -(a - c)
    elif form == "addneg":  # exp(x + (-mu))
        t = (a + (-c)) if barrier == "max" else (c + (-a))
    else:  # exp(-1 * (mu - x)) as a product
        t = ((c - a) * -1.0) if barrier == "max" else ((a - c) * -1.0)
    if temp != 1.0:
        t = t * (1.0 / temp) if b.chance(0.5) else t / temp
    region = exp2(t) if base2 else exp(t)
    ops = [xr, gr]
    if b.chance(0.3):  # operands the other way round
        ops = [gr, xr]
        region = _swap_args(region)
    return b.einsum("custom", ops, b.order(rows), region=region)


def _guard_inf(b: Builder, g: Val, barrier: str) -> Val:
    """`g == -inf ? 0 : g` (+inf for a min), the guard of fully masked rows."""
    inf = -math.inf if barrier == "max" else math.inf
    a = Arg(0)
    if b.chance(0.5):
        region = Select(CmpF("oeq", a, Const(inf)), Const(0.0), a)
    else:
        region = Select(CmpF("one", a, Const(inf)), a, Const(0.0))
    b.structures.append("guard")
    return b.einsum("custom", [b.read(g)], b.order(g.ranks, "transposed-guard"), region=region)


def _normalise(b: Builder, e: Val, s: Val, kept, r, tags: List[str]) -> Val:
    """P = E / S in one of several spellings."""
    rows = list(kept) + [r]
    recip = 0.0 if b.extent[r] == 0 and "recip-mul-empty" in b.exclude else 1.5
    form = _choose(b, [("div", 2), ("custom", 2), ("recip-mul", recip), ("div-guard", 1)])
    if form == "div":
        return b.einsum("div", [b.read(e), b.read(s)], b.order(rows))
    if form == "custom":
        return b.einsum("custom", [b.read(e), b.read(s)], b.order(rows), region=Arg(0) / Arg(1))
    if form == "recip-mul":
        tags.append("recip-mul")
        inv = b.einsum("custom", [b.read(s)], b.order(s.ranks), region=1.0 / Arg(0))
        if b.chance(0.5):
            return b.einsum("mul", [b.read(e), b.read(inv)], b.order(rows))
        return b.einsum("custom", [b.read(inv), b.read(e)], b.order(rows), region=Arg(0) * Arg(1))
    # 0 for an empty (fully masked) row: s == 0 ? 0 : e / s
    tags.append("div-guard")
    a, c = Arg(0), Arg(1)
    if b.chance(0.5):
        region = Select(CmpF("oeq", c, Const(0.0)), Const(0.0), a / c)
        return b.einsum("custom", [b.read(e), b.read(s)], b.order(rows), region=region)
    safe = b.einsum("custom", [b.read(s)], b.order(s.ranks),
                    region=Select(CmpF("oeq", Arg(0), Const(0.0)), Const(1.0), Arg(0)))
    return b.einsum("div", [b.read(e), b.read(safe)], b.order(rows))


def _weighted_sum(b: Builder, p: Val, kept, r, f, tags: List[str], init=None) -> Val:
    """sum over r of P * V (V over r [, f] [, kept])."""
    fr = [f] if f is not None else []
    vr = b.pick([[r] + fr, list(kept) + [r] + fr])
    v = b.input(vr, "uniform", 1.0, prefix="v")
    out = b.order(list(kept) + fr)
    if b.may("wsum-custom", 0.2):
        tags.append("wsum-custom")
        return b.einsum("custom", [b.read(p), b.read(v)], out, reduce="sum", init=init,
                        region=Arg(0) * Arg(1) * 2.0)
    ops = [b.read(p), b.read(v)]
    if b.chance(0.3):
        ops.reverse()
    return b.einsum("mul", ops, out, reduce="sum", init=init)


def s_softmax(b: Builder, what: Optional[str] = None, given: Optional[Val] = None):
    """Softmax over r and what follows it: the probabilities themselves
    (3 passes), a weighted sum (attention-like), a log-softmax, a
    cross-entropy. Barrier max or min (softmin), several exp spellings,
    temperature, exp2, guards, inits. `given`: the scores (a softmax over
    one of its ranks)."""
    if what is None:
        what = _choose(b, [("probs", 1.5), ("attention", 3), ("attention-deferred", 1),
                           ("log-softmax", 1.2), ("cross-entropy", 1)])
    if given is not None:
        kept = b.shuffled(given.ranks)
        if "chained-other-rank" in b.exclude:  # the rank the first softmax reduced
            kept = [x for x in kept if x not in given.reduced] + \
                [x for x in kept if x in given.reduced]
        r = kept.pop()
        b.cur_red = [r]
        others = b.shuffled(x for x in b.ranks if x not in given.ranks)
        f = others.pop() if what.startswith("attention") and others else None
        e = None
    else:
        r, kept, f, e = _pick_ranks(b, need_f=what.startswith("attention"),
                                    need_e=b.may("scores", 0.3))
    tags: List[str] = []
    barrier = "min" if b.may("min-barrier", 0.2) else "max"
    if barrier == "min" and what in ("log-softmax", "cross-entropy"):
        what = "attention"
    # The scores: a contraction q . k over e, or a value over kept + [r].
    if e is not None:
        q = b.input(list(kept) + [e], "normal", 0.7, prefix="q")
        k = b.input(b.pick([[r, e], list(kept) + [r, e]]), "normal", 0.7, prefix="k")
        x = b.einsum("mul", [b.read(q), b.read(k)], b.order(list(kept) + [r]), reduce="sum")
        if b.chance(0.5):
            x = b.einsum("custom", [b.read(x)], b.order(list(kept) + [r]),
                         region=Arg(0) * b.pick([0.125, 0.5, 0.3]))
        tags.append("scores")
    elif given is not None:
        x = given
    else:
        x = _source(b, list(kept) + [r], red=[r], dist="uniform", scale=b.pick([1.0, 3.0, 8.0, 20.0]))
    # The barrier, maybe with an init (then it is never -inf).
    g_init = None
    if b.may("barrier-init", 0.12) and (b.extent[r] or "max-init-empty" not in b.exclude):
        g_init = b.pick([0.0, -1.0, 2.0]) if barrier == "max" else b.pick([0.0, 1.0, -2.0])
        tags.append(f"{barrier}-init")
    g = b.einsum("copy", [b.read(x)], b.order(kept), reduce=barrier, init=g_init)
    if b.may("guard", 0.5 if b.extent[r] == 0 else 0.15):
        g = _guard_inf(b, g, barrier)
    temp = 1.0
    if b.may("temperature", 0.25):
        temp = b.pick([0.5, 2.0, 4.0])
        tags.append("temperature")
    base2 = b.may("exp2", 0.08)
    if base2:
        tags.append("exp2")
    sn = _exp_shift(b, x, g, kept, r, barrier, temp, tags, base2)
    s_init = None
    if b.may("sum-init", 0.25):
        s_init = b.pick([1.0, 0.5, 2.0])
        tags.append("sum-init")
    s = b.einsum("copy", [b.read(sn)], b.order(kept), reduce="sum", init=s_init)
    name = {"max": "softmax", "min": "softmin"}[barrier]
    if what == "probs":
        out = _normalise(b, sn, s, kept, r, tags)
    elif what in ("attention", "attention-deferred"):
        o_init = None
        if b.may("wsum-init", 0.2):
            o_init = b.pick([0.5, -1.0])
            tags.append("wsum-init")
        if what == "attention-deferred":
            # already deferred: (sum_r SN * V) / SD, 0 / 0 taken as 0
            nv = _weighted_sum(b, sn, kept, r, f, tags)
            a, c = Arg(0), Arg(1)
            region = Select(CmpF("oeq", a, Const(0.0)), Const(0.0), a / c)
            if o_init is not None:
                region = region + o_init
            out = b.einsum("custom", [b.read(nv), b.read(s)], b.order(nv.ranks), region=region)
            tags.append("deferred")
        else:
            p = _normalise(b, sn, s, kept, r, tags)
            out = _weighted_sum(b, p, kept, r, f, tags, o_init)
        name = ("attention-" if f is not None else "weighted-") + name
    elif what == "log-softmax":
        lse = b.einsum("custom", [b.read(s), b.read(g)], b.order(kept), region=log(Arg(0)) + Arg(1))
        out = b.einsum("sub", [b.read(x), b.read(lse)], b.order(list(kept) + [r]))
        name = "log-softmax"
    else:  # cross-entropy
        onehot = b.input(list(kept) + [r], "onehot", prefix="t")
        picked = b.einsum("mul", [b.read(x), b.read(onehot)], b.order(kept), reduce="sum")
        lse = b.einsum("custom", [b.read(s), b.read(g)], b.order(kept), region=log(Arg(0)) + Arg(1))
        out = b.einsum("sub", [b.read(lse), b.read(picked)], b.order(kept))
        name = "cross-entropy"
    b.structures.append("+".join([name] + tags))
    b.extra = [g, s]
    return out


def s_two_softmax(b: Builder):
    """Two chained softmaxes: the probabilities of one feed the next (over
    the same or another rank)."""
    p = s_softmax(b, "probs")
    p.reduced = tuple(b.cur_red)
    if not b.value(p).size:
        raise Unsuitable("empty probabilities")
    nxt = _choose(b, [("probs", 1), ("attention", 1), ("log-softmax", 1)])
    # the second one reads the first one's probabilities (scaled up a bit)
    if b.chance(0.5):
        red = p.reduced
        p = b.einsum("custom", [b.read(p)], b.order(p.ranks), region=Arg(0) * 4.0)
        p.reduced = red
    return s_softmax(b, nxt, given=p)


def s_masked_attention(b: Builder):
    """Scores masked by position (causal with an offset, or a window) or by
    an i1 mask, so that whole rows may be masked: SDPA's guards (-inf max
    -> 0, 0 / 0 -> 0) keep them 0."""
    r, kept, f, _ = _pick_ranks(b, need_f=True, min_kept=1)
    qr = b.pick(kept)
    x = _source(b, list(kept) + [r], red=[r], dist="uniform", scale=4.0)
    a = Arg(0)
    pi, mi = Index(qr), Index(r)
    kind = "bool-mask" if b.may("bool-mask", 0.25) else b.pick(["causal", "window"])
    if kind == "causal":
        off = int(b.rng.integers(-3, 3))
        keep = CmpI("sle", IdxAdd(mi, 3), IdxAdd(pi, 3 + off))  # m <= p + off
        sm = b.einsum("custom", [b.read(x)], b.order(list(kept) + [r]),
                      region=Select(keep, a, Const(-math.inf)))
    elif kind == "window":
        width = int(b.rng.integers(0, 4))
        keep = CmpI("sle", mi, IdxAdd(pi, width))   # m <= p + w
        keep2 = CmpI("sle", pi, IdxAdd(mi, width))  # p <= m + w
        sm = b.einsum("custom", [b.read(x)], b.order(list(kept) + [r]),
                      region=Select(keep, Select(keep2, a, Const(-math.inf)), Const(-math.inf)))
    else:
        mask = b.input(b.pick([[qr, r], list(kept) + [r]]), "mask", prefix="mask")
        sm = b.einsum("custom", [b.read(mask), b.read(x)], b.order(list(kept) + [r]),
                      region=Select(Arg(0, "i1"), Arg(1), Const(-math.inf)))
    g = b.einsum("copy", [b.read(sm)], b.order(kept), reduce="max")
    if "guard" in b.exclude:
        raise Unsuitable("masked attention needs the guard")
    g = _guard_inf(b, g, "max")
    tags: List[str] = [kind]
    sn = _exp_shift(b, sm, g, kept, r, "max", 1.0, tags)
    s = b.einsum("copy", [b.read(sn)], b.order(kept), reduce="sum")
    fr = [f] if f is not None else []
    if b.chance(0.5):
        p = b.einsum("custom", [b.read(sn), b.read(s)], b.order(list(kept) + [r]),
                     region=Select(CmpF("oeq", Arg(1), Const(0.0)), Const(0.0), Arg(0) / Arg(1)))
        out = _weighted_sum(b, p, kept, r, f, tags)
    else:
        nv = _weighted_sum(b, sn, kept, r, f, tags)
        out = b.einsum("custom", [b.read(nv), b.read(s)], b.order(nv.ranks),
                       region=Select(CmpF("oeq", Arg(1), Const(0.0)), Const(0.0), Arg(0) / Arg(1)))
        tags.append("deferred")
    b.structures.append("+".join(["masked-attention"] + tags))
    b.extra = [s]
    return out


def _mean_region(b: Builder, r: str) -> Ex:
    """S -> S / extent(r): by ein.extent, or a constant for a static rank."""
    if b.static[r] and b.chance(0.5):
        return Arg(0) * (1.0 / b.extent[r]) if b.chance(0.5) else Arg(0) / float(b.extent[r])
    return Arg(0) / ToFloat(Extent(r))


def s_layer_norm(b: Builder):
    """Layer norm over r: mean, variance about it, normalise; with and
    without gamma/beta, `mu - x`, the square in one region, an init of
    C * eps; or just the standard deviation; or feeding a matmul."""
    r, kept, f, _ = _pick_ranks(b, need_f=True)
    b.nonempty(r, 2)
    tags: List[str] = []
    big = b.may("large-mean", 0.15)
    x = _source(b, list(kept) + [r], red=[r], dist="uniform", scale=2.0,
                offset=b.pick([100.0, 1000.0, 10.0]) if big else 0.0,
                bound=2000.0 if big else 30.0)
    if big:
        tags.append("large-mean")
    s = b.einsum("copy", [b.read(x)], b.order(kept), reduce="sum")
    mu = b.einsum("custom", [b.read(s)], b.order(kept), region=_mean_region(b, r))
    flipped = b.may("mu-x", 0.3)
    if flipped:
        tags.append("mu-x")
    eps = b.pick([1e-5, 1e-3, 0.1])
    ss_init = None
    if b.may("var-init", 0.3):
        ss_init = eps * b.extent[r]
        tags.append("var-init")
    d_ops = [b.read(mu), b.read(x)] if flipped else [b.read(x), b.read(mu)]
    if b.may("square-region", 0.25):
        # (x - mu)^2 in one region, D never materialised for the variance
        a, m = Arg(0), Arg(1)
        dd = (m - a) if flipped else (a - m)
        var = b.einsum("custom", [b.read(x), b.read(mu)], b.order(kept), reduce="sum",
                       init=ss_init, region=dd * dd)
        tags.append("square-region")
        d = None  # made below if the normalisation needs it
    else:
        d = b.einsum("sub", d_ops, b.order(list(kept) + [r]))
        if b.chance(0.6):
            var = b.einsum("mul", [b.read(d), b.read(d)], b.order(kept), reduce="sum", init=ss_init)
        else:
            var = b.einsum("custom", [b.read(d)], b.order(kept), reduce="sum", init=ss_init,
                           region=Arg(0) * Arg(0))
    if b.may("std", 0.2):
        region = sqrt(_mean_region(b, r) if ss_init is not None else _mean_region(b, r) + eps)
        out = b.einsum("custom", [b.read(var)], b.order(kept), region=region)
        b.structures.append("+".join(["std"] + tags))
        b.extra = [mu]
        return out
    vr = _mean_region(b, r)
    rstd = b.einsum("custom", [b.read(var)], b.order(kept),
                    region=rsqrt(vr if ss_init is not None else vr + eps))
    if d is None:
        d = b.einsum("sub", d_ops, b.order(list(kept) + [r]))
    ops = [b.read(d), b.read(rstd)]
    if b.may("affine", 0.6):
        affine = b.pick(["gamma", "beta", "both"])
        region = Arg(0) * Arg(1)
        if affine in ("gamma", "both"):
            ops.append(b.read(b.input([r], "positive", prefix="g")))
            region = region * Arg(len(ops) - 1)
        if affine in ("beta", "both"):
            ops.append(b.read(b.input([r], "uniform", 1.0, prefix="b")))
            region = region + Arg(len(ops) - 1)
        y = b.einsum("custom", ops, b.order(list(kept) + [r]), region=region)
        tags.append(affine)
    else:
        y = b.einsum("mul", ops if b.chance(0.5) else ops[::-1], b.order(list(kept) + [r]))
    if f is not None and b.may("norm-matmul", 0.4):
        w = b.input([r, f], "uniform", 1.0, prefix="w")
        out = b.einsum("mul", [b.read(y), b.read(w)], b.order(list(kept) + [f]), reduce="sum")
        tags.append("matmul")
    else:
        out = y
    b.structures.append("+".join(["layer-norm"] + tags))
    b.extra = [mu, var]
    return out


def s_rms_norm(b: Builder):
    """RMS norm over r (x * rsqrt(mean(x^2) + eps) [* g]), usually feeding
    a matmul over r; or L2-normalise (x / sqrt(sum x^2 + eps)) + matmul."""
    r, kept, f, _ = _pick_ranks(b, need_f=True)
    tags: List[str] = []
    l2 = b.may("l2-normalise", 0.35)
    if not l2:
        b.nonempty(r)
    x = _source(b, list(kept) + [r], red=[r], dist="normal", scale=1.0)
    eps = b.pick([1e-5, 1e-3, 0.1])
    init = None
    if l2 and b.may("sum-init", 0.4):
        init, eps = eps, 0.0
        tags.append("sum-init")
    if b.chance(0.5):
        ss = b.einsum("mul", [b.read(x), b.read(x)], b.order(kept), reduce="sum", init=init)
    else:
        ss = b.einsum("custom", [b.read(x)], b.order(kept), reduce="sum", init=init,
                      region=Arg(0) * Arg(0))
    if l2:
        nrm = b.einsum("custom", [b.read(ss)], b.order(kept),
                       region=sqrt(Arg(0) + eps) if eps else sqrt(Arg(0)))
        if b.chance(0.5):
            y = b.einsum("div", [b.read(x), b.read(nrm)], b.order(list(kept) + [r]))
        else:
            y = b.einsum("custom", [b.read(x), b.read(nrm)], b.order(list(kept) + [r]),
                         region=Arg(0) / Arg(1))
        name = "l2-normalise"
    else:
        if b.chance(0.5):
            ms = b.einsum("custom", [b.read(ss)], b.order(kept), region=_mean_region(b, r) + eps)
            inv = b.einsum("rsqrt", [b.read(ms)], b.order(kept))
        else:
            inv = b.einsum("custom", [b.read(ss)], b.order(kept),
                           region=rsqrt(_mean_region(b, r) + eps))
        if b.may("affine", 0.5):
            gamma = b.input([r], "positive", prefix="g")
            y = b.einsum("custom", [b.read(x), b.read(inv), b.read(gamma)],
                         b.order(list(kept) + [r]), region=Arg(0) * Arg(1) * Arg(2))
            tags.append("gamma")
        else:
            y = b.einsum("mul", [b.read(x), b.read(inv)], b.order(list(kept) + [r]))
        name = "rms-norm"
    if f is not None and b.may("norm-matmul", 0.8):
        w = b.input(b.pick([[r, f], [r, f], list(kept) + [r, f]]), "uniform", 1.0, prefix="w")
        out = b.einsum("mul", [b.read(y), b.read(w)], b.order(list(kept) + [f]), reduce="sum")
        tags.append("matmul")
    elif b.chance(0.5):
        v = b.input([r], "uniform", 1.0, prefix="v")
        out = b.einsum("mul", [b.read(y), b.read(v)], b.order(kept), reduce="sum")
        tags.append("dot")
    else:
        out = y
    b.structures.append("+".join([name] + tags))
    b.extra = [ss]
    return out


def s_sigmoid_sum(b: Builder):
    """A sigmoid-weighted sum over r (no barrier): sum_r sigmoid(x) * v."""
    r, kept, f, _ = _pick_ranks(b, need_f=True)
    x = _source(b, list(kept) + [r], red=[r], dist="uniform", scale=4.0)
    fr = [f] if f is not None else []
    v = b.input(b.pick([[r] + fr, list(kept) + [r] + fr]), "uniform", 1.0, prefix="v")
    init = 1.0 if b.may("wsum-init", 0.3) else None
    if b.chance(0.5):
        sg = b.einsum("custom", [b.read(x)], b.order(list(kept) + [r]),
                      region=1.0 / (1.0 + exp(-Arg(0))))
        out = b.einsum("mul", [b.read(sg), b.read(v)], b.order(list(kept) + fr), reduce="sum",
                       init=init)
    else:
        out = b.einsum("custom", [b.read(x), b.read(v)], b.order(list(kept) + fr), reduce="sum",
                       init=init, region=Arg(1) / (1.0 + exp(-Arg(0))))
    b.structures.append("sigmoid-sum" + ("+init" if init is not None else ""))
    return out


def s_maxpool_subtract(b: Builder):
    """Max- (or min-) pool over r and subtract it: x - max_r x (indexed by
    r), or its sum over r (a max used other than through exp)."""
    r, kept, _, _ = _pick_ranks(b)
    barrier = "min" if b.may("min-barrier", 0.3) else "max"
    x = _source(b, list(kept) + [r], red=[r], dist="uniform", scale=3.0)
    g = b.einsum("copy", [b.read(x)], b.order(kept), reduce=barrier)
    d = b.einsum("sub", [b.read(x), b.read(g)], b.order(list(kept) + [r]))
    summed = b.chance(0.5)
    out = b.einsum("copy", [b.read(d)], b.order(kept), reduce="sum") if summed else d
    b.structures.append(f"{barrier}pool-subtract" + ("+sum" if summed else ""))
    b.extra = [g] if b.extent[r] else []
    return out


def s_minmax_norm(b: Builder):
    """(x - min_r x) / (max_r x - min_r x + 1)."""
    r, kept, _, _ = _pick_ranks(b)
    x = _source(b, list(kept) + [r], red=[r], dist="uniform", scale=3.0)
    lo = b.einsum("copy", [b.read(x)], b.order(kept), reduce="min")
    hi = b.einsum("copy", [b.read(x)], b.order(kept), reduce="max")
    a, l, h = Arg(0), Arg(1), Arg(2)
    out = b.einsum("custom", [b.read(x), b.read(lo), b.read(hi)], b.order(list(kept) + [r]),
                   region=(a - l) / (h - l + 1.0))
    b.structures.append("minmax-norm")
    return out


def s_reduce(b: Builder):
    """A plain reduction (sum, max or min) over one or two ranks, with or
    without an init, of a copy, an abs, a product (a contraction) or a
    custom region; an r-free map follows sometimes."""
    names = b.shuffled(b.ranks)
    grouped = b.may("grouped-input", 0.3)
    two = not grouped and len(names) >= 3 and b.may("two-rank-reduce", 0.3)
    if grouped:
        # the rank the split-rank option sets split (c, k), mostly
        split = [n for n in names if n in ("c", "k")]
        if split and b.chance(0.8):
            names.remove(split[0])
            names.append(split[0])
    red = [names.pop()] + ([names.pop()] if two else [])
    kept = names
    if two and b.may("small-static-rank", 0.5) and b.small_static(red):
        b.structures.append("small-static-rank")
    kind = b.pick(["sum", "sum", "sum", "max"] if grouped else ["sum", "sum", "max", "min"])
    form = b.pick(["scale", "custom", "qmatmul"] if grouped else ["copy", "abs", "mul", "custom"])
    if form == "qmatmul" and not kept:
        form = "scale"
    f = kept[-1] if form == "qmatmul" else None
    x = _source(b, [k for k in kept if k != f] + red, red=red, dist="uniform", scale=2.0)
    init = b.pick([0.0, 1.0, -0.5]) if b.may("reduce-init", 0.3) else None
    if kind != "sum" and "max-init-empty" in b.exclude and any(b.extent[r] == 0 for r in red):
        init = None
    if grouped:
        # a group scale s[.., r floordiv d] (a dequantised matmul's, with a
        # weight w[r, f]), the sum one that split-K tiles at multiples of d
        r = red[0]
        s = _grouped_input(b, r, [k for k in kept if k != f] if f is None else [f],
                           b.pick(["positive", "uniform"]), prefix="s")
        if form == "scale":
            ops = [b.read(x), b.read(s)]
            out = b.einsum("mul", ops if b.chance(0.5) else ops[::-1], b.order(kept),
                           reduce=kind, init=init)
        elif form == "custom":
            a, c = Arg(0), Arg(1)
            out = b.einsum("custom", [b.read(x), b.read(s)], b.order(kept), reduce=kind,
                           init=init, region=b.pick([a * c, a * tanh(c), (a - c) * (a - c)]))
        else:
            w = b.input([r, f], "uniform", 1.0, prefix="w")
            ops = [b.read(x), b.read(w), b.read(s)]
            perm = b.shuffled(range(3))
            out = b.einsum("custom", [ops[i] for i in perm], b.order(kept), reduce=kind,
                           init=init, region=Arg(perm.index(0)) * Arg(perm.index(1))
                           * Arg(perm.index(2)))
        b.structures.append("grouped-input" + ("+qmatmul" if f else ""))
    elif form == "copy":
        out = b.einsum("copy", [b.read(x)], b.order(kept), reduce=kind, init=init)
    elif form == "abs":
        out = b.einsum("abs", [b.read(x)], b.order(kept), reduce=kind, init=init)
    elif form == "mul":
        sub = [r for r in list(kept) + red if r in red or b.chance(0.5)]
        w = b.input(sub, "uniform", 1.0, prefix="w")
        out = b.einsum("mul", [b.read(x), b.read(w)], b.order(kept), reduce=kind, init=init)
    else:
        out = b.einsum("custom", [b.read(x)], b.order(kept), reduce=kind, init=init,
                       region=b.pick([Arg(0) * Arg(0), tanh(Arg(0)), fmax(Arg(0), 0.0) - 0.25]))
    if kind != "sum" and init is None and any(b.extent[r] == 0 for r in red) \
            and "guard" not in b.exclude:
        out = _guard_inf(b, out, kind)
    if b.chance(0.3):
        out = b.einsum("custom", [b.read(out)], b.order(kept), region=tanh(Arg(0) * 0.1) * 4.0)
    b.structures.append(f"reduce-{kind}{len(red)}" + ("+init" if init is not None else ""))
    return out


def s_two_rank_softmax(b: Builder):
    """Softmax over two ranks at once (max and sum over both), then a
    weighted sum over both, or the probabilities."""
    if len(b.ranks) < 3:
        raise Unsuitable("needs 3 ranks")
    names = b.shuffled(b.ranks)
    red = [names.pop(), names.pop()]
    kept = names
    if b.may("small-static-rank", 0.5) and b.small_static(red):
        b.structures.append("small-static-rank")
    x = _source(b, list(kept) + red, red=red, dist="uniform", scale=4.0)
    g = b.einsum("copy", [b.read(x)], b.order(kept), reduce="max")
    if any(b.extent[r] == 0 for r in red) and b.may("guard", 0.5):
        g = _guard_inf(b, g, "max")
    sn = b.einsum("custom", [b.read(x), b.read(g)], b.order(list(kept) + red),
                  region=exp(Arg(0) - Arg(1)))
    s = b.einsum("copy", [b.read(sn)], b.order(kept), reduce="sum")
    p = b.einsum("div", [b.read(sn), b.read(s)], b.order(list(kept) + red))
    if b.chance(0.6):
        v = b.input(b.pick([red, list(kept) + red]), "uniform", 1.0, prefix="v")
        out = b.einsum("mul", [b.read(p), b.read(v)], b.order(kept), reduce="sum")
        b.structures.append("softmax-2ranks+weighted")
    else:
        out = p
        b.structures.append("softmax-2ranks")
    b.extra = [s]
    return out


def s_split_rank(b: Builder):
    """A reduction over the inner rank of a split rank: x[.., o * B + i]
    (x's dim extent(o) * B long, i declared `i = B`) reduced over i into
    tiles t[.., o], then sometimes over the tiles o too. x is an input, or
    an elementwise value over a plain rank of that length; o's extent comes
    from a static type, an earlier use, a per-tile input w[o] in the same
    Einsum, or a declaration `o = N`."""
    names = b.shuffled(b.ranks)
    o = names.pop()
    kept = names
    inner = next(n for n in b.shuffled([o + "0", o + "i", o + "_lo"]) + [o + "_in0"]
                 if n not in b.ranks and n not in b.more_ranks)
    rows = math.prod(max(1, b.extent[k]) for k in kept) * max(1, b.extent[o])
    fits = [n for n in (2, 3, 4, 8, 16) if rows * n <= MAX_POINTS]
    if not fits:
        raise Unsuitable("no room for a split rank")
    B = b.pick(fits)
    b.extent[inner], b.static[inner] = B, True
    b.declared[inner] = B
    b.more_ranks.append(inner)
    b.cur_red = [inner]
    e = RankExpr("split", (o, inner), B)
    tags: List[str] = []
    # o has a size where its type is static or an earlier Einsum reads a
    # tensor plainly by it; otherwise this Einsum reads w[o] (per tile), or
    # o becomes static (nothing uses it yet). The cascade may declare a
    # static o, `o = N` (never 0).
    earlier = any(o in idx for op in b.ops for _, idx in op.operands)
    sized = b.static[o] or (earlier and "split-rank-sized-earlier" not in b.exclude)
    per_tile = b.chance(0.3)
    if not b.static[o] and earlier and not per_tile:
        if sized:
            tags.append("sized-earlier")
        else:
            per_tile = True
    if not sized and not per_tile:
        if b.used(o) or (b.extent[o] == 0 and "static-empty-rank" in b.exclude) \
                or b.chance(0.4):
            per_tile = True
        else:
            b.static[o] = True
    if b.static[o] and b.extent[o] > 0 and b.chance(0.3):
        b.declared[o] = b.extent[o]
        tags.append("declared")
    if b.chance(0.3):
        # an elementwise value over a plain rank of extent(o) * B, read split
        flat = next(n for n in [o + "_flat", o + "_all"] if n not in b.more_ranks)
        b.extent[flat], b.static[flat] = b.extent[o] * B, b.static[o]
        b.more_ranks.append(flat)
        x0 = b.input(list(kept) + [flat], "uniform", 2.0)
        x = b.einsum("custom", [b.read(x0)], b.order(list(kept) + [flat]),
                     region=b.pick([tanh(Arg(0)) * 2.0, Arg(0) * 0.5 + 1.0, fabs(Arg(0)) - 0.5]))
        xr = (x, tuple(e if r == flat else r for r in x.ranks))
        tags.append("flat")
    else:
        dim = b.pseudo_rank(e, b.extent[o] * B, b.static[o])
        x = b.input(list(kept) + [dim], "uniform", 2.0)
        xr = b.read(x)
    kind = b.pick(["sum", "sum", "max"])
    form = b.pick(["copy", "custom", "w-inner", "w-split"])
    ops = [xr]
    if form == "custom":
        region = b.pick([Arg(0) * Arg(0), tanh(Arg(0)), Arg(0) * 0.5 - 0.25])
    elif form == "copy":
        region = None
    else:
        # a weight indexed by the inner rank alone (plainly), or like x
        if form == "w-inner":
            wr = [inner]
        else:
            wr = [b.pseudo_rank(e, b.extent[o] * B, b.static[o])]
            if b.chance(0.5):
                wr = list(kept) + wr
        w = b.input(wr, "uniform", 1.0, prefix="w")
        ops.append(b.read(w))
        region = Arg(0) * Arg(1)
    if per_tile:
        wo = b.input(b.pick([[o], list(kept) + [o]]), "positive", prefix="wt")
        ops.append(b.read(wo))
        region = (Arg(0) if region is None else region) * Arg(len(ops) - 1)
        tags.append("per-tile")
    if region is None:
        t = b.einsum("copy", ops, b.order(list(kept) + [o]), reduce=kind)
    elif len(ops) == 2 and form.startswith("w") and not per_tile:
        t = b.einsum("mul", ops if b.chance(0.5) else ops[::-1], b.order(list(kept) + [o]),
                     reduce=kind)
    else:
        t = b.einsum("custom", ops, b.order(list(kept) + [o]), reduce=kind, region=region)
    out = t
    if b.chance(0.5):
        # then over the tiles
        b.cur_red = [o, inner]
        kind2 = b.pick(["sum", "sum", "max"]) if kind == "max" else "sum"
        if b.chance(0.5):
            out = b.einsum("copy", [b.read(t)], b.order(kept), reduce=kind2)
        else:
            v = b.input(b.pick([[o], list(kept) + [o]]), "uniform", 1.0, prefix="v")
            out = b.einsum("mul", [b.read(t), b.read(v)], b.order(kept), reduce=kind2)
        if kind2 != "sum" and b.extent[o] == 0:
            if "guard" in b.exclude:
                raise Unsuitable("an empty max over the tiles needs the guard")
            out = _guard_inf(b, out, kind2)
        tags.append("tiles-" + kind2)
    b.structures.append("+".join([f"split-rank-{kind}"] + tags))
    b.extra = [t] if out is not t else []
    return out


def s_elementwise(b: Builder):
    """Elementwise maps only: named unary/binary maps and custom regions on
    a value and an input broadcast along some of its ranks."""
    ranks = [r for r in b.ranks if b.chance(0.7)] or [b.ranks[0]]
    x = _source(b, ranks, red=[], dist="uniform", scale=2.0)
    if "decorate" in b.exclude:
        raise Unsuitable("elementwise needs decorate")
    y = _decorate(b, x, 30.0)
    if b.chance(0.5):
        y = _decorate(b, y, 120.0)
    b.structures.append("elementwise")
    return y


STRUCTURES: Dict[str, Tuple[Callable[[Builder], Val], float]] = {
    "softmax": (s_softmax, 6.0),
    "two-softmax": (s_two_softmax, 1.0),
    "masked-attention": (s_masked_attention, 1.5),
    "layer-norm": (s_layer_norm, 3.0),
    "rms-norm": (s_rms_norm, 2.5),
    "sigmoid-sum": (s_sigmoid_sum, 1.0),
    "maxpool-subtract": (s_maxpool_subtract, 1.0),
    "minmax-norm": (s_minmax_norm, 0.7),
    "reduce": (s_reduce, 2.0),
    "softmax-2ranks": (s_two_rank_softmax, 1.0),
    "elementwise": (s_elementwise, 0.7),
    "split-rank": (s_split_rank, 0.9),
}


def generate(seed: int, exclude: Sequence[str] = (), max_tries: int = 100) -> Case:
    """The case of `seed` (deterministic for a given `exclude`): a random
    cascade that avoids the features (names of FEATURES) in `exclude`."""
    unknown = set(exclude) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features: {sorted(unknown)}")
    last = None
    for attempt in range(max_tries):
        try:
            return _generate(seed, attempt, frozenset(exclude))
        except Unsuitable as e:
            last = e
    raise RuntimeError(f"seed {seed}: no suitable case in {max_tries} tries ({last})")


def _generate(seed: int, attempt: int, exclude: frozenset) -> Case:
    b = Builder(seed * 1009 + attempt)
    b.exclude = exclude
    b.name = f"k{seed}"
    b.setup_ranks()
    names = [n for n in STRUCTURES if n not in exclude]
    weights = np.array([STRUCTURES[n][1] for n in names])
    count = int(b.rng.choice([1, 2, 3], p=[0.72, 0.24, 0.04]))
    results: List[Val] = []
    extras: List[Val] = []
    for _ in range(count):
        name = names[int(b.rng.choice(len(names), p=weights / weights.sum()))]
        b.extra = []
        b.cur_red = []
        results.append(STRUCTURES[name][0](b))
        results[-1].reduced = tuple(b.cur_red)
        b.pool.append(results[-1])
        extras += b.extra
    # The result of every structure that no later one reads (no dead code).
    read = {id(v) for op in b.ops for v, _ in op.operands}
    outputs = [v for v in results if id(v) not in read]
    # Sometimes yield an intermediate too (a denominator, a max, a mean), or
    # an earlier structure's result.
    more = [v for v in extras + results if v not in outputs]
    if more and b.may("extra-output", 0.3):
        outputs.append(b.pick(more))
        b.structures.append("extra-output")
    # (Structures leave no dead values; should one, it is a result too.)
    read = {id(v) for op in b.ops for v, _ in op.operands}
    dead = [op.out for op in b.ops if id(op.out) not in read and op.out not in outputs]
    if dead:
        outputs += dead
        b.structures.append("dead-value")
    b.rng.shuffle(outputs)
    useful = False  # some output has finite elements
    for v in outputs:
        a, nb = b.env64[v.name], b.env32[v.name]
        finite = np.isfinite(a)
        if finite.any():
            useful = True
        if (finite & ~np.isfinite(nb)).any():
            raise Unsuitable("naive result not finite where the reference is")
        if a.size and np.max(np.abs(np.where(finite, a, 0))) > 1e6:
            raise Unsuitable("output too large")
    if not useful:
        raise Unsuitable("no output has a finite element")
    if any(v.arg for v in outputs):
        raise Unsuitable("an input as a result")
    return Case(seed=seed, name=b.name, text=b.render(outputs), inputs=b.inputs,
                input_names=[v.name for v in b.args],
                output_shapes=[tuple(b.extent[r] for r in v.ranks) for v in outputs],
                structures=b.structures, ops=b.ops, args=b.args, outputs=outputs,
                extents={r: b.extent[r] for r in b.ranks + b.more_ranks},
                static=dict(b.static))
