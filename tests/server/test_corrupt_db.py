"""A database that cannot be used stops the server with one clear line (issue 13 item 15).

Real files, damaged the way disks and people damage them: garbage over the header, a file cut in
half, a page overwritten, a directory given as the path, a read-only file system, and a WAL file
whose header is garbage (SQLite would ignore it and silently lose every commit in it: refused,
or moved aside with ``--quarantine-bad-wal`` and a loud log line). ``monitor serve`` exits with
status 3 and prints one line naming the file, what is wrong and what to do; no traceback.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.server.cli import main
from monitor.server.log import LogOpenError
from monitor.server.sqlite_log import SqliteLog, wal_header_problem

EVENTS = 2000
PAD = "x" * 200


def _filled(path: Path) -> SqliteLog:
    """A log with EVENTS events, committed; the caller closes it (or copies it while open)."""
    log = SqliteLog(path)
    for i in range(EVENTS):
        log.append("e", f'{{"i":{i},"pad":"{PAD}"}}')
    log.flush()
    return log


def _with_live_wal(tmp_path: Path) -> Path:
    """A copy of a database and its WAL as a crash leaves them: the newest commits only in the WAL."""
    log = _filled(tmp_path / "live.sqlite3")
    path = tmp_path / "server.sqlite3"
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{log.path}{suffix}", f"{path}{suffix}")
    log.close()
    assert Path(f"{path}-wal").stat().st_size > 0
    return path


def _garbage_header(path: Path) -> None:
    _filled(path).close()
    with path.open("r+b") as f:
        f.write(os.urandom(100))


def _cut_in_half(path: Path) -> None:
    _filled(path).close()
    os.truncate(path, path.stat().st_size // 2)


def _page_overwritten(path: Path) -> None:
    _filled(path).close()
    with path.open("r+b") as f:
        f.seek(8 * 4096)
        f.write(os.urandom(4096))


def _a_directory(path: Path) -> None:
    path.mkdir()


def _serve(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    """Run ``monitor serve``'s entry point (it stops before binding when the database is bad)."""
    code = main(["--port", "0", "--db", str(db), "--log-level", "warning", *extra])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_garbage_header, "file is not a database; the file is corrupted"),
        (_cut_in_half, "database disk image is malformed; the file is corrupted"),
        (_page_overwritten, "database disk image is malformed; the file is corrupted"),
        (_a_directory, "it is a directory; give a file path"),
    ],
    ids=["garbage-header", "truncated", "page-overwritten", "directory"],
)
def test_a_damaged_database_is_one_line_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: Callable[[Path], None], says: str
) -> None:
    db = tmp_path / "server.sqlite3"
    damage(db)
    code, err = _serve(db, capsys)
    assert code == 3  # before: a raw sqlite3 traceback
    assert err.count("\n") == 1, err
    assert err.startswith(f"monitor serve: cannot open the database {db}: "), err
    assert says in err
    assert "Traceback" not in err


def test_a_damaged_wal_is_refused_not_silently_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _with_live_wal(tmp_path)
    wal = Path(f"{db}-wal")
    with wal.open("r+b") as f:
        f.write(os.urandom(32))
    size = wal.stat().st_size
    code, err = _serve(db, capsys)
    assert code == 3  # before: it started, with the WAL's commits gone and nothing said
    assert err.count("\n") == 1, err
    assert f"its WAL file {wal.name} ({size} bytes) is damaged" in err
    assert "--quarantine-bad-wal" in err
    assert wal.stat().st_size == size  # untouched: whoever restores it still can


def test_quarantine_moves_the_damaged_wal_aside_loudly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = _with_live_wal(tmp_path)
    wal = Path(f"{db}-wal")
    with wal.open("r+b") as f:
        f.write(os.urandom(32))
    damaged = wal.read_bytes()
    with caplog.at_level(logging.ERROR, logger="monitor.server.sqlite_log"):
        log = SqliteLog(db, quarantine_bad_wal=True)
    try:
        head = log.last_id
        assert head is not None
        assert int(head.rpartition("-")[2]) < EVENTS  # what only the WAL had is lost, and said so
    finally:
        log.close()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith(f"{wal.name}.bad-")]
    assert len(aside) == 1
    assert aside[0].read_bytes() == damaged
    assert any(
        "WAL file was damaged" in r.getMessage() and str(aside[0]) in r.getMessage() for r in caplog.records
    )


def test_an_intact_wal_after_a_crash_loses_nothing(tmp_path: Path) -> None:
    db = _with_live_wal(tmp_path)
    log = SqliteLog(db)
    try:
        assert log.last_id == f"{log.epoch}-{EVENTS}"
    finally:
        log.close()


def test_wal_header_check_matches_sqlites_own_files(tmp_path: Path) -> None:
    db = _with_live_wal(tmp_path)
    header = Path(f"{db}-wal").read_bytes()[:32]
    assert wal_header_problem(header) is None
    broken = header[:24] + bytes(b ^ 0xFF for b in header[24:28]) + header[28:]
    assert wal_header_problem(broken) == "header checksum mismatch"
    assert wal_header_problem(b"\0" * 32) == "not a SQLite WAL file (bad magic number)"


def test_log_open_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "server.sqlite3"
    _cut_in_half(path)
    with pytest.raises(
        LogOpenError, match=r"cannot open the database .*server\.sqlite3: database disk image"
    ):
        SqliteLog(path)


def _read_only_runner(directory: Path) -> list[str] | None:
    """A command prefix under which ``directory`` is read-only, or None if this machine has none.

    chmod does not stop root, so as root the server runs in its own mount namespace where the
    directory is bind-mounted read-only (nothing changes for the rest of the machine).
    """
    if os.geteuid() != 0:
        directory.chmod(0o500)
        for child in directory.iterdir():
            child.chmod(0o400)
        return []
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    probe = subprocess.run(
        [
            unshare,
            "-m",
            "sh",
            "-c",
            f"mount --bind -o ro '{directory}' '{directory}' && ! touch '{directory}/w'",
        ],
        capture_output=True,
        timeout=10,
        check=False,
    )
    if probe.returncode != 0:
        return None
    return [unshare, "-m", "sh", "-c", f'mount --bind -o ro "{directory}" "{directory}" && exec "$0" "$@"']


@pytest.mark.skipif(sys.platform != "linux", reason="read-only bind mounts and file modes as on Linux")
def test_a_read_only_database_is_one_line_and_exit_3(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    db = directory / "server.sqlite3"
    _filled(db).close()
    prefix = _read_only_runner(directory)
    if prefix is None:
        pytest.skip("running as root without a usable `unshare -m` + read-only bind mount: no read-only file")
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-m", "monitor", "serve", "--port", "0", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        if os.geteuid() != 0:
            directory.chmod(0o700)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"monitor serve: cannot open the database {db}: ")
    assert "writable" in lines[0]
    assert "listening" not in done.stdout
