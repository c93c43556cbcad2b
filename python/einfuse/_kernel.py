"""A compiled kernel as a Python callable."""

from __future__ import annotations

import ctypes
import threading
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import _dtypes
from ._errors import DTypeError, KernelError, ShapeError
from ._signature import KernelSpec

_PARAM_TYPES = {"buffer": ctypes.c_void_p, "size": ctypes.c_int64, "stream": ctypes.c_void_p}


class Kernel:
    """One kernel function of a compiled :class:`einfuse.Module`.

    Call it with its inputs, positionally or by name, and optionally
    ``out=`` (an array, or a tuple with one per output). It returns the
    output, or a tuple of them. Shapes and dtypes are checked against the
    signature before the kernel runs (:class:`einfuse.ShapeError`,
    :class:`einfuse.DTypeError`); a non-zero status raises
    :class:`einfuse.KernelError`.

    * CPU kernels (``runtime == "host"``) take NumPy arrays (or anything
      ``np.asarray`` takes) and return NumPy arrays. f16 takes ``float16`` or
      its ``uint16`` bits; bf16 takes ``uint16`` bits (or an
      ``ml_dtypes.bfloat16`` array); non-contiguous inputs are copied.
    * GPU kernels (``"cuda"``, ``"hip"``) take torch tensors (or objects with
      ``__dlpack__``) on one GPU, and run on that device's current torch
      stream; outputs are allocated on the same device.
    """

    def __init__(self, module, spec: KernelSpec):
        self._module = module
        self.spec = spec
        self.name = spec.name
        self._function = None
        self._workspace = None
        self._lock = threading.Lock()

    # -- description --------------------------------------------------------
    @property
    def runtime(self) -> str:
        return self._module.signature["runtime"]

    @property
    def inputs(self) -> List[str]:
        return [a.name for a in self.spec.inputs]

    @property
    def outputs(self) -> List[str]:
        return [a.name for a in self.spec.outputs]

    def __repr__(self) -> str:
        return f"<einfuse.Kernel {self.spec.describe()}, target {self._module.target}>"

    def output_shapes(self, *shapes: Sequence[int]) -> List[Tuple[int, ...]]:
        """The output shapes the kernel derives from input shapes (checked)."""
        if len(shapes) != len(self.spec.inputs):
            raise TypeError(f"{self.name}: expected {len(self.spec.inputs)} input shapes, got {len(shapes)}")
        by_index = {a.index: tuple(int(s) for s in shape) for a, shape in zip(self.spec.inputs, shapes)}
        self.spec.check_shapes(by_index)
        return self.spec.output_shapes(by_index)

    # -- the C function -----------------------------------------------------
    def _c_function(self):
        if self._function is None:
            with self._lock:
                if self._function is None:
                    lib = self._module._load_library()
                    fn = lib[self.name]  # item lookup: always dlsym, never a CDLL attribute
                    fn.restype = ctypes.c_int
                    fn.argtypes = [_PARAM_TYPES[p["kind"]] for p in self.spec.params]
                    self._function = fn
        return self._function

    def _workspace_functions(self):
        """(<kernel>_workspace_size, <kernel>_with_workspace) of a GPU kernel
        whose signature says it needs scratch memory, else None."""
        if self._workspace is None:
            with self._lock:
                found = ()
                if self.spec.raw.get("workspace") and self.runtime != "host":
                    lib = self._module._load_library()
                    try:
                        size_fn = lib[self.name + "_workspace_size"]
                        run_fn = lib[self.name + "_with_workspace"]
                    except AttributeError:
                        size_fn = run_fn = None
                    if size_fn is not None:
                        public = [_PARAM_TYPES[p["kind"]] for p in self.spec.params
                                  if p["kind"] != "stream"]
                        size_fn.restype = ctypes.c_int
                        size_fn.argtypes = public + [ctypes.POINTER(ctypes.c_size_t)]
                        run_fn.restype = ctypes.c_int
                        run_fn.argtypes = public + [ctypes.c_void_p, ctypes.c_size_t,
                                                    ctypes.c_void_p]
                        found = (size_fn, run_fn)
                self._workspace = found
        return self._workspace or None

    def _values(self, buffers, shapes, stream, with_stream=True):
        values = []
        for p in self.spec.params:
            kind = p["kind"]
            if kind == "buffer":
                values.append(buffers[p["arg"]] or None)
            elif kind == "size":
                values.append(int(shapes[p["arg"]][p["dim"]]))
            elif with_stream:
                values.append(stream)
        return values

    def _check(self, code: int):
        if code != 0:
            raise KernelError(self.name, code, self._module._signature.status_message(code))

    def _run(self, buffers: Dict[int, int], shapes: Dict[int, Tuple[int, ...]], stream=None,
             allocate=None):
        """Calls the kernel. `allocate(nbytes)` -> (pointer, keep-alive) gives
        GPU kernels their scratch memory from the framework's allocator (the
        kernel then allocates nothing itself)."""
        workspace = self._workspace_functions() if allocate is not None else None
        if workspace:
            size_fn, run_fn = workspace
            nbytes = ctypes.c_size_t(0)
            self._check(size_fn(*self._values(buffers, shapes, stream, False), ctypes.byref(nbytes)))
            pointer, keep = allocate(nbytes.value) if nbytes.value else (None, None)
            self._check(run_fn(*self._values(buffers, shapes, stream, False),
                               pointer, nbytes.value, stream))
            del keep  # stream-ordered reuse: freed memory is reused after the kernel
            return
        self._check(self._c_function()(*self._values(buffers, shapes, stream)))

    # -- calling ------------------------------------------------------------
    def _bind(self, args, kwargs) -> list:
        specs = self.spec.inputs
        if len(args) > len(specs):
            raise TypeError(f"{self.name}() takes {len(specs)} inputs "
                            f"({', '.join(self.inputs)}), got {len(args)}")
        values = list(args) + [None] * (len(specs) - len(args))
        given = [True] * len(args) + [False] * (len(specs) - len(args))
        names = {a.name: i for i, a in enumerate(specs)}
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"{self.name}() got an unexpected argument {key!r} "
                                f"(inputs: {', '.join(self.inputs)})")
            i = names[key]
            if given[i]:
                raise TypeError(f"{self.name}() got input {key!r} twice")
            values[i], given[i] = value, True
        missing = [specs[i].name for i, g in enumerate(given) if not g]
        if missing:
            raise TypeError(f"{self.name}() is missing input(s) {', '.join(missing)}")
        return values

    def _outs(self, out) -> Optional[list]:
        if out is None:
            return None
        n = len(self.spec.outputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        if len(outs) != n:
            raise TypeError(f"{self.name}: out= needs {n} buffer(s) ({', '.join(self.outputs)}), "
                            f"got {len(outs)}")
        return outs

    def __call__(self, *args, out=None, **kwargs):
        values = self._bind(args, kwargs)
        outs = self._outs(out)
        if self.runtime == "host":
            results = self._call_host(values, outs)
        else:
            results = self._call_gpu(values, outs)
        return results[0] if len(results) == 1 else tuple(results)

    # -- NumPy (host) -------------------------------------------------------
    def _check_rank(self, arg, shape):
        if len(shape) != arg.rank:
            self.spec.check_shapes({arg.index: tuple(shape)})

    def _host_array(self, arg, value, role: str) -> np.ndarray:
        if isinstance(value, np.ndarray):
            array = value
        elif hasattr(value, "dtype") or hasattr(value, "__array__") or hasattr(value, "__array_interface__"):
            try:
                array = np.asarray(value)
            except (TypeError, ValueError, RuntimeError) as e:
                raise DTypeError(f"{self.name}: argument '{arg.name}' cannot be read as a NumPy "
                                 f"array ({type(value).__name__}): {e}") from None
        else:
            if arg.dtype not in _dtypes.NATIVE:
                raise DTypeError(
                    f"{self.name}: argument '{arg.name}' is {arg.dtype}, which NumPy lacks: pass a "
                    f"NumPy array of {_dtypes.numpy_expected(arg.dtype)}")
            try:
                array = np.asarray(value, dtype=_dtypes.NUMPY[arg.dtype][0])
            except (TypeError, ValueError) as e:
                raise DTypeError(f"{self.name}: argument '{arg.name}' cannot be converted to "
                                 f"{arg.dtype}: {e}") from None
        if not _dtypes.numpy_accepts(arg.dtype, array.dtype):
            raise DTypeError(
                f"{self.name}: {role} '{arg.name}' has dtype {array.dtype}, expected {arg.dtype} "
                f"(NumPy {_dtypes.numpy_expected(arg.dtype)})")
        if array.dtype.itemsize != (arg.element_bytes or array.dtype.itemsize):
            raise DTypeError(f"{self.name}: {role} '{arg.name}' has {array.dtype.itemsize}-byte "
                             f"elements, expected {arg.element_bytes}")
        self._check_rank(arg, array.shape)
        return array

    def _call_host(self, values, outs) -> list:
        spec = self.spec
        arrays = [self._host_array(a, v, "input") for a, v in zip(spec.inputs, values)]
        shapes = {a.index: tuple(x.shape) for a, x in zip(spec.inputs, arrays)}
        if outs is not None:
            out_arrays = []
            for a, o in zip(spec.outputs, outs):
                if not isinstance(o, np.ndarray):
                    raise TypeError(f"{self.name}: out '{a.name}' must be a NumPy array, "
                                    f"got {type(o).__name__}")
                self._host_array(a, o, "output")
                if not o.flags.c_contiguous or not o.flags.writeable:
                    raise ValueError(f"{self.name}: out '{a.name}' must be a writeable "
                                     f"C-contiguous array")
                out_arrays.append(o)
                shapes[a.index] = tuple(o.shape)
            spec.check_shapes(shapes)
        else:
            spec.check_shapes(shapes)
            out_arrays = []
            for a, shape in zip(spec.outputs, spec.output_shapes(shapes)):
                dtype = next((x.dtype for i, x in zip(spec.inputs, arrays) if i.dtype == a.dtype),
                             _dtypes.NUMPY[a.dtype][0])
                out_arrays.append(np.empty(shape, dtype=dtype))
                shapes[a.index] = tuple(shape)
        arrays = [np.ascontiguousarray(x) for x in arrays]
        buffers = {a.index: x.ctypes.data for a, x in zip(spec.inputs, arrays)}
        buffers.update({a.index: x.ctypes.data for a, x in zip(spec.outputs, out_arrays)})
        self._run(buffers, shapes)
        del arrays  # kept alive until the call returned
        return out_arrays

    # -- torch (GPU) --------------------------------------------------------
    def _call_gpu(self, values, outs) -> list:
        try:
            import torch
        except ImportError:
            raise ImportError(f"{self.name} is a {self.runtime} kernel: calling it needs PyTorch "
                              f"(pip install 'einfuse[torch]')") from None
        spec = self.spec
        tensors = [self._gpu_tensor(torch, a, v, "input") for a, v in zip(spec.inputs, values)]
        device = None
        for a, t in zip(spec.inputs, tensors):
            device = self._same_device(a, t, device, "input")
        shapes = {a.index: tuple(t.shape) for a, t in zip(spec.inputs, tensors)}
        if outs is not None:
            out_tensors = []
            for a, o in zip(spec.outputs, outs):
                if not isinstance(o, torch.Tensor):
                    raise TypeError(f"{self.name}: out '{a.name}' must be a torch.Tensor, "
                                    f"got {type(o).__name__}")
                self._gpu_tensor(torch, a, o, "output")
                device = self._same_device(a, o, device, "output")
                if not o.is_contiguous() or o.data_ptr() % 16:
                    raise ValueError(f"{self.name}: out '{a.name}' must be contiguous and "
                                     f"16-byte aligned")
                out_tensors.append(o)
                shapes[a.index] = tuple(o.shape)
            spec.check_shapes(shapes)
        else:
            spec.check_shapes(shapes)
            out_tensors = []
            for a, shape in zip(spec.outputs, spec.output_shapes(shapes)):
                out_tensors.append(torch.empty(shape, dtype=_dtypes.torch_dtype(torch, a.dtype),
                                               device=device))
                shapes[a.index] = tuple(shape)
        ready = []
        for t in tensors:
            if not t.is_contiguous():
                t = t.contiguous()
            if t.data_ptr() % 16:
                t = t.clone()
            ready.append(t)
        buffers = {a.index: t.data_ptr() for a, t in zip(spec.inputs, ready)}
        buffers.update({a.index: t.data_ptr() for a, t in zip(spec.outputs, out_tensors)})
        def allocate(nbytes):
            scratch = torch.empty(nbytes, dtype=torch.uint8, device=device)
            return scratch.data_ptr(), scratch

        with torch.cuda.device(device):
            stream = torch.cuda.current_stream(device).cuda_stream
            self._run(buffers, shapes, ctypes.c_void_p(stream), allocate)
        return out_tensors

    def _gpu_tensor(self, torch, arg, value, role: str):
        if not isinstance(value, torch.Tensor):
            if hasattr(value, "__dlpack__"):
                value = torch.from_dlpack(value)
            else:
                raise TypeError(f"{self.name}: {role} '{arg.name}' must be a torch.Tensor on the "
                                f"GPU (or support __dlpack__), got {type(value).__name__}")
        if value.device.type != "cuda":
            raise ValueError(f"{self.name}: {role} '{arg.name}' is on {value.device}, but this "
                             f"{self.runtime} kernel needs GPU tensors")
        want = _dtypes.torch_dtype(torch, arg.dtype)
        if value.dtype != want:
            raise DTypeError(f"{self.name}: {role} '{arg.name}' has dtype {value.dtype}, "
                             f"expected {arg.dtype} ({want})")
        self._check_rank(arg, tuple(value.shape))
        return value

    def _same_device(self, arg, tensor, device, role: str):
        if device is not None and tensor.device != device:
            raise ValueError(f"{self.name}: {role} '{arg.name}' is on {tensor.device}, the "
                             f"other arguments on {device}")
        return tensor.device
