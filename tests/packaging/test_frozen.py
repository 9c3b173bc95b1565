"""The real frozen program: PyInstaller bundle, its --self-test, and the .deb round trip.

These build the bundle from the working tree (about a minute), so they are marked ``slow`` and
``packaging``; ``.ci/run`` runs them. The .deb steps need root (dpkg -i / -r) and skip otherwise.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.e2e.desktop import Desktop

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
    if existing := os.environ.get("MONITOR_TEST_DIST"):  # a bundle built from this tree already
        return Path(existing)
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


def _run_self_test(
    exe: Path | str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(exe), "--self-test", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env or _self_test_env(),
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


#: The bundle's budget (issue 16): bytes of regular files in the bundle folder, what the tarball
#: and the .deb carry. docs/performance.md ("Bundle and start-up") has what each exclusion saves.
BUNDLE_BUDGET_BYTES = 110_000_000


def test_frozen_bundle_stays_within_its_size_budget(dist: Path) -> None:
    files = [p for p in (dist / "monitor").rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files)
    biggest = sorted(files, key=lambda p: p.stat().st_size)[-5:]
    assert total <= BUNDLE_BUDGET_BYTES, f"{total / 1e6:.1f} MB; biggest: {[p.name for p in biggest]}"
    assert total > 50_000_000  # a bundle, not an empty folder


def test_frozen_bundle_keeps_what_the_app_needs(dist: Path) -> None:
    internal = dist / "monitor" / "_internal"
    qt = internal / "PySide6" / "Qt"
    for rel in (
        qt / "plugins" / "platforms" / "libqxcb.so",
        qt / "plugins" / "platforms" / "libqoffscreen.so",
        qt / "plugins" / "platforms" / "libqwayland.so",
        qt / "plugins" / "platforminputcontexts" / "libibusplatforminputcontextplugin.so",
        qt / "plugins" / "imageformats" / "libqsvg.so",
        qt / "translations" / "qtbase_zh_CN.qm",
        internal / "resources" / "translations" / "monitor_zh_CN.qm",
        internal / "certifi" / "cacert.pem",
    ):
        assert rel.is_file(), f"{rel.relative_to(internal)} missing from the bundle"
    icu = sorted(qt.glob("lib/libicudata.so.*"))
    assert len(icu) == 1
    assert icu[0].stat().st_size < 8_000_000  # the trimmed ICU data, not the 32 MB original


def test_frozen_self_test_loads_our_and_qts_chinese_translations(dist: Path) -> None:
    proc = _run_self_test(dist / "monitor" / "monitor", "--locale", "zh_CN")
    assert proc.returncode == 0, f"rc={proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    assert "translations: monitor_zh_CN.qm+qtbase_zh_CN.qm" in proc.stdout, proc.stdout


def _desktop_or_skip(tray: str) -> Desktop:
    from tests.e2e.desktop import Desktop, missing_tools

    missing = missing_tools(tray) + [t for t in ("xdotool",) if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs a private X/D-Bus desktop; missing programs: {', '.join(missing)}")
    return Desktop(tray=tray)


def test_frozen_self_test_notifies_over_dbus(dist: Path) -> None:
    # desktop-notifier's D-Bus path (dbus_fast, jeepney) from the bundle, to a real server (dunst)
    with _desktop_or_skip("none") as desk:
        proc = _run_self_test(dist / "monitor" / "monitor", env=dict(desk.env))
        assert proc.returncode == 0, f"rc={proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        assert "notification via dbus" in proc.stdout, proc.stdout
        assert any(n.summary == "Monitor self-test" for n in desk.notifications())


def _until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)  # polling an external desktop (X server, bus): no signal to wait on


def test_frozen_app_shows_its_window_on_xcb_with_a_tray_icon(dist: Path, tmp_path: Path) -> None:
    with _desktop_or_skip("sni") as desk:
        env = {**desk.env, "QT_QPA_PLATFORM": "xcb"}
        proc = subprocess.Popen(
            [str(dist / "monitor" / "monitor"), "--demo", "--new-instance", "--config-dir", str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:

            def window() -> bool:
                found = subprocess.run(
                    ["xdotool", "search", "--onlyvisible", "--name", "^Monitor"],
                    env=env, capture_output=True, text=True, timeout=10, check=False,
                )  # fmt: skip
                return bool(found.stdout.strip()) or proc.poll() is not None

            _until(window, 60, "the frozen app's window on Xvfb")
            assert proc.poll() is None, proc.communicate(timeout=10)

            def tray_item() -> bool:
                out = subprocess.run(
                    ["dbus-send", "--session", "--print-reply", "--dest=org.kde.StatusNotifierWatcher",
                     "/StatusNotifierWatcher", "org.freedesktop.DBus.Properties.Get",
                     "string:org.kde.StatusNotifierWatcher", "string:RegisteredStatusNotifierItems"],
                    env=env, capture_output=True, text=True, timeout=10, check=False,
                )  # fmt: skip
                return 'string "' in out.stdout  # the item's bus name (Qt registers ":1.N")

            _until(tray_item, 30, "the frozen app's tray icon (StatusNotifierItem)")
        finally:
            proc.terminate()
            out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, f"rc={proc.returncode}\n{out[-2000:]}\n{err[-3000:]}"
        assert _unexpected_stderr(err) == []


def _tls_server(cert: Path, key: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """A loopback HTTPS server sending one SSE event per request; returns it and its stream URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'id: 1\nevent: hello\ndata: {"over": "tls"}\n\n'
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"https://127.0.0.1:{server.server_address[1]}/stream"


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_frozen_watch_verifies_tls_with_certifi_and_ssl_cert_file(dist: Path, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server, url = _tls_server(cert, key)
    exe = str(dist / "monitor" / "monitor")
    watch = [exe, "watch", "--once", "--json", "--dialect", "generic", "--max-attempts", "1", url]
    base = {k: v for k, v in _self_test_env().items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    try:
        trusted = subprocess.run(
            watch,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**base, "SSL_CERT_FILE": str(cert)},
        )
        # no SSL_CERT_FILE: the bundle's certifi CA file is used, which does not know our certificate
        untrusted = subprocess.run(watch, capture_output=True, text=True, timeout=60, check=False, env=base)
    finally:
        server.shutdown()
        server.server_close()
    assert trusted.returncode == 0, trusted.stdout[-2000:] + trusted.stderr[-2000:]
    assert '"over": "tls"' in trusted.stdout, trusted.stdout
    assert untrusted.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.stdout + untrusted.stderr, untrusted.stderr[-2000:]
    assert "cacert.pem" not in untrusted.stderr  # the CA file was found (not "No such file")


def _installed_version(package: str) -> str | None:
    """The version of ``package`` dpkg has installed, or None."""
    query = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status} ${Version}", package], capture_output=True, text=True, check=False
    )
    status, _, version = query.stdout.rpartition(" ")
    return version if query.returncode == 0 and status.startswith("install ok installed") else None


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("dpkg"), reason="installing a .deb needs root and dpkg"
)
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
