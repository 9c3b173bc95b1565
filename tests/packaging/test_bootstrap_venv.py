"""``packaging/bootstrap.sh``'s virtualenv stamp: when the venv is reused and when it is rebuilt.

Issue 12: ``bootstrap.sh run`` after ``bootstrap.sh test`` rebuilt the virtualenv because the stamp
included the extras, though the README says only a ``pyproject.toml`` change does. This runs the
script's own ``setup_venv`` function in bash (cut out of the script as written) with a stand-in
Python that records ``-m venv`` / ``-m pip`` calls instead of building anything, so it is fast.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or shutil.which("sha256sum") is None,
    reason="needs bash and sha256sum, as bootstrap.sh does",
)

_STUB = """#!/bin/sh
case "$1" in
  -c) exec "$REAL_PYTHON" "$@" ;;
  -m) echo "$*" >> "$CALLS"
      if [ "$2" = venv ]; then mkdir -p "$3/bin"; cp "$STUB" "$3/bin/python"; fi ;;
esac
"""


def _setup_venv_source() -> str:
    text = (ROOT / "packaging" / "bootstrap.sh").read_text()
    match = re.search(r"^setup_venv\(\) \{\n.*?^\}\n", text, re.MULTILINE | re.DOTALL)
    assert match, "setup_venv() not found in bootstrap.sh"
    return match.group(0)


class Bootstrap:
    """A scratch checkout (its own pyproject.toml) and ``setup_venv EXTRAS`` run against it."""

    def __init__(self, tmp: Path) -> None:
        self.repo = tmp / "repo"
        self.repo.mkdir()
        shutil.copy(ROOT / "pyproject.toml", self.repo / "pyproject.toml")
        self.calls = tmp / "calls.log"
        self.stub = tmp / "python-stub"
        self.stub.write_text(_STUB)
        self.stub.chmod(0o755)
        self.venv = self.repo / ".venv"

    def setup_venv(self, extras: str) -> list[str]:
        """Run it; the ``-m`` calls it made (empty: the venv was reused)."""
        self.calls.write_text("")
        script = "\n".join(
            [
                "set -euo pipefail",
                f'VENV="{self.venv}"',
                "log() { printf '%s\\n' \"$*\" >&2; }",
                f'pick_python() {{ echo "{self.stub}"; }}',
                _setup_venv_source(),
                'setup_venv "$1"',
            ]
        )
        env = os.environ | {"CALLS": str(self.calls), "STUB": str(self.stub), "REAL_PYTHON": sys.executable}
        subprocess.run(
            ["bash", "-c", script, "bootstrap", extras], cwd=self.repo, env=env, check=True, timeout=30
        )
        return self.calls.read_text().splitlines()


def test_run_after_test_reuses_the_venv_and_only_pyproject_or_missing_extras_rebuild(tmp_path: Path) -> None:
    b = Bootstrap(tmp_path)
    built = b.setup_venv("[dev,celery]")  # bootstrap.sh test
    assert built[0].startswith("-m venv"), built
    assert any(call.endswith("-e .[dev,celery]") for call in built), built
    assert b.setup_venv("") == []  # bootstrap.sh run after test: reused (the point)
    assert b.setup_venv("[dev,celery]") == []  # test again: reused
    with (b.repo / "pyproject.toml").open("a") as f:
        f.write("\n# changed\n")
    assert b.setup_venv("")[0].startswith("-m venv")  # a pyproject.toml change rebuilds
    assert b.setup_venv("") == []
    assert b.setup_venv("[dev,celery]")[0].startswith("-m venv")  # a run-only venv lacks the test extras
