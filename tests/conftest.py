"""Suite-wide configuration.

Qt runs offscreen unless a test environment (the e2e runner) says otherwise; this must happen
before anything imports PySide6. Tests that use Qt get the ``gui`` marker automatically.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep httpx from picking up the machine's CA bundle variables in tests that build clients with
# defaults: these machines export SSL_CERT_FILE, and a missing file would fail client creation.
os.environ.setdefault("NO_AT_BRIDGE", "1")

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that touches Qt as ``gui`` (qutebrowser's convention)."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "qapp" in fixtures or "qtbot" in fixtures or "qloop" in fixtures:
            item.add_marker(pytest.mark.gui)
