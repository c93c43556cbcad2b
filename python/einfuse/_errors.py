"""The exceptions Einfuse raises."""

from __future__ import annotations

from typing import List, Sequence


class CompileError(Exception):
    """The compiler rejected the source: ``.diagnostics`` holds each message
    as ``"source:line:col: error: ..."`` (notes included), in order."""

    def __init__(self, message: str, diagnostics: Sequence[str] = ()):
        self.diagnostics: List[str] = list(diagnostics)
        text = message
        if self.diagnostics:
            text += ":\n" + "\n".join(self.diagnostics)
        super().__init__(text)


class LinkError(RuntimeError):
    """The system C compiler could not link the artifacts into a loadable
    library (``.command`` is what ran, ``.output`` what it printed)."""

    def __init__(self, message: str, command: Sequence[str] = (), output: str = ""):
        self.command = list(command)
        self.output = output
        super().__init__(message)


class ShapeError(ValueError):
    """An argument's rank or sizes do not fit the kernel's signature (checked
    before the kernel runs: nothing was written)."""


class DTypeError(TypeError):
    """An argument's element type does not fit the kernel's signature
    (checked before the kernel runs: nothing was written)."""


class KernelError(RuntimeError):
    """A kernel returned a non-zero status. ``.code`` is the status (negative),
    ``.kernel`` the kernel's name."""

    def __init__(self, kernel: str, code: int, message: str):
        self.kernel = kernel
        self.code = code
        super().__init__(f"{kernel}: status {code}: {message}")
