"""Links a module's artifacts into a shared library with the system C
compiler, cached on disk by a hash of the artifacts and the link command.

This is the only subprocess the package runs (the compiler runs in process):
``$CC`` (else ``cc``, ``clang-22`` or ``gcc`` on the PATH) with
``-shared -fPIC -O2`` over the launcher ``<name>.c`` (and the object
``<name>.o`` for the CPU), into ``$EINFUSE_CACHE_DIR/<sha256>/`` or
``~/.cache/einfuse/<sha256>/``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Dict, List, Sequence

from ._errors import LinkError

LLVM_LIB = "/usr/lib/llvm-22/lib"

_lock = threading.Lock()


def cache_root() -> Path:
    env = os.environ.get("EINFUSE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "einfuse"


def c_compiler() -> List[str]:
    env = os.environ.get("CC")
    if env:
        return shlex.split(env)
    for name in ("cc", "clang-22", "gcc"):
        path = shutil.which(name)
        if path:
            return [path]
    raise LinkError("no C compiler to link the kernels: set CC, or install one "
                    "(apt-get install clang-22, or gcc)")


def _cuda_root() -> Path:
    return Path(os.environ.get("CUDA_PATH") or os.environ.get("CUDA_HOME") or "/usr/local/cuda")


def _uses_openmp(artifacts: Dict[str, bytes], pipeline_options: str) -> bool:
    if re.search(r"(^|\s)threads\s*=\s*(true|1)(\s|$)", pipeline_options):
        return True
    return any(name.endswith(".o") and b"__kmpc_" in data for name, data in artifacts.items())


def link_command(cc: Sequence[str], runtime: str, artifacts: Dict[str, bytes],
                 pipeline_options: str, output: str) -> List[str]:
    launchers = sorted(n for n in artifacts if n.endswith(".c"))
    if not launchers:
        raise LinkError("the artifacts hold no launcher (.c) to link: compile with emit='all' "
                        f"(files: {', '.join(sorted(artifacts))})")
    cmd = list(cc) + ["-shared", "-fPIC", "-O2", "-Wl,-Bsymbolic", "-I.", "-o", output]
    cmd += launchers
    if runtime == "host":
        cmd += sorted(n for n in artifacts if n.endswith(".o"))
        if _uses_openmp(artifacts, pipeline_options):
            cmd += [f"-L{LLVM_LIB}", f"-Wl,-rpath,{LLVM_LIB}", "-lomp"]
        cmd += ["-lm"]
    elif runtime == "cuda":
        cuda = _cuda_root()
        cmd += [f"-I{cuda / 'include'}", f"-L{cuda / 'lib64' / 'stubs'}", f"-L{cuda / 'lib64'}",
                "-lcuda", "-lpthread"]
    elif runtime == "hip":
        rocm = Path(os.environ.get("ROCM_PATH", "/opt/rocm"))
        if rocm.is_dir():
            cmd += [f"-I{rocm / 'include'}", f"-L{rocm / 'lib'}", f"-Wl,-rpath,{rocm / 'lib'}"]
        cmd += ["-lamdhip64", "-lpthread"]
    else:
        raise LinkError(f"unknown runtime {runtime!r}")
    return cmd


def _digest(command: Sequence[str], artifacts: Dict[str, bytes]) -> str:
    h = hashlib.sha256(b"einfuse-link 1\0")
    for part in command:
        h.update(part.encode() + b"\0")
    for name in sorted(artifacts):
        data = artifacts[name]
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0")
        h.update(data)
    return h.hexdigest()


def build_library(name: str, runtime: str, artifacts: Dict[str, bytes],
                  pipeline_options: str) -> Path:
    """Path of `lib<name>.so` linked from `artifacts`, built if not cached."""
    library = f"lib{name}.so"
    cmd = link_command(c_compiler(), runtime, artifacts, pipeline_options, library)
    root = cache_root()
    final = root / _digest(cmd, artifacts)
    if (final / library).is_file():
        return final / library
    with _lock:
        if (final / library).is_file():
            return final / library
        root.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
        try:
            for file_name, data in artifacts.items():
                (work / file_name).write_bytes(data)
            try:
                done = subprocess.run(cmd, cwd=work, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
            except OSError as e:
                raise LinkError(f"cannot run the C compiler {cmd[0]!r}: {e}", cmd) from None
            if done.returncode != 0:
                raise LinkError(
                    f"linking the {runtime} kernels of {name!r} failed (exit {done.returncode}):\n$ {shlex.join(cmd)}\n{done.stdout}", cmd, done.stdout)
            try:
                os.rename(work, final)
            except OSError:
                if not (final / library).is_file():  # not a concurrent winner: a real failure
                    raise
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    return final / library
