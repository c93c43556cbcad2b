"""The kernel signature (``<name>.json``) and the shape rules it implies.

Shared by the NumPy and the torch calling paths and by the torch fake
implementation, so that every path checks and derives shapes the same way.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from ._errors import ShapeError

FORMAT = "einfuse-signature"
VERSION = 1

DTYPES = ("f16", "bf16", "f32", "f64", "f8E4M3FN", "i1", "i4", "i8", "i16", "i32", "i64")


def _dims(shape: Sequence[Optional[int]]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


class ArgSpec:
    """One buffer of a kernel: ``name``, ``role`` ("input" or "output"),
    ``dtype`` (an MLIR element type name), ``shape`` (``None`` for a dynamic
    size), ``element_bytes``, ``c_type`` and an optional ``note``."""

    def __init__(self, index: int, raw: dict):
        self.index = index
        self.name = str(raw.get("name") or f"arg{index}")
        self.role = raw["role"]
        if self.role not in ("input", "output"):
            raise ValueError(f"signature: argument {self.name}: unknown role {self.role!r}")
        self.dtype = raw["dtype"]
        self.c_type = raw.get("c_type", "")
        self.element_bytes = int(raw.get("element_bytes", 0))
        self.shape: Tuple[Optional[int], ...] = tuple(
            None if d is None else int(d) for d in raw["shape"])
        self.note = raw.get("note") or ""

    @property
    def rank(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"{self.name}: {self.dtype}{_dims(self.shape)}"


class SizeGroup:
    """(argument, dim) pairs whose sizes must be equal, and the static
    ``extent`` the IR fixes for them (or ``None``)."""

    def __init__(self, raw: dict):
        self.dims: Tuple[Tuple[int, int], ...] = tuple((int(a), int(d)) for a, d in raw["dims"])
        extent = raw.get("extent")
        self.extent: Optional[int] = None if extent is None else int(extent)


class KernelSpec:
    """A kernel's entry of the signature, with the checks it implies."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.name: str = raw["name"]
        self.args: List[ArgSpec] = [ArgSpec(i, a) for i, a in enumerate(raw["args"])]
        self.params: List[dict] = list(raw["params"])
        self.size_groups: List[SizeGroup] = [SizeGroup(g) for g in raw.get("size_groups", [])]
        self.inputs: List[ArgSpec] = [a for a in self.args if a.role == "input"]
        self.outputs: List[ArgSpec] = [a for a in self.args if a.role == "output"]
        self._group_of: Dict[Tuple[int, int], SizeGroup] = {}
        for group in self.size_groups:
            for key in group.dims:
                self._group_of[key] = group
        for p in self.params:
            if p.get("kind") not in ("buffer", "size", "stream"):
                raise ValueError(f"signature: {self.name}: unknown parameter kind {p.get('kind')!r}")

    # -- descriptions -------------------------------------------------------
    def describe(self) -> str:
        ins = ", ".join(repr(a) for a in self.inputs)
        outs = ", ".join(repr(a) for a in self.outputs)
        return f"{self.name}({ins}) -> ({outs})" if len(self.outputs) != 1 else f"{self.name}({ins}) -> {outs}"

    def _where(self, key: Tuple[int, int]) -> str:
        arg, dim = key
        return f"{self.args[arg].name} dim {dim}"

    # -- checks -------------------------------------------------------------
    def check_shapes(self, shapes: Dict[int, Tuple[int, ...]]) -> None:
        """Checks the shapes of the buffers given (argument index -> shape):
        ranks, static sizes, and the size groups. Raises ShapeError."""
        for index, shape in shapes.items():
            arg = self.args[index]
            if len(shape) != arg.rank:
                raise ShapeError(
                    f"{self.name}: argument '{arg.name}' ({arg.role}) has rank {len(shape)} "
                    f"(shape {list(shape)}), expected rank {arg.rank}: {arg.dtype}{_dims(arg.shape)}")
            for dim, (size, want) in enumerate(zip(shape, arg.shape)):
                if want is not None and size != want:
                    raise ShapeError(
                        f"{self.name}: argument '{arg.name}' ({arg.role}) dim {dim} is {size}, "
                        f"expected {want} (shape {list(shape)}, signature "
                        f"{arg.dtype}{_dims(arg.shape)})")
        for group in self.size_groups:
            seen = [(key, shapes[key[0]][key[1]]) for key in group.dims if key[0] in shapes]
            if group.extent is not None:
                for key, size in seen:
                    if size != group.extent:
                        raise ShapeError(
                            f"{self.name}: {self._where(key)} is {size}, expected {group.extent} "
                            f"(the kernel fixes it: {self._group_text(group)})")
            if seen and any(size != seen[0][1] for _, size in seen):
                listed = ", ".join(f"{self._where(key)} = {size}" for key, size in seen)
                raise ShapeError(f"{self.name}: sizes that must be equal differ: {listed}")

    def _group_text(self, group: SizeGroup) -> str:
        return " = ".join(self._where(key) for key in group.dims)

    def derive_dim(self, arg: int, dim: int, input_shapes: Dict[int, Sequence]):
        """The size of (arg, dim) from the static shape, or from its size
        group (an extent or an input in it); ``None`` if not derivable.
        Works on SymInts too (no comparison is made)."""
        static = self.args[arg].shape[dim]
        if static is not None:
            return static
        group = self._group_of.get((arg, dim))
        if group is None:
            return None
        if group.extent is not None:
            return group.extent
        for a, d in group.dims:
            if a in input_shapes:
                return input_shapes[a][d]
        return None

    def underivable(self) -> List[str]:
        """Output dims no input or static size determines ("out dim 1")."""
        inputs = {a.index: (0,) * a.rank for a in self.inputs}  # stand-in sizes: only
        missing = []                                                # derivability matters
        for out in self.outputs:
            for dim in range(out.rank):
                if self.derive_dim(out.index, dim, inputs) is None:
                    missing.append(f"{out.name} dim {dim}")
        return missing

    def output_shapes(self, input_shapes: Dict[int, Sequence]) -> List[Tuple]:
        """Shapes of the outputs from the inputs' shapes; raises ShapeError
        naming the dims that cannot be derived (then pass ``out=``)."""
        result = []
        for out in self.outputs:
            shape = []
            for dim in range(out.rank):
                size = self.derive_dim(out.index, dim, input_shapes)
                if size is None:
                    raise ShapeError(
                        f"{self.name}: the size of output '{out.name}' dim {dim} does not follow "
                        f"from the inputs; pass the output buffer(s) with out=")
                shape.append(size)
            result.append(tuple(shape))
        return result


class Signature:
    """The parsed ``<name>.json``: ``raw`` (the dict), ``target``,
    ``runtime`` ("host", "cuda" or "hip"), ``kernels`` (name -> KernelSpec)
    and ``status_codes`` (code -> message)."""

    def __init__(self, raw: dict):
        if raw.get("format") != FORMAT:
            raise ValueError(f"not an Einfuse signature (format {raw.get('format')!r})")
        if raw.get("version") != VERSION:
            raise ValueError(
                f"Einfuse signature version {raw.get('version')!r}; this package reads version {VERSION}")
        self.raw = raw
        self.name: str = raw.get("name", "kernels")
        self.target: str = raw.get("target", "")
        self.runtime: str = raw.get("runtime", "host")
        if self.runtime not in ("host", "cuda", "hip"):
            raise ValueError(f"signature: unknown runtime {self.runtime!r}")
        self.status_codes: Dict[int, str] = {
            int(code): str(text) for code, text in raw.get("status_codes", {}).items()}
        self.kernels: Dict[str, KernelSpec] = {}
        for k in raw.get("kernels", []):
            spec = KernelSpec(k)
            self.kernels[spec.name] = spec

    def status_message(self, code: int) -> str:
        return self.status_codes.get(code, "unknown status")
