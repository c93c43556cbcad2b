"""compile() and load(): sources in, a Module of callable kernels out."""

from __future__ import annotations

import ctypes
import json
import os
import re
import threading
from pathlib import Path
from typing import Dict, Optional, Union

from . import _build, _capi
from ._kernel import Kernel
from ._signature import Signature

_EMIT = {"all": 0, "assembly": 1}


class Module:
    """What one compile produced.

    * ``kernels``: name -> :class:`Kernel` (also ``module.<name>`` and
      ``module["<name>"]``).
    * ``artifacts``: file name -> bytes (``<name>.o``, ``.h``, ``.c``,
      ``.json``; ``.cubin``/``.ptx``, ``.hsaco``/``.s`` for GPUs).
    * ``signature``: the parsed ``<name>.json``; ``header``: ``<name>.h``;
      ``target``, ``name``.
    * ``save(directory)`` writes the artifacts; :func:`einfuse.load` reads
      them back without the compiler.

    The kernels are linked into a shared library (cached on disk) the first
    time one is called, or by ``load_library()``.
    """

    def __init__(self, artifacts: Dict[str, bytes], signature: dict, header: str = "",
                 pipeline_options: str = ""):
        self.artifacts: Dict[str, bytes] = dict(artifacts)
        self.signature: dict = signature
        self._signature = Signature(signature)
        self.name: str = self._signature.name
        self.target: str = self._signature.target
        self.runtime: str = self._signature.runtime
        self.header: str = header or self.artifacts.get(f"{self.name}.h", b"").decode()
        self.pipeline_options = pipeline_options
        self.kernels: Dict[str, Kernel] = {
            name: Kernel(self, spec) for name, spec in self._signature.kernels.items()}
        self._library = None
        self._library_path: Optional[Path] = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Kernel:
        kernels = self.__dict__.get("kernels", {})
        if name in kernels:
            return kernels[name]
        raise AttributeError(f"module {self.__dict__.get('name', '?')!r} has no kernel {name!r} "
                             f"(kernels: {', '.join(kernels) or 'none'})")

    def __getitem__(self, name: str) -> Kernel:
        try:
            return self.kernels[name]
        except KeyError:
            raise KeyError(f"module {self.name!r} has no kernel {name!r} "
                           f"(kernels: {', '.join(self.kernels) or 'none'})") from None

    def __iter__(self):
        return iter(self.kernels.values())

    def __len__(self) -> int:
        return len(self.kernels)

    def __dir__(self):
        return list(super().__dir__()) + list(self.kernels)

    def __repr__(self) -> str:
        return (f"<einfuse.Module {self.name!r} target {self.target!r}: "
                f"{', '.join(self.kernels) or 'no kernels'}>")

    def save(self, directory: Union[str, os.PathLike]) -> Path:
        """Writes every artifact into `directory` (created if needed)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for file_name, data in self.artifacts.items():
            (path / file_name).write_bytes(data)
        return path

    @property
    def library_path(self) -> Optional[Path]:
        """The linked shared library, once linked."""
        return self._library_path

    def load_library(self) -> ctypes.CDLL:
        """Links the artifacts (or finds them in the cache) and loads them."""
        return self._load_library()

    def _load_library(self) -> ctypes.CDLL:
        if self._library is None:
            with self._lock:
                if self._library is None:
                    path = _build.build_library(self.name, self.runtime, self.artifacts,
                                                self.pipeline_options)
                    self._library = ctypes.CDLL(str(path))
                    self._library_path = path
        return self._library


def _source_text(source):
    """(text, source name, default base name) of what compile() was given."""
    from .ops import KernelSource
    if isinstance(source, KernelSource):
        return source.text, f"<einfuse.ops:{source.name}>", source.name
    if hasattr(source, "to_mlir") and callable(source.to_mlir):
        name = getattr(source, "name", None)
        return source.to_mlir(), f"<{name or 'builder'}>", name
    if isinstance(source, os.PathLike) or (
            isinstance(source, str) and source.endswith(".mlir") and "\n" not in source):
        path = Path(source)
        try:
            text = path.read_text()
        except OSError as e:
            raise FileNotFoundError(f"cannot read MLIR source {path}: {e}") from None
        return text, str(path), _c_identifier(path.stem)
    if isinstance(source, bytes):
        return source.decode(), "<string>", None
    if isinstance(source, str):
        return source, "<string>", None
    raise TypeError(f"compile() takes MLIR text, a path to a .mlir file or an einfuse.ops "
                    f"builder, got {type(source).__name__}")


def _c_identifier(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", text) or "kernels"
    return "_" + name if name[0].isdigit() else name


def compile(source, target: str = "cpu", options: str = "", name: Optional[str] = None,
            emit: str = "all") -> Module:
    """Compiles MLIR in process and returns a :class:`Module`.

    * ``source``: MLIR text (``str``/``bytes``), a path (an ``os.PathLike``,
      or a ``str`` ending in ``.mlir`` that names a file), or a builder from
      :mod:`einfuse.ops`.
    * ``target``: ``"cpu"``, ``"cpu:x86-64-v3"``, ``"cpu:native"``,
      ``"nvidia:sm_90a"``, ``"nvidia:sm_80,sm_90a"``, ``"amd:gfx942"``, ...
    * ``options``: pipeline options, e.g. ``"threads=true tile-size=32"``.
    * ``name``: base name of the artifacts (default: the builder's name, the
      file's stem, or ``"kernels"``).
    * ``emit``: ``"all"``, or ``"assembly"`` to stop at PTX / AMDGCN
      assembly for GPU targets (nothing to call then).

    Raises :class:`einfuse.CompileError` with the compiler's diagnostics.
    """
    text, source_name, default_name = _source_text(source)
    if emit not in _EMIT:
        raise ValueError(f"emit must be 'all' or 'assembly', got {emit!r}")
    if not isinstance(target, str) or not target:
        raise ValueError(f"target must be a non-empty string such as 'cpu', got {target!r}")
    if not isinstance(options, str):
        raise ValueError(f"options must be a string such as 'threads=true', got {options!r}")
    if name is None:
        name = default_name
    elif not isinstance(name, str) or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", name):
        raise ValueError(f"name must be a C identifier, got {name!r}")
    files, header, signature = _capi.compile_source(
        text.encode(), source_name, target, name, options, _EMIT[emit])
    artifacts = dict(files)
    if not signature:
        signature = next((data for fname, data in files if fname.endswith(".json")), b"")
    if not signature:
        raise RuntimeError(f"the compiler returned no signature (files: {', '.join(artifacts)})")
    return Module(artifacts, json.loads(signature), header.decode(), options)


def load(directory: Union[str, os.PathLike], name: Optional[str] = None,
         options: str = "") -> Module:
    """Reads artifacts written by :meth:`Module.save` (or ``einfuse-compile``
    with a signature) back into a Module. Needs no compiler library, only a C
    compiler to link them. ``name``: the base name if the directory holds
    several signatures; ``options``: the pipeline options they were compiled
    with (``threads=true`` links OpenMP)."""
    path = Path(directory)
    candidates = []
    for json_path in sorted(path.glob("*.json")):
        try:
            raw = json.loads(json_path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(raw, dict) and raw.get("format") == "einfuse-signature":
            if name is None or raw.get("name") == name:
                candidates.append(raw)
    if not candidates:
        raise FileNotFoundError(f"{path}: no Einfuse signature (<name>.json)"
                                + (f" named {name!r}" if name else ""))
    if len(candidates) > 1:
        raise ValueError(f"{path} holds several modules "
                         f"({', '.join(c.get('name', '?') for c in candidates)}): pass name=")
    raw = candidates[0]
    base = raw.get("name", "kernels")
    artifacts = {}
    for f in sorted(path.iterdir()):
        if f.is_file() and (f.name.startswith(base + ".") and f.name[len(base) + 1:]):
            artifacts[f.name] = f.read_bytes()
    return Module(artifacts, raw, "", options)
