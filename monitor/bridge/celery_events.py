"""Celery task events as Monitor tasks: what to create and report, and what a command may do.

Pure (no Celery, no I/O): :class:`CeleryMapper` reads the event dicts Celery's event receiver
gives (``task-sent``, ``-received``, ``-started``, ``-succeeded``, ``-failed``, ``-retried``,
``-revoked``, ``-rejected``, and custom ``task-*`` events with a ``progress`` field), plus the
result backend's state of running tasks (``update_state(state="PROGRESS", meta={"progress":
40})``), and turns them into :class:`Create` and :class:`Report` steps for ``monitor serve``.

Identity: the Monitor task id is the Celery task id. A retry from the app re-sends the task under
a new Celery id, ``<monitor id>~<attempt>`` (a revoked id would be refused by every worker that
remembers the revoke), which :func:`monitor_id_of` maps back, so the retried run stays the same
row in the app, one attempt higher, even across a bridge restart.

Celery's events carry arguments and results as ``repr`` strings (``argsrepr``, truncated to
1,024 characters). A result whose repr is a Python literal is published as JSON, else as
``{"repr": ...}``; a retry re-sends only arguments whose repr is a complete literal
(:meth:`CeleryMapper.resend_plan`), and says why not otherwise.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from pydantic import JsonValue

from monitor.core.executor import EXECUTOR_KEY
from monitor.core.protocol import (
    CommandAction,
    TaskError,
    TaskSubmit,
    WorkerReport,
    WorkerReportKind,
)

__all__ = [
    "EXECUTOR_NAME",
    "CeleryMapper",
    "Create",
    "Refusal",
    "Report",
    "Resend",
    "Revoke",
    "inspected_events",
    "monitor_id_of",
]

#: The executor name the bridge registers as (the tasks' ``metadata["executor"]``).
EXECUTOR_NAME: Final = "celery"
#: Celery's own task states; any other state in the result backend is a custom one (progress).
CELERY_STATES: Final = frozenset(
    {"PENDING", "RECEIVED", "STARTED", "SUCCESS", "FAILURE", "RETRY", "REVOKED", "REJECTED", "IGNORED"}
)
_RESENT: Final = re.compile(r"(?s)(.+)~([0-9]{1,6})")
_MAX_STAGE: Final = 200
_MAX_MESSAGE: Final = 4000
_MAX_DETAIL: Final = 60_000
_MAX_RESULT_CHARS: Final = 60_000  # x4 bytes of UTF-8 at most: within the 256 KiB result limit
#: Argument reprs this long may have been cut by Celery (``argsrepr_maxsize`` is 1,024).
_MAX_WHOLE_REPR: Final = 1000
_FINAL: Final = frozenset({"task-succeeded", "task-failed", "task-revoked", "task-rejected"})


def monitor_id_of(celery_id: str) -> tuple[str, int]:
    """The Monitor task id of a Celery id and the attempt that id started at (1 unless re-sent)."""
    match = _RESENT.fullmatch(celery_id)
    if match is None:
        return celery_id, 1
    return match.group(1), int(match.group(2))


def inspected_events(worker: str, info: Mapping[str, object], *, started: bool) -> list[dict[str, object]]:
    """The events a task found by ``inspect().active()`` / ``.reserved()`` would have sent.

    A bridge that starts while tasks run missed their ``task-received`` and ``task-started``
    (Celery keeps no events for late receivers); the workers' own lists stand in for them.
    """
    uuid = info.get("id")
    if not isinstance(uuid, str):
        return []
    received: dict[str, object] = {"type": "task-received", "uuid": uuid, "hostname": worker}
    for key in ("name", "args", "kwargs"):
        value = info.get(key)
        if value is not None:
            received[key] = value if isinstance(value, str) else repr(value)
    events = [received]
    if started:
        events.append({"type": "task-started", "uuid": uuid, "hostname": worker})
    return events


@dataclass(frozen=True, slots=True)
class Create:
    """Announce a task (``POST /api/tasks``; an existing id is fine)."""

    submit: TaskSubmit


@dataclass(frozen=True, slots=True)
class Report:
    """Report on a task (``POST /api/tasks/{id}/events``)."""

    task_id: str
    report: WorkerReport


Step = Create | Report


@dataclass(frozen=True, slots=True)
class Revoke:
    """Cancel: ``control.revoke(celery_id, terminate=True)``."""

    celery_id: str


@dataclass(frozen=True, slots=True)
class Resend:
    """Retry: ``send_task(name, args, kwargs, task_id=...)``; the new id is made from the attempt."""

    monitor_id: str
    name: str
    args: list[object]
    kwargs: dict[str, object]
    queue: str | None

    def celery_id(self, attempt: int) -> str:
        """The Celery id of the re-sent run for ``attempt``."""
        return f"{self.monitor_id}~{attempt}"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Celery cannot do it; ``reason`` is shown to the user."""

    reason: str


