"""The search-box language.

Plain words match a substring of the task's name or id (case-insensitive). Qualifiers narrow by
field: ``state:`` (a state or a group such as ``active``), ``name:``, ``id:``, ``worker:``,
``kind:``, ``server:`` (the name of the server a task came from, when several are watched).
Double quotes keep spaces (``name:"my file.wav"``); a leading ``-`` negates a term.
All terms must match. :func:`parse_query` never raises: a syntax error is a :class:`QuerySyntaxError`
with a message the UI shows inline and the query made of the terms that did parse
(:attr:`QuerySyntaxError.partial`), which the table keeps filtering by while the user types on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from monitor.core.protocol import TaskState
from monitor.core.servers import server_of

__all__ = ["QUALIFIERS", "STATE_GROUPS", "Query", "QuerySyntaxError", "QueryTarget", "Term", "parse_query"]

#: Field qualifiers the language knows.
QUALIFIERS: Final = ("state", "name", "id", "worker", "kind", "server")

#: State groups (sidebar entries) by lower-case name; ``all`` has every state.
STATE_GROUPS: Final[dict[str, frozenset[TaskState]]] = {
    "all": frozenset(TaskState),
    "active": frozenset({TaskState.QUEUED, TaskState.RUNNING, TaskState.PAUSED, TaskState.CANCELLING}),
    "queued": frozenset({TaskState.QUEUED}),
    "running": frozenset({TaskState.RUNNING, TaskState.CANCELLING}),
    "paused": frozenset({TaskState.PAUSED}),
    "cancelling": frozenset({TaskState.CANCELLING}),
    "completed": frozenset({TaskState.COMPLETED}),
    "failed": frozenset({TaskState.FAILED}),
    "cancelled": frozenset({TaskState.CANCELLED}),
    "finished": frozenset({TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED}),
}


class QueryTarget(Protocol):
    """What a query looks at (the store's task record satisfies it)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def state(self) -> TaskState: ...
    @property
    def worker(self) -> str | None: ...
    @property
    def kind(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Term:
    """One search term: ``field`` is None for plain text; ``value`` is already case-folded."""

    field: str | None
    value: str
    negated: bool = False
    states: frozenset[TaskState] = frozenset()


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: every term must match."""

    terms: tuple[Term, ...] = ()
    text: str = ""

    @property
    def is_empty(self) -> bool:
        """True when the query matches everything."""
        return not self.terms

    def matches(self, task: QueryTarget) -> bool:
        """Whether ``task`` passes every term."""
        for term in self.terms:
            if _term_matches(term, task) == term.negated:
                return False
        return True

    def predicate(self) -> Callable[[QueryTarget], bool]:
        """A fast callable for filtering many tasks."""
        return self.matches


@dataclass(frozen=True, slots=True)
class QuerySyntaxError:
    """A message for the user, the character position it refers to, and what is still valid.

    ``partial`` has every term that parsed (those before an unclosed quote, all but the broken
    ones otherwise). Typing ``state:failed`` passes through ``state`` (a plain word that matches
    nothing) and ``state:`` (an error): filtering by the valid part shows every task at ``state:``
    instead of keeping the empty table that ``state`` left (issue 12).
    """

    template: str
    position: int = 0
    partial: Query = Query()
    #: The ``{name}`` values of :attr:`template` (kept apart so the UI can translate the template).
    args: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        """The message in English (the UI translates :attr:`template` and fills in :attr:`args`)."""
        return self.template.format(**dict(self.args))


def _term_matches(term: Term, task: QueryTarget) -> bool:
    f = term.field
    if f is None:
        return term.value in task.name.casefold() or term.value in task.id.casefold()
    if f == "state":
        return task.state in term.states
    if f == "name":
        return term.value in task.name.casefold()
    if f == "id":
        return term.value in task.id.casefold()
    if f == "worker":
        return task.worker is not None and term.value in task.worker.casefold()
    if f == "server":
        return term.value in server_of(task.id).casefold()
    return term.value in task.kind.casefold()


def _tokens(text: str) -> tuple[list[tuple[int, str, bool]], QuerySyntaxError | None]:
    """Split on whitespace outside quotes: (start, raw token, had quotes), and the error that
    stopped the split (an unclosed quote), with the tokens before it."""
    out: list[tuple[int, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        start, buf, quoted = i, [], False
        while i < n and not text[i].isspace():
            if text[i] == '"':
                close = text.find('"', i + 1)
                if close < 0:
                    return out, QuerySyntaxError(
                        "Missing closing quote for the quote at {at}", i, args=(("at", str(i + 1)),)
                    )
                buf.append("\x00" + text[i + 1 : close])  # \x00 marks a quoted chunk
                quoted = True
                i = close + 1
            else:
                buf.append(text[i])
                i += 1
        out.append((start, "".join(buf), quoted))
    return out, None


def parse_query(text: str) -> Query | QuerySyntaxError:
    """Parse the search box text.

    Args:
        text: What the user typed.

    Returns:
        A :class:`Query`, or a :class:`QuerySyntaxError` (never raises).
    """
    toks, error = _tokens(text)
    terms: list[Term] = []
    for start, raw, _quoted in toks:
        term = _term(start, raw)
        if isinstance(term, QuerySyntaxError):
            error = error if error is not None and error.position < term.position else term
        elif term is not None:
            terms.append(term)
    if error is not None:
        return QuerySyntaxError(error.template, error.position, Query(tuple(terms), text), error.args)
    return Query(tuple(terms), text)


def _term(start: int, raw: str) -> Term | QuerySyntaxError | None:
    """One token as a term (None for an empty one, such as a lone ``""``)."""
    negated = raw.startswith("-") and len(raw) > 1
    body = raw[1:] if negated else raw
    field: str | None = None
    # A qualifier is only recognised before any quoted part ("a:b" inside quotes is text).
    head, sep, rest = body.partition(":")
    if sep and "\x00" not in head:
        key = head.casefold()
        if key not in QUALIFIERS:
            return QuerySyntaxError(
                "Unknown filter '{name}:' (use {known} or put the text in quotes)",
                start,
                args=(("name", head), ("known", ", ".join(q + ":" for q in QUALIFIERS))),
            )
        field, body = key, rest
    value = body.replace("\x00", "").casefold()
    if field is not None and not value:
        return QuerySyntaxError("'{name}:' needs a value", start, args=(("name", field),))
    if not value:
        return None
    states: frozenset[TaskState] = frozenset()
    if field == "state":
        group = STATE_GROUPS.get(value)
        if group is None:
            return QuerySyntaxError(
                "Unknown state '{name}' (use one of {known})",
                start,
                args=(("name", value), ("known", ", ".join(STATE_GROUPS))),
            )
        states = group
    return Term(field, value, negated, states)
