"""Fixtures the interop tests share: the npm packages the node-side stand-ins need.

``tests/interop/node/package.json`` + ``package-lock.json`` pin them (express 4 and cors for seed
004's server, better-sse, esbuild to strip seed 004's TypeScript types, eventsource and
eventemitter3 for the seed-000 client). ``npm ci`` installs them once per lock file into
``<repo>/.cache/interop-node/<lock hash>/`` (git-ignored), so a clean CI machine installs them
itself and later runs reuse the copy.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.interop.procs import ServerProcess, python_server

__all__ = ["NodeModules", "node_modules", "seed000", "seed000_as_written", "seed004", "thirdparty"]

NODE_DIR = Path(__file__).parent / "node"
REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "interop-node"
MIN_NODE_MAJOR = 18  # Debian 12's nodejs; every pinned package's engines allow it
NPM_CI_TIMEOUT_S = 300
# npm's error codes for "the registry cannot be reached": a skip, not a failure of the code.
_NETWORK_ERRORS = re.compile(
    r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|"
    r"network request|socket hang up|getaddrinfo|self.signed|UNABLE_TO_GET_ISSUER"
)


@dataclass(frozen=True)
class NodeModules:
    """An installed copy of the pinned npm packages, and how to run node against it."""

    node: str
    path: Path  # the node_modules directory

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a node child: ``NODE_PATH`` finds the pinned packages (CommonJS)."""
        return {**os.environ, "NODE_PATH": str(self.path), **extra}


def _lock_digest() -> str:
    h = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        h.update((NODE_DIR / name).read_bytes())
    return h.hexdigest()[:16]


def _node_major(node: str) -> int:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30, check=True)
    return int(out.stdout.strip().lstrip("v").split(".")[0])


def _install(npm: str, target: Path) -> None:
    """``npm ci`` into a fresh directory next to ``target``, then move it into place atomically."""
    CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="npm-ci-", dir=CACHE))
    try:
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(NODE_DIR / name, work / name)
        try:
            done = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=NPM_CI_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm ci did not finish within {NPM_CI_TIMEOUT_S} s (is the npm registry reachable?)")
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            if _NETWORK_ERRORS.search(done.stderr + done.stdout):
                pytest.skip(
                    "the npm registry is unreachable, cannot install the pinned node packages: "
                    + " | ".join(tail)
                )
            pytest.fail("npm ci failed for tests/interop/node: " + " | ".join(tail), pytrace=False)
        try:
            work.rename(target)
        except OSError:
            if not (target / "node_modules").is_dir():  # a concurrent run that won the race is fine
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def node_modules() -> NodeModules:
    """The pinned npm packages, installed once (skips, saying why, without node, npm or registry)."""
    node = shutil.which("node") or shutil.which("nodejs")
    npm = shutil.which("npm")
    if node is None:
        pytest.skip("node is not installed (packaging/bootstrap.sh test installs Debian's nodejs)")
    major = _node_major(node)
    if major < MIN_NODE_MAJOR:
        pytest.skip(f"node {major} is too old for the pinned packages (need >= {MIN_NODE_MAJOR})")
    target = CACHE / _lock_digest()
    if not (target / "node_modules").is_dir():
        shutil.rmtree(target, ignore_errors=True)  # a half-written copy from an interrupted run
        if npm is None:
            pytest.skip("npm is not installed (packaging/bootstrap.sh test installs Debian's npm)")
        _install(npm, target)
    return NodeModules(node=node, path=target / "node_modules")


# ---------------------------------------------------------------------------- stand-in servers


def _listening(line: str) -> bool:
    return line.startswith("LISTENING ")


@pytest.fixture
def seed000() -> Iterator[ServerProcess]:
    """Seed 000's FastAPI example with the one import it lacks (see seed000_app.py)."""
    with ServerProcess(
        python_server("tests.interop.seed000_app", "--with-time-import"), ready=_listening
    ) as s:
        yield s


@pytest.fixture
def seed000_as_written() -> Iterator[ServerProcess]:
    """Seed 000's FastAPI example exactly as written (``time`` never imported)."""
    with ServerProcess(python_server("tests.interop.seed000_app"), ready=_listening) as s:
        yield s


@pytest.fixture
def seed004(node_modules: NodeModules) -> Iterator[ServerProcess]:
    """Seed 004's Express server and command scheduler, run as written on node."""
    argv = [node_modules.node, str(NODE_DIR / "seed004_main.js")]
    with ServerProcess(argv, ready=lambda line: "[Server]" in line, env=node_modules.env()) as s:
        yield s


@pytest.fixture(params=["sse-starlette", "aiohttp-sse", "better-sse"])
def thirdparty(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """Each common SSE server library, as a tiny app with a required ``topic`` query parameter."""
    if request.param == "better-sse":
        nm: NodeModules = request.getfixturevalue("node_modules")
        argv = [nm.node, str(NODE_DIR / "better_sse_server.js")]
        env = nm.env()
    else:
        module = {"sse-starlette": "sse_starlette", "aiohttp-sse": "aiohttp_sse"}[request.param]
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{request.param} is not installed (pip install -e '.[dev]')")
        argv = python_server(f"tests.interop.{module}_app")
        env = None
    with ServerProcess(argv, ready=_listening, env=env) as s:
        yield s