@dataclass(slots=True)
class _Known:
    """What the bridge knows of one Monitor task."""

    celery_id: str
    base: int
    name: str | None = None
    args: str | None = None
    kwargs: str | None = None
    queue: str | None = None
    retries: int = 0
    running: bool = False
    finished: bool = False
    progress: tuple[float | None, str | None] | None = None


def _text(value: object, limit: int) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _literal(text: str | None) -> tuple[bool, object]:
    """``(True, value)`` if ``text`` is a complete Python literal, else ``(False, None)``."""
    if text is None:
        return False, None
    try:
        return True, ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False, None


def _whole(text: str | None) -> str | None:
    """``text`` unless Celery may have shortened it (``saferepr`` cuts inside strings and lists at
    ``argsrepr_maxsize``, 1,024, and the cut text is still a valid literal, of other values)."""
    return None if text is None or len(text) >= _MAX_WHOLE_REPR else text


def _json_result(value: object) -> JsonValue:
    """A task result as JSON: the literal its repr spells if JSON can hold it, else the repr."""
    if not isinstance(value, str):
        return None if value is None else {"repr": _text(value, _MAX_RESULT_CHARS)}
    ok, parsed = _literal(value)
    if ok:
        try:
            text = json.dumps(parsed, allow_nan=False)
        except (TypeError, ValueError):
            pass
        else:
            if len(text) <= _MAX_RESULT_CHARS:
                loaded: JsonValue = json.loads(text)
                return loaded
    return {"repr": _text(value, _MAX_RESULT_CHARS)}


def _percent(meta: Mapping[str, object]) -> float | None:
    """Progress in percent from ``progress`` (0-100) or ``current``/``total`` in a meta dict."""
    value = meta.get("progress")
    if isinstance(value, int | float) and not isinstance(value, bool):
        percent = float(value)
    else:
        current, total = meta.get("current"), meta.get("total")
        if not (isinstance(current, int | float) and isinstance(total, int | float)) or total <= 0:
            return None
        percent = 100.0 * float(current) / float(total)
    return min(100.0, max(0.0, percent)) if math.isfinite(percent) else None


