"""The store's namespace-scoped rebuilds (several servers share one store; issue 15 item 2)."""

from __future__ import annotations

from monitor.core.news import TaskPatch
from monitor.core.protocol import Task, TaskState
from monitor.core.servers import (
    local_id,
    scoped_patches,
    scoped_tasks,
    server_of,
    server_prefix,
    split_task_id,
)
from monitor.core.store import Added, Removed, TaskStore

A, B = server_prefix("alpha"), server_prefix("beta")


def _task(task_id: str, state: TaskState = TaskState.RUNNING) -> Task:
    return Task(id=task_id, name=f"job {task_id}", state=state, created_at=1.0)


def _store_with_both() -> TaskStore:
    store = TaskStore()
    store.apply_snapshot(scoped_tasks([_task("t1"), _task("t2")], A), received_at=1.0, scope=A)
    store.apply_snapshot(scoped_tasks([_task("t1")], B), received_at=1.0, scope=B)
    return store


def test_two_servers_snapshots_keep_each_others_tasks() -> None:
    store = _store_with_both()
    assert store.ids() == [A + "t1", A + "t2", B + "t1"]
    # B's next snapshot no longer has t1: only B's t1 goes.
    changes = store.apply_snapshot(scoped_tasks([_task("t9")], B), received_at=2.0, scope=B)
    assert Removed((B + "t1",)) in changes
    assert store.ids() == [A + "t1", A + "t2", B + "t9"]


def test_replace_all_rebuilds_one_namespace_only() -> None:
    store = _store_with_both()
    changes = store.replace_all(scoped_tasks([_task("t1", TaskState.QUEUED)], A), received_at=3.0, scope=A)
    assert changes[0] == Removed((A + "t1", A + "t2"))
    assert changes[1] == Added((A + "t1",))
    assert sorted(store.ids()) == [A + "t1", B + "t1"]
    record = store.get(A + "t1")
    assert record is not None
    assert record.state is TaskState.QUEUED
    assert store.get(B + "t1") is not None


def test_begin_lifetime_marks_one_namespace_old() -> None:
    store = _store_with_both()
    store.begin_lifetime(A)
    assert store.is_old_lifetime(A + "t1")
    assert store.is_old_lifetime(A + "t2")
    assert not store.is_old_lifetime(B + "t1")
    store.begin_lifetime(B)  # a later lifetime of B keeps A's marks
    assert store.is_old_lifetime(A + "t2")
    assert store.is_old_lifetime(B + "t1")


def test_without_a_scope_everything_is_rebuilt_as_before() -> None:
    store = TaskStore()
    store.apply_snapshot([_task("t1"), _task("t2")], received_at=1.0)
    store.begin_lifetime()
    assert store.is_old_lifetime("t1")
    assert store.is_old_lifetime("t2")
    store.replace_all([_task("t3")], received_at=2.0)
    assert store.ids() == ["t3"]
    assert not store.is_old_lifetime("t3")


def test_ids_split_back_to_the_servers_own() -> None:
    assert split_task_id(A + "task-1") == ("alpha", "task-1")
    assert split_task_id("task-1") == ("", "task-1")
    assert server_of(B + "x") == "beta"
    assert local_id(B + "x") == "x"
    patch = TaskPatch(id="t1", received_at=1.0, progress=5.0)
    assert [p.id for p in scoped_patches([patch], B)] == [B + "t1"]
    assert scoped_patches([patch], "")[0] is patch
    assert patch.id == "t1"  # the patch itself is not changed


def test_the_server_qualifier_and_column_read_the_servers_name() -> None:
    from monitor.core.query import Query, parse_query
    from monitor.core.store import TaskColumn

    store = _store_with_both()
    query = parse_query('server:"BET"')
    assert isinstance(query, Query)
    store.set_filter(query=query)
    assert store.view_rows() == [B + "t1"]
    negated = parse_query("-server:alpha")
    assert isinstance(negated, Query)
    store.set_filter(query=negated)
    assert store.view_rows() == [B + "t1"]
    store.set_filter(query=Query())
    store.set_sort(TaskColumn.SERVER.key, descending=True)
    assert store.view_rows()[0] == B + "t1"
