"""ctypes bindings of the self-contained part of the Einfuse C API
(include/einfuse-c/Einfuse.h): compile MLIR text in process and read the
artifacts back.

The library is looked for at ``$EINFUSE_LIBRARY``, then as ``libEinfuse.so``
next to this file (an installed package), then at
``<repo>/build/lib/libEinfuse.so`` (a development checkout).
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import List, Optional, Tuple

from ._errors import CompileError

API_VERSION = 1  # EINFUSE_CAPI_VERSION this package is written against

# einfuseArtifactsGet kinds.
KIND_BINARY, KIND_ASSEMBLY, KIND_HEADER, KIND_LAUNCHER, KIND_SIGNATURE = range(5)


class MlirStringRef(ctypes.Structure):
    _fields_ = [("data", ctypes.POINTER(ctypes.c_char)), ("length", ctypes.c_size_t)]


class EinfuseCompileOptions(ctypes.Structure):
    _fields_ = [("target", ctypes.c_char_p), ("name", ctypes.c_char_p),
                ("pipelineOptions", ctypes.c_char_p), ("emit", ctypes.c_int)]


MlirStringCallback = ctypes.CFUNCTYPE(None, MlirStringRef, ctypes.c_void_p)


def _ref(data: bytes) -> Tuple[MlirStringRef, object]:
    """A string ref to `data` and the buffer that must outlive it."""
    buf = ctypes.create_string_buffer(data, len(data) + 1)
    return MlirStringRef(ctypes.cast(buf, ctypes.POINTER(ctypes.c_char)), len(data)), buf


def _bytes(ref: MlirStringRef) -> bytes:
    if not ref.length:
        return b""
    return ctypes.string_at(ref.data, ref.length)


def candidate_paths() -> List[Path]:
    env = os.environ.get("EINFUSE_LIBRARY")
    if env:
        return [Path(env)]
    here = Path(__file__).resolve().parent
    paths = [here / "libEinfuse.so"]
    repo = here.parent.parent
    if (repo / "python" / "einfuse").resolve() == here:
        paths.append(repo / "build" / "lib" / "libEinfuse.so")
    return paths


class _Library:
    def __init__(self, path: Path):
        self.path = path
        lib = ctypes.CDLL(str(path))
        self.lib = lib
        lib.einfuseGetAPIVersion.restype = ctypes.c_int
        lib.einfuseGetAPIVersion.argtypes = []
        version = lib.einfuseGetAPIVersion()
        if version != API_VERSION:
            raise ImportError(
                f"{path}: Einfuse C API version {version}, but this Python package needs "
                f"version {API_VERSION}; install the package and the library from the same "
                f"checkout (pip install .)")
        self.api_version = version
        lib.einfuseGetVersion.restype = ctypes.c_char_p
        lib.einfuseGetVersion.argtypes = []
        self.version = lib.einfuseGetVersion().decode()
        lib.einfuseCompileOptionsInit.restype = None
        lib.einfuseCompileOptionsInit.argtypes = [ctypes.POINTER(EinfuseCompileOptions)]
        lib.einfuseCompileSource.restype = ctypes.c_void_p
        lib.einfuseCompileSource.argtypes = [
            MlirStringRef, MlirStringRef, ctypes.POINTER(EinfuseCompileOptions),
            MlirStringCallback, ctypes.c_void_p]
        lib.einfuseArtifactsGetNumFiles.restype = ctypes.c_ssize_t
        lib.einfuseArtifactsGetNumFiles.argtypes = [ctypes.c_void_p]
        lib.einfuseArtifactsGetFileName.restype = MlirStringRef
        lib.einfuseArtifactsGetFileName.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t]
        lib.einfuseArtifactsGetFileContents.restype = MlirStringRef
        lib.einfuseArtifactsGetFileContents.argtypes = [ctypes.c_void_p, ctypes.c_ssize_t]
        lib.einfuseArtifactsGet.restype = MlirStringRef
        lib.einfuseArtifactsGet.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.einfuseArtifactsDestroy.restype = None
        lib.einfuseArtifactsDestroy.argtypes = [ctypes.c_void_p]


_library: Optional[_Library] = None
_load_error: Optional[str] = None


def load() -> None:
    """Loads the library if it can be found. A version mismatch raises
    ImportError; a library that is not there (or cannot be loaded) is
    remembered and reported by `library()`, so that `einfuse.load` of saved
    artifacts works without the compiler."""
    global _library, _load_error
    problems = []
    for path in candidate_paths():
        if not path.is_file():
            problems.append(f"{path}: no such file")
            continue
        try:
            _library = _Library(path)
            _load_error = None
            return
        except OSError as e:
            problems.append(f"{path}: {e}")
    _load_error = "; ".join(problems)


def library() -> _Library:
    if _library is None:
        raise ImportError(
            "the Einfuse compiler library (libEinfuse.so) is not available ("
            + (_load_error or "not looked for") + "). Install the package with "
            "`pip install .` from the repository root, or set EINFUSE_LIBRARY to "
            "build/lib/libEinfuse.so (cmake -DEINFUSE_BUILD_SHARED=ON, target EinfuseShared).")
    return _library


def compile_source(text: bytes, source_name: str, target: str, name: Optional[str],
                   pipeline_options: str, emit: int) -> Tuple[List[Tuple[str, bytes]], bytes, bytes]:
    """Compiles MLIR text. Returns ([(file name, contents)], header, signature);
    raises CompileError with the diagnostics."""
    lib = library()
    diagnostics: List[str] = []

    def on_diagnostic(ref, _user):
        diagnostics.append(_bytes(ref).decode("utf-8", errors="replace"))

    callback = MlirStringCallback(on_diagnostic)
    options = EinfuseCompileOptions()
    lib.lib.einfuseCompileOptionsInit(ctypes.byref(options))
    keep = [target.encode(), pipeline_options.encode()]
    options.target = keep[0]
    options.pipelineOptions = keep[1]
    if name is not None:
        keep.append(name.encode())
        options.name = keep[-1]
    options.emit = emit
    source_ref, source_buf = _ref(text)
    name_ref, name_buf = _ref(source_name.encode())
    # Thread-safe on the C side (a context per call); ctypes lets go of the GIL.
    handle = lib.lib.einfuseCompileSource(source_ref, name_ref, ctypes.byref(options),
                                          callback, None)
    if not handle:
        raise CompileError(f"{source_name}: compilation for {target} failed", diagnostics)
    try:
        files = []
        for i in range(lib.lib.einfuseArtifactsGetNumFiles(handle)):
            file_name = _bytes(lib.lib.einfuseArtifactsGetFileName(handle, i)).decode()
            files.append((file_name, _bytes(lib.lib.einfuseArtifactsGetFileContents(handle, i))))
        header = _bytes(lib.lib.einfuseArtifactsGet(handle, KIND_HEADER))
        signature = _bytes(lib.lib.einfuseArtifactsGet(handle, KIND_SIGNATURE))
    finally:
        lib.lib.einfuseArtifactsDestroy(handle)
    del source_buf, name_buf, keep
    return files, header, signature
