"""The notification history and what "Open result" may open."""

from __future__ import annotations

import pytest

from monitor.core.notify_history import NotificationHistory, Outcome, result_link


def test_history_is_bounded_and_numbers_stay() -> None:
    history = NotificationHistory(capacity=3)
    for i in range(5):
        history.add(shown_at=float(i), title=f"t{i}", body="", path="dbus")
    assert [e.number for e in history.entries] == [3, 4, 5]
    assert len(history) == 3
    assert history.mark(1, Outcome.CLICKED, 9.0) is None  # dropped: nothing to mark


def test_the_first_action_counts() -> None:
    history = NotificationHistory()
    entry = history.add(shown_at=1.0, title="Task failed", body="a.wav", path="banner", task_ids=("a",))
    marked = history.mark(entry.number, Outcome.RETRIED, 2.0)
    assert marked is not None
    assert (marked.outcome, marked.acted_at) == (Outcome.RETRIED, 2.0)
    again = history.mark(entry.number, Outcome.CLICKED, 3.0)
    assert again is not None
    assert (again.outcome, again.acted_at) == (Outcome.RETRIED, 2.0)


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        NotificationHistory(capacity=0)


@pytest.mark.parametrize(
    ("result", "link"),
    [
        ("https://example.org/out/a.txt", "https://example.org/out/a.txt"),
        ({"url": "http://h/x"}, "http://h/x"),
        ({"transcript": "hi", "path": "/srv/out/a.txt"}, "/srv/out/a.txt"),
        ({"output_path": "C:\\out\\a.txt"}, "C:\\out\\a.txt"),
        ({"file": "file:///tmp/a.txt"}, "file:///tmp/a.txt"),
        ("  /data/a.srt  ", "/data/a.srt"),
        # Refused: other schemes, relative paths, control characters, non-strings, nothing.
        ("javascript:alert(1)", None),
        ({"url": "smb://host/share"}, None),
        ("out/a.txt", None),
        ("/tmp/a\nb", None),
        ("/tmp/\u009ba", None),
        ({"url": 42}, None),
        (["https://x"], None),
        (None, None),
        ("https://" + "a" * 3000, None),
    ],
)
def test_result_link(result: object, link: str | None) -> None:
    assert result_link(result) == link  # type: ignore[arg-type]
