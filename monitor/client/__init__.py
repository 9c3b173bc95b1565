"""monitor.client package: the asyncio + httpx engine (no Qt).

Importing it keeps httpx from importing its command-line tool: ``httpx/__init__`` imports
``httpx._main`` (click, rich, pygments) whenever those happen to be installed, which was about
a seventh of the app's import time before its first frame; Monitor never runs ``httpx.main``.
An entry of None in ``sys.modules`` makes that import raise ImportError, and httpx then defines
its own fallback ``main``, which says the CLI extras are missing.
"""

import sys

if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
