"""The Monitor reference server (``monitor serve``).

Modules: :mod:`~monitor.server.app` (``create_app``), :mod:`~monitor.server.stream` (the pure-ASGI
SSE endpoint), :mod:`~monitor.server.hub` (fan-out, heartbeats, shutdown),
:mod:`~monitor.server.log` / :mod:`~monitor.server.sqlite_log` (event logs),
:mod:`~monitor.server.runner` (``ServerThread``), :mod:`~monitor.server.config`,
:mod:`~monitor.server.auth`, :mod:`~monitor.server.metrics`, :mod:`~monitor.server.cli`, and the
task side (``tasks``, ``scheduler``, ``demo``). Nothing is imported eagerly, so importing one
part never pulls in FastAPI or uvicorn needlessly.
"""

__all__: list[str] = []
