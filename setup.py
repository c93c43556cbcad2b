"""Builds the `einfuse` Python package (python/einfuse) with the compiler's
shared library, libEinfuse.so, inside it.

    pip install .

builds the library with the system cmake and ninja (the Debian packages
that scripts/bootstrap.sh installs) in build/ (or $EINFUSE_BUILD_DIR):
configured if it has no build.ninja, then `cmake --build <dir> --target
EinfuseShared`. With $EINFUSE_LIBRARY set, that file is copied instead and
nothing is built.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

ROOT = Path(__file__).resolve().parent
LLVM = Path("/usr/lib/llvm-22")
HINT = "run scripts/bootstrap.sh (it installs the Debian packages Einfuse needs) and retry"


def fail(message: str):
    sys.exit(f"einfuse: {message}")


def tool(name: str) -> str:
    for candidate in (Path("/usr/bin") / name, shutil.which(name)):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    fail(f"`{name}` was not found; {HINT}")


def run(cmd):
    print("einfuse:", " ".join(cmd), flush=True)
    try:
        subprocess.run(cmd, cwd=ROOT, check=True)
    except subprocess.CalledProcessError as e:
        fail(f"`{' '.join(cmd)}` failed (exit {e.returncode}); see the output above. "
             f"If a package is missing, {HINT}")


def shared_library() -> Path:
    env = os.environ.get("EINFUSE_LIBRARY")
    if env:
        path = Path(env)
        if not path.is_file():
            fail(f"EINFUSE_LIBRARY={env} is not a file")
        return path
    build = Path(os.environ.get("EINFUSE_BUILD_DIR") or "build")
    if not build.is_absolute():
        build = ROOT / build
    cmake, ninja = tool("cmake"), tool("ninja")
    cache = build / "CMakeCache.txt"
    if not (build / "build.ninja").is_file():
        for needed in (LLVM / "lib/cmake/mlir", Path("/usr/bin/clang-22")):
            if not needed.exists():
                fail(f"{needed} is missing; {HINT}")
        run([cmake, "-G", "Ninja", "-S", str(ROOT), "-B", str(build),
             f"-DCMAKE_MAKE_PROGRAM={ninja}",
             "-DCMAKE_BUILD_TYPE=Release",
             "-DCMAKE_C_COMPILER=clang-22", "-DCMAKE_CXX_COMPILER=clang++-22",
             f"-DMLIR_DIR={LLVM}/lib/cmake/mlir",
             f"-DLLVM_EXTERNAL_LIT={LLVM}/bin/lit",
             "-DEINFUSE_BUILD_SHARED=ON"])
    elif "EINFUSE_BUILD_SHARED:BOOL=ON" not in cache.read_text(errors="replace"):
        # An existing build without the shared library: switch it on.
        run([cmake, "-S", str(ROOT), "-B", str(build), "-DEINFUSE_BUILD_SHARED=ON"])
    run([cmake, "--build", str(build), "--target", "EinfuseShared"])
    path = build / "lib" / "libEinfuse.so"
    if not path.is_file():
        fail(f"the build finished but {path} is not there")
    return path


SCRATCH = Path("build-python")
(ROOT / SCRATCH).mkdir(exist_ok=True)


class BuildPyWithLibrary(build_py):
    """build_py, then libEinfuse.so into the package."""

    def run(self):
        super().run()
        library = shared_library()
        target = Path(self.build_lib) / "einfuse" / "libEinfuse.so"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(library, target)  # the file itself, not a symlink to it
        print(f"einfuse: packaged {library}", flush=True)


class BinaryDistribution(Distribution):
    """The wheel holds a native library: tag it for this platform."""

    def has_ext_modules(self):
        return True


setup(
    cmdclass={"build_py": BuildPyWithLibrary},
    distclass=BinaryDistribution,
    # setuptools' own scratch space, away from CMake's build/lib.
    options={"build": {"build_base": str(SCRATCH)}, "egg_info": {"egg_base": str(SCRATCH)}},
)
