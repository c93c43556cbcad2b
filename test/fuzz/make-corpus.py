#!/usr/bin/env python3
"""Seeds for einfuse-fuzz: every .mlir case of the test suite and the
examples (split at `// -----`), each prefixed with an action byte and an
option byte (tools/einfuse-fuzz/einfuse-fuzz.cpp): once to be printed and
parsed again, and once with one of the other actions, in turn.

    make-corpus.py <repository root> <output directory>
"""
import hashlib
import pathlib
import sys

# One action byte per action of einfuse-fuzz: print, analysis, rewrites,
# linalg, CPU pipeline, then compile for cpu, sm_80, sm_90a, gfx942, gfx90a.
ACTION_BYTES = [0, 64, 96, 144, 184, 224, 232, 238, 244, 250]
NUM_ACTIONS = len(ACTION_BYTES)
NUM_OPTIONS = 23


def main():
    root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(root.glob("test/**/*.mlir")) + sorted(root.glob("examples/*.mlir"))
    count = 0
    for path in files:
        if "/gpu/" in str(path):
            continue
        text = path.read_text(errors="replace")
        for i, case in enumerate(text.split("// -----")):
            if "func.func" not in case and "ein." not in case:
                continue
            data = case.encode()
            other = 1 + count % (NUM_ACTIONS - 1)
            for action in (0, other):
                byte = ACTION_BYTES[action]
                option = (count + action) % NUM_OPTIONS
                seed = bytes([byte, option]) + data
                name = hashlib.sha1(seed).hexdigest()
                (out / name).write_bytes(seed)
            count += 1
    print(f"{count} cases, {2 * count} seeds in {out}")


if __name__ == "__main__":
    main()
