"""Einfuse from Python: compile fused ML kernels in process and call them.

    import numpy as np, einfuse
    from einfuse import ops

    mod = einfuse.compile(ops.attention(heads=8, kv_heads=2, head_dim=64, causal=True))
    out = mod.attention(q, k, v)          # NumPy in, NumPy out (CPU)

The compiler (``libEinfuse.so``, the C API) runs inside this process; the
artifacts it returns are linked once into a shared library by the system C
compiler and cached (see ``docs/python.md``).
"""

from __future__ import annotations

__version__ = "0.1.0"

from . import _capi, ops
from ._dtypes import from_bf16_bits, to_bf16_bits
from ._errors import CompileError, DTypeError, KernelError, LinkError, ShapeError
from ._kernel import Kernel
from ._module import Module, compile, load

__all__ = [
    "__version__", "api_version", "compiler_version", "compile", "load", "Module", "Kernel",
    "CompileError", "LinkError", "ShapeError", "DTypeError", "KernelError", "ops",
    "to_bf16_bits", "from_bf16_bits",
]

# Loads libEinfuse.so if it is there; an API version other than the one this
# package is written for raises ImportError here. A missing library is
# reported by compile() (einfuse.load of saved artifacts still works).
_capi.load()


def api_version() -> int:
    """The C API version of the loaded libEinfuse.so (EINFUSE_CAPI_VERSION)."""
    return _capi.library().api_version


def compiler_version() -> str:
    """The version string of the loaded libEinfuse.so."""
    return _capi.library().version


def __getattr__(name):
    # `einfuse.torch` without importing it first (torch itself is imported
    # only when a kernel is registered).
    if name == "torch":
        import importlib
        return importlib.import_module(".torch", __name__)
    raise AttributeError(f"module 'einfuse' has no attribute {name!r}")
