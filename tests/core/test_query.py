"""The search language: text, qualifiers, quotes, negation, inline errors."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from monitor.core.protocol import TaskState
from monitor.core.query import Query, QuerySyntaxError, parse_query


@dataclass
class T:
    id: str
    name: str
    state: TaskState = TaskState.RUNNING
    worker: str | None = None
    kind: str = "transcription"


TASKS = [
    T("a1", "Meeting Notes.wav", TaskState.RUNNING, "gpu-1"),
    T("b2", "interview.mp3", TaskState.FAILED, "gpu-2", "upload"),
    T("c3", "my file.wav", TaskState.COMPLETED, None),
]


def ids(text: str) -> list[str]:
    q = parse_query(text)
    assert isinstance(q, Query), q
    return [t.id for t in TASKS if q.matches(t)]


def test_plain_text_matches_name_or_id_case_insensitive() -> None:
    assert ids("") == ["a1", "b2", "c3"]
    assert ids("MEETING") == ["a1"]
    assert ids("b2") == ["b2"]
    assert ids(".wav") == ["a1", "c3"]


def test_qualifiers_and_groups() -> None:
    assert ids("state:failed") == ["b2"]
    assert ids("state:active") == ["a1"]
    assert ids("state:finished") == ["b2", "c3"]
    assert ids("worker:gpu") == ["a1", "b2"]
    assert ids("kind:upload") == ["b2"]
    assert ids("name:wav id:c") == ["c3"]


def test_quotes_and_negation() -> None:
    assert ids('"my file"') == ["c3"]
    assert ids('name:"my file.wav"') == ["c3"]
    assert ids("-state:failed") == ["a1", "c3"]
    assert ids("-wav") == ["b2"]
    assert ids('"a:b"') == []  # quoted colon is plain text, not a qualifier
    assert ids("-") == []  # a lone dash is text (ids often contain dashes), not a negation


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("foo:bar", "Unknown filter 'foo:'"),
        ('"open', "closing quote"),
        ("state:weird", "Unknown state"),
        ("name:", "needs a value"),
    ],
)
def test_syntax_errors_are_values(text: str, fragment: str) -> None:
    err = parse_query(text)
    assert isinstance(err, QuerySyntaxError)
    assert fragment in err.message


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("state:", ()),
        ("wav state:weird", ("wav",)),
        ("state:weird wav", ("wav",)),
        ('wav name:"open', ("wav",)),
        ("a bogus:x -b", ("a", "b")),
    ],
)
def test_a_syntax_error_keeps_the_terms_that_parsed(text: str, kept: tuple[str, ...]) -> None:
    err = parse_query(text)
    assert isinstance(err, QuerySyntaxError)
    assert tuple(t.value for t in err.partial.terms) == kept


def test_the_first_error_is_reported() -> None:
    err = parse_query('state:weird bogus:x "open')
    assert isinstance(err, QuerySyntaxError)
    assert err.position == 0
    assert "Unknown state" in err.message
