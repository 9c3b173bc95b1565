"""Local history through the real app: finished tasks outlive the app and the server's memory.

A real ``monitor serve`` (a subprocess) fails three tasks; the user removes one from the list and
quits. The server is then replaced by a fresh one on the same port that knows none of them (a
restart with a new database, the worst trim). The app, started again on the same config folder,
lists the two it kept, as they were, and not the one the user removed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.core.protocol import TaskState
from monitor.wiring.history import HISTORY_FILE
from tests.e2e.harness import ServerProcess, free_port
from tests.test_app_seams import parts_of, running_app
from tests.waiting import until


def test_finished_tasks_and_removals_outlive_the_app_and_the_server(run: Any, tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config"
    first = ServerProcess(port, ":memory:", demo=False)
    first.start()
    try:
        ids = [first.fail_task(f"history-{n}.wav", f"reason {n}") for n in range(3)]

        async def before() -> None:
            async with running_app(config, "--server", first.url, demo=False) as desktop:
                parts = parts_of(desktop)

                def all_failed() -> bool:
                    return all(
                        (r := parts.store.get(i)) is not None and r.state is TaskState.FAILED for i in ids
                    )

                await until(all_failed, 20, "the three failures in the list")
                parts.view.task_actions.remove_requested.emit([ids[2]])  # Shift+Del on the third
                assert ids[2] not in parts.store

        run(before())
    finally:
        first.stop()
    assert (config / HISTORY_FILE).is_file()

    second = ServerProcess(port, ":memory:", demo=False)  # same address, knows nothing
    second.start()
    try:

        async def after() -> None:
            async with running_app(config, "--server", second.url, demo=False) as desktop:
                parts = parts_of(desktop)
                # Listed from the history at start-up, before the stream; and still there once
                # the new server's (empty) snapshot has been applied and the stream is live.
                stats = parts.service.stats
                await until(
                    lambda: stats().snapshots >= 1 and stats().connected, 20, "live on the new server"
                )
                parts.view.model.flush()
                assert parts.view.model.rowCount() == 2
                for n, task_id in enumerate(ids[:2]):
                    record = parts.store.get(task_id)
                    assert record is not None, task_id
                    assert record.name == f"history-{n}.wav"
                    assert record.state is TaskState.FAILED
                    assert record.error is not None
                    assert record.error.message == f"reason {n}"
                assert ids[2] not in parts.store  # removed by the user: stays removed

        run(after())
    finally:
        second.stop()
