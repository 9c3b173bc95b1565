"""Bridges: publish another job system's tasks into ``monitor serve`` and carry out its commands.

* :mod:`monitor.bridge.celery_events`: Celery task events -> Monitor tasks and worker reports
  (pure, no Celery import);
* :mod:`monitor.bridge.publisher`: the HTTP side (create, report, claim and answer commands);
* :mod:`monitor.bridge.celery_bridge`: ``monitor bridge celery``, the running bridge.

A bridge imports only :mod:`monitor.core` and :mod:`monitor.client` (import-linter keeps it so).
"""

from __future__ import annotations

__all__: list[str] = []
