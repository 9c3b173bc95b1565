"""The pinned npm packages install and load in node (what every node-side stand-in relies on)."""

from __future__ import annotations

import json
import subprocess

from tests.interop.conftest import NodeModules

# What each stand-in takes from its package: a wrong pin (an ESM-only major, an API rename) fails here.
PROBE = """
const out = {};
out.express = require('express/package.json').version;
out.expressRouter = typeof require('express').Router;
out.cors = typeof require('cors');
out.betterSse = typeof require('better-sse').createSession;
out.eventSource = typeof require('eventsource').EventSource;
out.eventSourceClosed = require('eventsource').EventSource.CLOSED;
out.emitter = typeof require('eventemitter3');
const ts = 'const a: number = 1; export { a };';
out.esbuild = require('esbuild').transformSync(ts, {loader: 'ts', format: 'cjs'}).code.includes('a = 1');
console.log(JSON.stringify(out));
"""


def test_pinned_packages_load(node_modules: NodeModules) -> None:
    done = subprocess.run(
        [node_modules.node, "-e", PROBE],
        env=node_modules.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    got = json.loads(done.stdout)
    assert got == {
        "express": "4.21.2",
        "expressRouter": "function",
        "cors": "function",
        "betterSse": "function",
        "eventSource": "function",
        "eventSourceClosed": 2,
        "emitter": "function",
        "esbuild": True,
    }
