"""The desktop application: placeholder until the services layer lands (issue 4)."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str]) -> int:
    """Explain that the GUI is not built yet."""
    del argv
    print("monitor: the desktop app is not built yet; try `monitor serve --demo` or `monitor watch URL`.")
    return 2
