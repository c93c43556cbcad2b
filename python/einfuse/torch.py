"""Einfuse kernels as PyTorch custom operators.

    import einfuse.torch
    op = einfuse.torch.register(mod.attention)        # torch.ops.einfuse.attention
    out = torch.compile(lambda q, k, v: op(q, k, v), fullgraph=True)(q, k, v)

``register`` wraps a kernel in ``torch.library.custom_op`` (no arguments
mutated) with a fake implementation that allocates the outputs from the
shapes the signature derives, so ``torch.compile`` traces through it
without running it. GPU kernels take CUDA/HIP tensors; CPU kernels take CPU
tensors (they go through NumPy, bf16 as bits). torch is imported when
``register`` is first called.
"""

from __future__ import annotations

import keyword
import re
import threading
from typing import Dict, Optional, Tuple

import numpy as np

from . import _dtypes
from ._kernel import Kernel

__all__ = ["register"]

_registered: Dict[str, Tuple[Kernel, object]] = {}
_lock = threading.Lock()


def _import_torch():
    try:
        import torch
    except ImportError:
        raise ImportError("einfuse.torch needs PyTorch: pip install 'einfuse[torch]' "
                          "(or install torch)") from None
    if not hasattr(torch, "library") or not hasattr(torch.library, "custom_op"):
        raise ImportError(f"einfuse.torch needs torch.library.custom_op (PyTorch >= 2.4); "
                          f"this is PyTorch {torch.__version__}")
    return torch


def _schema_names(kernel: Kernel):
    names, used = [], set()
    for i, a in enumerate(kernel.spec.inputs):
        name = re.sub(r"[^A-Za-z0-9_]", "_", a.name)
        if not name or name[0].isdigit() or keyword.iskeyword(name) or name in used \
                or name in ("self", "out"):
            name = f"arg{i}"
        used.add(name)
        names.append(name)
    return names


def _host_to_numpy(torch, tensor, dtype: str):
    t = tensor.detach().contiguous()
    if t.device.type != "cpu":
        raise ValueError(f"this CPU kernel needs CPU tensors, got one on {t.device}")
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().view(np.uint16)
    if t.dtype == getattr(torch, "float8_e4m3fn", None):
        return t.view(torch.uint8).numpy()
    return t.numpy()


def _host_from_numpy(torch, array: np.ndarray, dtype: str):
    if dtype == "bf16":
        return torch.from_numpy(array.view(np.int16)).view(torch.bfloat16)
    if dtype == "f8E4M3FN":
        return torch.from_numpy(array.view(np.uint8)).view(torch.float8_e4m3fn)
    if dtype == "f16":
        return torch.from_numpy(array.view(np.float16))
    return torch.from_numpy(array)


def register(kernel: Kernel, name: Optional[str] = None):
    """Registers `kernel` as the custom operator `name` (default
    ``einfuse::<kernel name>``) and returns it (callable; also reachable as
    ``torch.ops.<namespace>.<name>``). Registering the same kernel under the
    same name again returns the existing operator."""
    torch = _import_torch()
    if not isinstance(kernel, Kernel):
        raise TypeError(f"register() takes an einfuse Kernel (module.<name>), got "
                        f"{type(kernel).__name__}")
    name = name or f"einfuse::{kernel.name}"
    if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*::[A-Za-z_][A-Za-z0-9_]*$", name):
        raise ValueError(f"name must be 'namespace::op' (identifiers), got {name!r}")
    spec = kernel.spec
    missing = spec.underivable()
    if missing:
        raise ValueError(f"{kernel.name}: output size(s) {', '.join(missing)} do not follow from "
                         f"the inputs, so a custom op (which allocates its outputs) cannot wrap it")

    with _lock:
        if name in _registered:
            known, op = _registered[name]
            if known is kernel:
                return op
            raise ValueError(f"{name} is already registered for another kernel; pass name=")

        params = ", ".join(f"Tensor {n}" for n in _schema_names(kernel))
        n_out = len(spec.outputs)
        returns = "Tensor" if n_out == 1 else "(" + ", ".join(["Tensor"] * n_out) + ")"
        schema = f"({params}) -> {returns}"
        host = kernel.runtime == "host"

        def implementation(*tensors):
            if host:
                arrays = [_host_to_numpy(torch, t, a.dtype) for t, a in zip(tensors, spec.inputs)]
                result = kernel(*arrays)
                result = result if isinstance(result, tuple) else (result,)
                result = tuple(_host_from_numpy(torch, r, a.dtype)
                               for r, a in zip(result, spec.outputs))
            else:
                result = kernel(*tensors)
                result = result if isinstance(result, tuple) else (result,)
            return result[0] if n_out == 1 else result

        op = torch.library.custom_op(name, implementation, mutates_args=(), schema=schema)

        def fake(*tensors):
            shapes = {a.index: tuple(t.shape) for a, t in zip(spec.inputs, tensors)}
            device = tensors[0].device if tensors else None
            outs = tuple(torch.empty(shape, dtype=_dtypes.torch_dtype(torch, a.dtype), device=device)
                         for a, shape in zip(spec.outputs, spec.output_shapes(shapes)))
            return outs[0] if n_out == 1 else outs

        op.register_fake(fake)
        _registered[name] = (kernel, op)
        return op
