"""The Celery task module the bridge tests' worker runs (``celery -A tests.bridge.celery_tasks worker``).

Configured as docs/celery.md tells a Celery user: task events on (``worker_send_task_events``),
``task-sent`` events from the producer (``task_send_sent_event``), a result backend for
``update_state`` progress. The broker URL comes from ``BRIDGE_TEST_BROKER``. Tasks that must wait
for the test wait on a Redis key (a "gate") the test sets.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from celery import Celery, Task

BROKER = os.environ.get("BRIDGE_TEST_BROKER", "redis://127.0.0.1:6379/0")

app = Celery("bridge_tasks", broker=BROKER, backend=BROKER)
app.conf.update(
    worker_send_task_events=True,
    task_send_sent_event=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    worker_prefetch_multiplier=1,
)


def gate_open(key: str) -> bool:
    """Whether the test opened the gate ``key``."""
    return bool(redis.Redis.from_url(BROKER).get(key))


def wait_gate(key: str, timeout: float = 60.0) -> None:
    """Block the task until the test opens the gate (bounded: a forgotten gate fails the task)."""
    deadline = time.monotonic() + timeout
    while not gate_open(key):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gate {key} never opened")
        time.sleep(0.05)  # the task's own work loop, polling its input


@app.task
def add(x: int, y: int) -> int:
    """A plain task with a result."""
    return x + y


@app.task(bind=True)
def staged(self: Task[Any, Any], key: str) -> dict[str, object]:
    """Reports progress through the result backend, then waits for the test's go."""
    self.update_state(state="PROGRESS", meta={"progress": 40, "stage": "encoding"})
    wait_gate(key)
    return {"frames": 3, "ok": True}


@app.task
def needs_input(key: str) -> str:
    """Fails until the test opens the gate; a retry from the app then succeeds."""
    if not gate_open(key):
        raise ValueError("input not there yet")
    return "done with input"


@app.task(bind=True, max_retries=3)
def flaky(self: Task[Any, Any]) -> str:
    """Celery's own retry: fails once with a retry, then succeeds."""
    if self.request.retries < 1:
        raise self.retry(exc=RuntimeError("transient"), countdown=0.2)
    return "second attempt"


@app.task
def sleepy(key: str) -> str:
    """Runs until the test opens its gate (or it is revoked with terminate=True)."""
    wait_gate(key)
    return "woke up"