class CeleryMapper:
    """Turns Celery events and backend states into steps for ``monitor serve``; plans commands.

    Args:
        executor: The executor name put in every task's metadata.
        max_tasks: Tasks remembered at most (the oldest finished are forgotten first).
    """

    def __init__(self, *, executor: str = EXECUTOR_NAME, max_tasks: int = 100_000) -> None:
        """See the class docstring."""
        self._executor = executor
        self._max_tasks = max_tasks
        self._known: dict[str, _Known] = {}

    # ------------------------------------------------------------------ events

    def on_event(self, event: Mapping[str, object]) -> list[Step]:
        """The steps one Celery event leads to (none for events that are not about tasks)."""
        kind = event.get("type")
        uuid = event.get("uuid")
        if not isinstance(kind, str) or not kind.startswith("task-") or not isinstance(uuid, str) or not uuid:
            return []
        monitor_id, base = monitor_id_of(uuid)
        steps: list[Step] = []
        known = self._known.get(monitor_id)
        if known is None or base > known.base:
            known = self._remember(monitor_id, uuid, base, known)
            self._learn(known, event)
            steps.append(Create(self.resubmit(monitor_id)))
        else:
            self._learn(known, event)
        report = self._report(known, kind, event)
        if report is not None:
            steps.append(Report(monitor_id, report))
        return steps

    def running(self) -> list[str]:
        """Celery ids of the tasks started and not finished (their backend state is polled)."""
        return [k.celery_id for k in self._known.values() if k.running]

    def on_backend_state(self, celery_id: str, state: str, info: object) -> Report | None:
        """A progress report from a running task's result-backend state (custom states only)."""
        monitor_id, _ = monitor_id_of(celery_id)
        known = self._known.get(monitor_id)
        if known is None or not known.running or known.celery_id != celery_id or state in CELERY_STATES:
            return None
        meta = info if isinstance(info, Mapping) else {}
        percent = _percent(meta)
        label = meta.get("stage")
        stage = _text(label if isinstance(label, str) else state.lower(), _MAX_STAGE)
        if (percent, stage) == known.progress:
            return None
        known.progress = (percent, stage)
        return Report(monitor_id, WorkerReport(kind=WorkerReportKind.PROGRESS, progress=percent, stage=stage))

    # ------------------------------------------------------------------ commands

    def plan(self, action: CommandAction, monitor_id: str) -> Revoke | Resend | Refusal:
        """What Celery can do for ``action`` on a task: revoke, re-send, or a refusal with the reason."""
        known = self._known.get(monitor_id)
        if action is CommandAction.CANCEL:
            return Revoke(known.celery_id if known is not None else monitor_id)
        if action is not CommandAction.RETRY:
            return Refusal(f"Celery cannot {action.value} a task; only cancel and retry are possible")
        return self.resend_plan(monitor_id)

    def resend_plan(self, monitor_id: str) -> Resend | Refusal:
        """Re-send with the same arguments, if the bridge saw them whole."""
        known = self._known.get(monitor_id)
        if known is None or known.name is None:
            return Refusal(
                "Celery cannot retry this task from here: the bridge did not see it sent or received, "
                "so its name and arguments are unknown"
            )
        ok_args, args = _literal(_whole(known.args))
        ok_kwargs, kwargs = _literal(_whole(known.kwargs))
        if not (ok_args and ok_kwargs and isinstance(args, list | tuple) and isinstance(kwargs, dict)):
            return Refusal(
                "Celery cannot retry this task from here: its arguments are not plain values "
                "(Celery's events carry them as text, shortened beyond about 1,000 characters)"
            )
        try:
            json.dumps([args, kwargs], allow_nan=False)
        except (TypeError, ValueError):
            return Refusal(
                "Celery cannot retry this task from here: its arguments do not fit JSON (sets, bytes)"
            )
        return Resend(monitor_id, known.name, list(args), {str(k): v for k, v in kwargs.items()}, known.queue)

    # ------------------------------------------------------------------ internals

    def _remember(self, monitor_id: str, uuid: str, base: int, old: _Known | None) -> _Known:
        known = _Known(celery_id=uuid, base=base)
        if old is not None:  # a re-sent run: same task, same name and arguments
            known.name, known.args, known.kwargs, known.queue = old.name, old.args, old.kwargs, old.queue
        self._known.pop(monitor_id, None)
        self._known[monitor_id] = known
        while len(self._known) > self._max_tasks:
            oldest = next((k for k, v in self._known.items() if not v.running), next(iter(self._known)))
            del self._known[oldest]
        return known

    def resubmit(self, monitor_id: str) -> TaskSubmit:
        """The task as the bridge knows it, to announce (again) to the server."""
        known = self._known.get(monitor_id)
        name = known.name if known is not None else None
        metadata: dict[str, JsonValue] = {EXECUTOR_KEY: self._executor}
        if name is not None:
            metadata["celery_task"] = name
        if known is not None:
            for key, value in (("args", known.args), ("kwargs", known.kwargs)):
                if value is not None:
                    metadata[key] = _text(value, 1100)
        title = name or f"celery task {monitor_id[:8]}"
        return TaskSubmit(id=monitor_id, name=_text(title, 500), kind="celery", metadata=metadata)

    @staticmethod
    def _learn(known: _Known, event: Mapping[str, object]) -> None:
        for field in ("name", "args", "kwargs", "queue"):
            value = event.get(field)
            if isinstance(value, str) and value:
                setattr(known, field, value)
        retries = event.get("retries")
        if isinstance(retries, int) and not isinstance(retries, bool) and retries >= 0:
            known.retries = retries

    def _report(self, known: _Known, kind: str, event: Mapping[str, object]) -> WorkerReport | None:
        host = event.get("hostname")
        worker = _text(host, 128) if isinstance(host, str) and host else None
        if kind in _FINAL:
            known.running, known.finished = False, True
        if kind == "task-started":
            if known.finished:  # a late copy (the start-up inspection raced the real events)
                return None
            known.running = True
            known.progress = None
            attempt = known.base + known.retries
            return WorkerReport(
                kind=WorkerReportKind.STARTED, worker=worker, attempt=attempt, stage="started"
            )
        if kind == "task-succeeded":
            return WorkerReport(
                kind=WorkerReportKind.COMPLETED, worker=worker, result=_json_result(event.get("result"))
            )
        if kind in ("task-failed", "task-rejected"):
            exc = event.get("exception") or (
                "rejected by the worker" if kind == "task-rejected" else "failed"
            )
            tb = event.get("traceback")
            error = TaskError(
                message=_text(exc, _MAX_MESSAGE),
                detail=_text(tb, _MAX_DETAIL) if isinstance(tb, str) else None,
            )
            return WorkerReport(kind=WorkerReportKind.FAILED, worker=worker, error=error)
        if kind == "task-revoked":
            how = (
                "terminated" if event.get("terminated") else "expired" if event.get("expired") else "revoked"
            )
            return WorkerReport(kind=WorkerReportKind.CANCELLED, stage=how)
        if kind == "task-retried":
            stage = _text(f"retrying after {_text(event.get('exception'), 150)}", _MAX_STAGE)
            return WorkerReport(kind=WorkerReportKind.PROGRESS, stage=stage)
        if kind in ("task-sent", "task-received"):
            return None
        # A custom event (task.send_event("task-progress", progress=40, stage="...")).
        percent = _percent(event)
        if percent is None:
            return None
        label = event.get("stage")
        return WorkerReport(
            kind=WorkerReportKind.PROGRESS,
            progress=percent,
            stage=_text(label, _MAX_STAGE) if isinstance(label, str) else None,
        )
