"""Layer rules import-linter cannot express: which PySide6 submodules each layer may import.

import-linter sees ``PySide6`` as one external node, so "services use QtCore only" is checked here
by reading the import statements of every module in the layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "monitor"

ALLOWED_QT = {
    "core": set(),
    "client": set(),
    "server": set(),
    "services": {"PySide6.QtCore"},
}


def _qt_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] if node.module != "PySide6" else [f"PySide6.{a.name}" for a in node.names]
        else:
            continue
        found.update(n for n in names if n == "PySide6" or n.startswith("PySide6."))
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED_QT))
def test_layer_imports_only_allowed_qt_modules(layer: str) -> None:
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no modules found in monitor/{layer}"
    bad = {
        str(f.relative_to(ROOT)): sorted(extra)
        for f in files
        if (extra := _qt_imports(f) - ALLOWED_QT[layer])
    }
    assert not bad, f"monitor/{layer} may import only {sorted(ALLOWED_QT[layer]) or 'no Qt'}: {bad}"


def test_checker_sees_qt_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text(
        "from PySide6 import QtGui\nimport PySide6.QtWidgets\nfrom PySide6.QtCore import QObject\n"
    )
    assert _qt_imports(sample) == {"PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtCore"}
