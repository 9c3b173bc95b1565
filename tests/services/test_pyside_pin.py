"""Regression guard for the PySide6 pin in pyproject.toml.

PySide6 6.12.0 on Python 3.11 drops a reference to ``True`` on every ``Signal.emit()``; the
interpreter aborts after about 2,000 emits. The test runs in a subprocess so that an abort shows
up as a failed test with the exit status instead of killing the whole test session.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

_SCRIPT = textwrap.dedent(
    """
    import sys
    from PySide6.QtCore import QCoreApplication, QObject, Signal

    class Emitter(QObject):
        fired = Signal(bool)

    app = QCoreApplication([])
    seen = []
    e = Emitter()
    e.fired.connect(seen.append)
    before = sys.getrefcount(True)
    for _ in range(10_000):
        e.fired.emit(True)
    after = sys.getrefcount(True)
    assert len(seen) == 10_000, len(seen)
    print("ok", before, after)
    """
)


@pytest.mark.timeout(60)
def test_ten_thousand_signal_emits_do_not_abort_the_interpreter() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, f"interpreter died (rc={proc.returncode}): {proc.stderr[-2000:]}"
    assert proc.stdout.startswith("ok")


def test_installed_pyside_is_not_the_broken_combination() -> None:
    import PySide6

    broken = sys.version_info[:2] == (3, 11) and PySide6.__version__ == "6.12.0"
    assert not broken, "PySide6 6.12.0 on Python 3.11 must be excluded by the pin in pyproject.toml"
