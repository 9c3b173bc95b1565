"""The wire models of external executors: a job system's bridge that carries out commands.

A task published with ``metadata["executor"] = "<name>"`` (:data:`EXECUTOR_KEY`) belongs to that
executor (the Celery bridge publishes its tasks with ``"celery"``). ``monitor serve`` hands the
state commands on such a task (cancel, pause, resume, retry) to the executor instead of deciding
them alone: the executor claims them (:class:`ExecutorClaim`), says whether its job system can do
it (:class:`ExecutorVerdict`), and only then does the server change the task. A refusal ends the
command ``rejected`` with the executor's reason, which the app shows. See docs/protocol.md,
"External executors".
"""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, JsonValue, StringConstraints

from monitor.core.protocol import CommandAction, PathId, Task

__all__ = [
    "EXECUTOR_KEY",
    "ExecutorClaim",
    "ExecutorCommand",
    "ExecutorVerdict",
    "executor_of",
]

#: The task metadata key naming the executor that owns a task.
EXECUTOR_KEY: Final = "executor"


def executor_of(task: Task | None) -> str | None:
    """The executor that owns ``task``, or None (the server's own task, or no task)."""
    if task is None:
        return None
    name = task.metadata.get(EXECUTOR_KEY)
    return name if isinstance(name, str) and name else None


class ExecutorCommand(BaseModel):
    """One command the executor is asked to carry out, with the task as the server has it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    command_id: PathId
    action: CommandAction
    task: Task
    params: dict[str, JsonValue] = Field(default_factory=dict)


class ExecutorClaim(BaseModel):
    """Answer of ``GET /api/executors/{name}/commands``: the commands handed over (maybe none)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    commands: list[ExecutorCommand]


class ExecutorVerdict(BaseModel):
    """Body of ``POST /api/executors/{name}/commands/{command_id}``: can the job system do it?"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    #: Why not (shown to the user as the command's error); ignored when ``ok``.
    reason: Annotated[str, StringConstraints(max_length=4000)] | None = None
