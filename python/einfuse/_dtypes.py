"""Element types: which NumPy and torch dtypes carry each MLIR element type,
and bit conversions for the types NumPy lacks (bf16, f8E4M3FN)."""

from __future__ import annotations

import numpy as np

# MLIR element type -> (NumPy dtypes accepted for an input, in order of
# preference; the first is what an output is allocated as). The kernels see
# bits: f16/bf16 as uint16, f8E4M3FN as uint8, i1 as one byte per element,
# i4 as one int8 per element (packed weights are declared i8). Integer types
# are signless in MLIR, so both signednesses of a width are accepted.
NUMPY = {
    "f16": (np.dtype(np.float16), np.dtype(np.uint16)),
    "bf16": (np.dtype(np.uint16),),
    "f32": (np.dtype(np.float32),),
    "f64": (np.dtype(np.float64),),
    "f8E4M3FN": (np.dtype(np.uint8),),
    "i1": (np.dtype(np.bool_), np.dtype(np.uint8), np.dtype(np.int8)),
    "i4": (np.dtype(np.int8), np.dtype(np.uint8)),
    "i8": (np.dtype(np.int8), np.dtype(np.uint8)),
    "i16": (np.dtype(np.int16), np.dtype(np.uint16)),
    "i32": (np.dtype(np.int32), np.dtype(np.uint32)),
    "i64": (np.dtype(np.int64), np.dtype(np.uint64)),
}

# Extension dtypes (ml_dtypes) recognised by name when an array has one.
NUMPY_BY_NAME = {"bf16": "bfloat16", "f8E4M3FN": "float8_e4m3fn"}

# Types NumPy has natively: plain Python data (lists, scalars) is converted
# to these; bf16 and f8E4M3FN need arrays of bits.
NATIVE = {"f16", "f32", "f64", "i1", "i8", "i16", "i32", "i64"}

TORCH_NAMES = {
    "f16": "float16", "bf16": "bfloat16", "f32": "float32", "f64": "float64",
    "f8E4M3FN": "float8_e4m3fn", "i1": "bool", "i4": "int8", "i8": "int8",
    "i16": "int16", "i32": "int32", "i64": "int64",
}


def numpy_accepts(dtype: str, array_dtype: np.dtype) -> bool:
    if array_dtype in NUMPY.get(dtype, ()):
        return True
    return NUMPY_BY_NAME.get(dtype) == array_dtype.name


def numpy_expected(dtype: str) -> str:
    names = [str(d) for d in NUMPY.get(dtype, ())]
    if dtype in NUMPY_BY_NAME:
        names.append(f"ml_dtypes.{NUMPY_BY_NAME[dtype]}")
    if dtype in ("bf16", "f8E4M3FN"):
        hint = " (bit patterns; see einfuse.to_bf16_bits)" if dtype == "bf16" else " (bit patterns)"
    else:
        hint = ""
    return " or ".join(names) + hint


def torch_dtype(torch, dtype: str):
    return getattr(torch, TORCH_NAMES[dtype])


def to_bf16_bits(x) -> np.ndarray:
    """float array -> uint16 bf16 bit patterns (round to nearest even)."""
    f = np.ascontiguousarray(x, dtype=np.float32)
    bits = f.view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    out = rounded.astype(np.uint16)
    nan = np.isnan(f)
    out[nan] = ((bits[nan] >> 16) | 0x40).astype(np.uint16)  # keep NaNs NaN (quiet)
    return out


def from_bf16_bits(bits) -> np.ndarray:
    """uint16 bf16 bit patterns -> float32 array."""
    b = np.ascontiguousarray(bits, dtype=np.uint16)
    return (b.astype(np.uint32) << 16).view(np.float32)
