"""The real frozen program: PyInstaller bundle, its --self-test, and the .deb round trip.

These build the bundle from the working tree (about a minute), so they are marked ``slow`` and
``packaging``; ``.ci/run`` runs them. The .deb steps need root (dpkg -i / -r) and skip otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.packaging,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the bundle is built for Linux here"),
]

# stderr lines that are known, harmless noise from Qt's offscreen plugin (see desktop-testing notes)
_ALLOWED_STDERR = (
    "This plugin does not support propagateSizeHints()",
    "No such signal QPlatformNativeInterface::systemTrayWindowChanged",
)


def _unexpected_stderr(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip() and not any(a in ln for a in _ALLOWED_STDERR)]


def _self_test_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("DISPLAY", None)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return env


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        ["bash", str(ROOT / "packaging" / "build.sh"), str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PY": sys.executable},
    )
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return out


def _run_self_test(exe: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=_self_test_env(),
    )


def test_frozen_bundle_passes_its_self_test(dist: Path) -> None:
    exe = dist / "monitor" / "monitor"
    assert exe.is_file()
    proc = _run_self_test(exe)
    assert proc.returncode == 0, (
        f"rc={proc.returncode}\nstdout:{proc.stdout[-2000:]}\nstderr:{proc.stderr[-3000:]}"
    )
    assert "SELF-TEST OK" in proc.stdout
    assert _unexpected_stderr(proc.stderr) == []


def test_frozen_bundle_reports_its_version(dist: Path) -> None:
    from monitor import __version__

    proc = subprocess.run(
        [str(dist / "monitor" / "monitor"), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=_self_test_env(),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"monitor {__version__}"


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("dpkg"), reason="installing a .deb needs root and dpkg"
)
def _installed_version(package: str) -> str | None:
    """The version of ``package`` dpkg has installed, or None."""
    query = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status} ${Version}", package], capture_output=True, text=True, check=False
    )
    status, _, version = query.stdout.rpartition(" ")
    return version if query.returncode == 0 and status.startswith("install ok installed") else None


def test_deb_installs_runs_and_uninstalls_cleanly(dist: Path) -> None:
    # The test installs system-wide and purges afterwards: never on a machine where the user has
    # Monitor installed already (they would lose it by running the tests).
    if (version := _installed_version("monitor")) is not None:
        pytest.skip(f"monitor {version} is installed on this machine; the install/purge test would remove it")
    debs = sorted(dist.glob("monitor_*_amd64.deb"))
    assert len(debs) == 1, debs
    info = subprocess.run(
        ["dpkg-deb", "--contents", str(debs[0])], capture_output=True, text=True, check=True
    )
    for path in (
        "./opt/monitor/monitor",
        "./usr/bin/monitor",
        "./usr/share/applications/io.monitor.Monitor.desktop",
        "./usr/share/metainfo/io.monitor.Monitor.metainfo.xml",
        "./usr/share/icons/hicolor/48x48/apps/io.monitor.Monitor.png",
        "./usr/share/icons/hicolor/256x256/apps/io.monitor.Monitor.png",
        "./usr/share/icons/hicolor/scalable/apps/io.monitor.Monitor.svg",
    ):
        assert path in info.stdout, f"{path} missing from the package"
    if shutil.which("desktop-file-validate"):
        desktop = ROOT / "packaging" / "linux" / "io.monitor.Monitor.desktop"
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", str(debs[0])],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    if install.returncode != 0:  # apt may lack lists on an offline box; dpkg is the fallback
        install = subprocess.run(["dpkg", "-i", str(debs[0])], capture_output=True, text=True, timeout=120)
    try:
        assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
        assert Path("/usr/bin/monitor").exists()
        proc = _run_self_test("/usr/bin/monitor")
        assert proc.returncode == 0, f"rc={proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        assert "SELF-TEST OK" in proc.stdout
        assert _unexpected_stderr(proc.stderr) == []
    finally:
        remove = subprocess.run(["dpkg", "--purge", "monitor"], capture_output=True, text=True, timeout=120)
    assert remove.returncode == 0, remove.stderr
    assert not Path("/opt/monitor").exists()
    assert not Path("/usr/bin/monitor").exists()
    assert not Path("/usr/share/applications/io.monitor.Monitor.desktop").exists()
