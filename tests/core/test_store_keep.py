"""Local keeping in the store: history read back, kept across server trims, and removed ids."""

from __future__ import annotations

from monitor.core.news import TaskPatch
from monitor.core.protocol import Task, TaskState
from monitor.core.store import Added, Removed, TaskStore


def _task(task_id: str, state: TaskState = TaskState.COMPLETED, name: str = "") -> Task:
    return Task(
        id=task_id,
        name=name or f"{task_id}.wav",
        state=state,
        progress=100.0 if state is TaskState.COMPLETED else 10.0,
        created_at=1.0,
    )


def test_kept_tasks_survive_a_snapshot_that_no_longer_lists_them() -> None:
    store = TaskStore()
    store.apply_snapshot([_task("a"), _task("b", TaskState.RUNNING)], received_at=1.0)
    store.keep(["a"])
    changes = store.apply_snapshot([_task("b", TaskState.RUNNING)], received_at=2.0)  # "a" trimmed
    assert "a" in store
    assert not any(isinstance(c, Removed) for c in changes)
    store.apply_snapshot([], received_at=3.0)  # "b" gone from the server and not kept
    assert "b" not in store


def test_a_new_lifetime_keeps_kept_records_until_their_id_is_reused() -> None:
    store = TaskStore()
    store.apply_snapshot([_task("t1", name="old.wav"), _task("t2", name="old2.wav")], received_at=1.0)
    store.keep(["t1", "t2"])
    store.replace_all([_task("t1", TaskState.RUNNING, name="new.wav")], received_at=2.0)
    t1, t2 = store.get("t1"), store.get("t2")
    assert t1 is not None
    assert (t1.name, t1.state) == ("new.wav", TaskState.RUNNING)  # replaced whole
    assert t2 is not None
    assert t2.name == "old2.wav"
    assert store.is_old_lifetime("t2")


def test_history_read_back_is_provisional() -> None:
    store = TaskStore()
    changes = store.load_kept([_task("t1", name="mine.wav"), _task("t2")], received_at=1.0)
    assert changes == [Added(("t1", "t2"))]
    assert store.is_kept("t1")
    # A server started afresh gave "t1" to another task: it replaces ours whole (running, not
    # "finished never goes back").
    store.apply([TaskPatch("t1", 2.0, full=True, name="theirs.wav", state=TaskState.RUNNING, progress=5.0)])
    t1 = store.get("t1")
    assert t1 is not None
    assert (t1.name, t1.state) == ("theirs.wav", TaskState.RUNNING)
    # The same server listing our finished "t2" again: the same task, nothing lost.
    store.apply_snapshot([_task("t2")], received_at=3.0)
    assert store.get("t2") is not None


def test_removed_tasks_stay_removed_until_active_again() -> None:
    store = TaskStore()
    store.apply_snapshot([_task("a"), _task("f", TaskState.FAILED)], received_at=1.0)
    assert store.dismiss(["a", "f"]) == [Removed(("a", "f"))]
    store.apply_snapshot([_task("a"), _task("f", TaskState.FAILED)], received_at=2.0)  # a reconnect
    assert "a" not in store
    assert "f" not in store
    assert store.load_kept([_task("a")], received_at=3.0) == []  # nor from the history
    # Retried elsewhere: active again, so it is news again.
    store.apply([TaskPatch("f", 4.0, full=True, name="f.wav", state=TaskState.QUEUED, attempt=2)])
    assert "f" in store
    assert store.dismissed == frozenset({"a"})


def test_set_dismissed_reads_back_earlier_removals() -> None:
    store = TaskStore()
    store.set_dismissed({"x"})
    store.apply_snapshot([_task("x"), _task("y")], received_at=1.0)
    assert store.ids() == ["y"]
