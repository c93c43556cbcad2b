"""Compiles the kernels of kernels.py and saves each under DIR/<key>:

    python python/tests/prebuild.py DIR

(for running test_gpu.py / test_torch.py on a machine without the
compiler, with EINFUSE_TEST_PREBUILT=DIR)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import einfuse  # noqa: E402
from kernels import KERNELS  # noqa: E402


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for key, (source, kw) in KERNELS.items():
        module = einfuse.compile(source, **kw)
        path = module.save(os.path.join(sys.argv[1], key))
        print(f"{key}: {', '.join(sorted(module.artifacts))} -> {path}")


if __name__ == "__main__":
    main()
