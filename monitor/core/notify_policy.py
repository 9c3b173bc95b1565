"""Which desktop notifications to show, and when: a pure policy with an injectable clock.

The policy turns facts (a task completed, failed or was cancelled; the connection dropped or came
back; nothing is running any more) into a few :class:`Notice` objects. It never talks to a
notification server: ``monitor.services.notifier`` delivers what :meth:`NotificationPolicy.due`
returns. Rules (ux.md §2 items 1-3 are the complaints they answer):

* Per-event toggles (:class:`~monitor.core.settings.NotificationSettings`); ``enabled=False``
  silences everything.
* At most one notice per task, event and attempt: a task that fails, is retried and fails
  again notifies twice; the same failure replayed after a reconnect notifies once.
* Grouping: events of the same kind arriving within ``group_window_s`` of the first one are
  merged ("3 tasks completed" / "a, b, c"). A group is released ``group_window_s`` after its
  first event, so latency is bounded even under a steady stream.
* A connection loss followed by a restore inside the group window is a blip: neither is shown.
  A loss says its cause (:class:`ConnectionLoss`): a server never reached ("Cannot reach the
  server at ..."), a refused token ("Authentication failed", the status chip's words), a URL that
  serves no event stream, or a live stream lost ("Connection lost, reconnecting…"). A terminal
  cause learnt while already offline (the retry after a drop gets a 401) replaces the loss notice.
* Do not disturb (decision): suppresses the desktop toast of everything **except task
  failures**, which a user cannot afford to miss (KDE shows critical notices in DND too). The
  suppressed notices are still returned with ``toast=False`` so the window may show them in its
  unobtrusive in-window banner.
* While the user is in the app (``window_focused``: its window or one of its dialogs is active,
  or one of its menus is open) and ``quiet_when_focused`` is on, notices are returned with
  ``toast=False`` too (the user is looking at the app already; the banner tells them).
* Failures are critical and never expire (``timeout_s=None``); successes expire after
  ``success_timeout_s``.
* Server messages (seed 004, :mod:`monitor.core.messages`): system messages, error messages and
  any message of critical priority notify, each kind with its own toggle (``message_system``,
  ``message_error``, ``message_critical``; a message takes the first enabled of its type's kind
  and, if critical, MESSAGE_CRITICAL). System ``connect``/``reconnect``/``disconnect`` notices
  never notify: the connection notices already say that, and seed 004's server sends a critical
  ``connect`` on every (re)connection. Error and critical messages are shown critical, but only
  task failures pass do-not-disturb (a server must not be able to break through it). A message
  id notifies once (the memory of ids is bounded by :data:`MESSAGE_MEMORY`).
* Memory is bounded: a group keeps at most :data:`MAX_PENDING_ITEMS` items and counts the rest.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from monitor.core.messages import ChatMessage, MessageKind
from monitor.core.protocol import MessagePriority
from monitor.core.settings import NotificationSettings
from monitor.core.text import display_line, display_text

__all__ = [
    "MAX_NAMES_IN_BODY",
    "MAX_PENDING_ITEMS",
    "MESSAGE_MEMORY",
    "ConnectionLoss",
    "Notice",
    "NotificationPolicy",
    "NotifyEvent",
]

#: Names listed in a grouped notice's body before "and N more".
MAX_NAMES_IN_BODY = 5
#: Items a pending group keeps (task ids for the click; later ones are only counted).
MAX_PENDING_ITEMS = 1000
#: Message ids remembered so that a resent message does not notify twice.
MESSAGE_MEMORY = 2048
#: Longest message text in a notice body (characters).
_MAX_MESSAGE_BODY = 300
#: System events that are the connection's own business (its notices cover them).
_QUIET_SYSTEM_EVENTS = frozenset({"connect", "reconnect", "disconnect"})


class NotifyEvent(StrEnum):
    """Kinds of notice; each has a toggle of the same name in ``NotificationSettings``."""

    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    CONNECTION_LOST = "connection_lost"
    CONNECTION_RESTORED = "connection_restored"
    ALL_DONE = "all_done"
    MESSAGE_SYSTEM = "message_system"
    MESSAGE_ERROR = "message_error"
    MESSAGE_CRITICAL = "message_critical"


class ConnectionLoss(StrEnum):
    """Why the stream is not live, as far as the words of a loss notice go."""

    UNREACHABLE = "unreachable"  # never live with this server: it may be wrong or down
    AUTH = "auth"  # 401/403: the token was refused
    NOT_A_SERVER = "not_a_server"  # the URL serves no event stream (404, wrong content type)
    LOST = "lost"  # it was live, and the stream dropped: retrying


#: Causes that end the retries: learnt while already offline, they replace the loss notice.
_TERMINAL_LOSSES = frozenset({ConnectionLoss.AUTH, ConnectionLoss.NOT_A_SERVER})

_TASK_EVENTS = frozenset({NotifyEvent.COMPLETED, NotifyEvent.FAILED, NotifyEvent.CANCELLED})
_MESSAGE_EVENTS = frozenset(
    {NotifyEvent.MESSAGE_SYSTEM, NotifyEvent.MESSAGE_ERROR, NotifyEvent.MESSAGE_CRITICAL}
)


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification to deliver.

    Attributes:
        kind: What happened.
        title: Plain-text summary line.
        body: Plain-text body (the deliverer escapes it for the D-Bus markup rules).
        task_ids: Tasks concerned, in arrival order (clicking activates the first).
        critical: Failures: shown with critical urgency.
        timeout_s: Seconds until the notice expires; None = stays until dismissed.
        toast: False when DND or window focus asks for the in-window banner only.
        count: Number of events merged into this notice.
    """

    kind: NotifyEvent
    title: str
    body: str
    task_ids: tuple[str, ...] = ()
    critical: bool = False
    timeout_s: float | None = None
    toast: bool = True
    count: int = 1


@dataclass(slots=True)
class _Pending:
    first_at: float
    items: list[tuple[str, str, str | None]] = field(default_factory=list)  # (task_id, name, detail)
    count: int = 0  # items seen, including those beyond MAX_PENDING_ITEMS


Translate = Callable[[str], str]


def _identity(text: str) -> str:
    return text


class NotificationPolicy:
    """Decides which notices to show (see the module docstring for the rules).

    Args:
        settings: The toggles; replace with :meth:`update_settings`.
        clock: Monotonic seconds; tests pass a fake.
        translate: Applied to every fixed phrase (the UI passes a Qt translation function).
            Phrases contain ``{n}``/``{name}`` placeholders that are filled in after translation.
    """

    def __init__(
        self,
        settings: NotificationSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        translate: Translate = _identity,
    ) -> None:
        self._settings = settings or NotificationSettings()
        self._clock = clock
        self._tr = translate
        self._pending: dict[NotifyEvent, _Pending] = {}
        # Per task (so forgetting one is O(1), not a walk over all: a resync forgets thousands).
        self._seen: dict[str, set[tuple[NotifyEvent, int]]] = {}
        self._seen_messages: set[str] = set()
        self._message_order: deque[str] = deque()
        self._connection_lost = False
        self._loss = ConnectionLoss.LOST
        self._loss_server = ""
        self._active = 0
        self.dnd = False
        self.window_focused = False

    # ------------------------------------------------------------------ configuration

    @property
    def settings(self) -> NotificationSettings:
        """The current toggles."""
        return self._settings

    def update_settings(self, settings: NotificationSettings) -> None:
        """Use new toggles from now on; pending groups of now-disabled kinds are dropped."""
        self._settings = settings
        for kind in list(self._pending):
            if not self._enabled(kind):
                del self._pending[kind]

    def _enabled(self, kind: NotifyEvent) -> bool:
        return self._settings.enabled and bool(getattr(self._settings, kind.value))

    # ------------------------------------------------------------------ facts in

    def task_finished(
        self, kind: NotifyEvent, task_id: str, name: str, *, attempt: int = 1, detail: str | None = None
    ) -> bool:
        """Record that a task completed, failed or was cancelled.

        Args:
            kind: COMPLETED, FAILED or CANCELLED.
            task_id: The task's id.
            name: Its display name.
            attempt: The task's attempt number: a retried task may notify again.
            detail: For failures, the one-line error message.

        Returns:
            True if a notice was queued; False if disabled or already notified.

        Raises:
            ValueError: If ``kind`` is not a task event.
        """
        if kind not in _TASK_EVENTS:
            raise ValueError(f"{kind} is not a task event")
        key = (kind, attempt)
        seen = self._seen.get(task_id)
        if (seen is not None and key in seen) or not self._enabled(kind):
            return False
        self._seen.setdefault(task_id, set()).add(key)
        self._queue(kind, (task_id, name, detail))
        return True

    def forget_task(self, task_id: str) -> None:
        """Drop the once-per-task memory of a removed task (keeps the memory bounded)."""
        self._seen.pop(task_id, None)

    @property
    def remembered_tasks(self) -> int:
        """How many tasks the once-per-task memory holds (bounded by the tasks still listed)."""
        return len(self._seen)

    def connection_changed(
        self,
        connected: bool,
        reason: str = "",
        *,
        cause: ConnectionLoss = ConnectionLoss.LOST,
        server: str = "",
    ) -> bool:
        """Record a connection transition (only real transitions count).

        Args:
            connected: True when the stream is live (or polling) again, False when it was lost.
            reason: Plain-text cause, shown in the body of a loss notice.
            cause: Which words the loss notice uses (ignored when ``connected``).
            server: The server's URL, named by the "cannot reach" and authentication notices.

        Returns:
            True if this changed what is pending.
        """
        if connected:
            if not self._connection_lost:
                return False
            self._connection_lost = False
            if self._pending.pop(NotifyEvent.CONNECTION_LOST, None) is not None:
                return True  # a blip: lost and back within the window, say nothing
            if self._enabled(NotifyEvent.CONNECTION_RESTORED):
                self._queue(NotifyEvent.CONNECTION_RESTORED, ("", "", None))
            return True
        if self._connection_lost:
            if cause is self._loss or cause not in _TERMINAL_LOSSES:
                return False
            # Offline already, and now a cause retrying cannot cure: say so instead.
            self._pending.pop(NotifyEvent.CONNECTION_LOST, None)
        self._connection_lost = True
        self._loss, self._loss_server = cause, server
        self._pending.pop(NotifyEvent.CONNECTION_RESTORED, None)
        if self._enabled(NotifyEvent.CONNECTION_LOST):
            self._queue(NotifyEvent.CONNECTION_LOST, ("", "", reason or None))
        return True

    def active_count_changed(self, active: int) -> bool:
        """Record how many tasks are queued/running/paused; going to 0 queues "all done".

        Returns:
            True if an "all done" notice was queued.
        """
        was, self._active = self._active, max(0, active)
        if was > 0 and self._active == 0 and self._enabled(NotifyEvent.ALL_DONE):
            self._queue(NotifyEvent.ALL_DONE, ("", "", None))
            return True
        return False

    def message_received(self, message: ChatMessage) -> NotifyEvent | None:
        """Record a server message (see the module docstring for which ones notify).

        Returns:
            The kind of notice queued, or None (not notifying, disabled, or already seen).
        """
        if message.kind is MessageKind.SYSTEM and message.system_event in _QUIET_SYSTEM_EVENTS:
            return None
        candidates = {
            MessageKind.SYSTEM: [NotifyEvent.MESSAGE_SYSTEM],
            MessageKind.ERROR: [NotifyEvent.MESSAGE_ERROR],
        }.get(message.kind, [])
        if message.priority is MessagePriority.CRITICAL:
            candidates = [*candidates, NotifyEvent.MESSAGE_CRITICAL]
        kind = next((k for k in candidates if self._enabled(k)), None)
        if kind is None or message.id in self._seen_messages:
            return None
        self._remember_message(message.id)
        self._queue(kind, ("", message.source, message.text))
        return kind

    def _remember_message(self, message_id: str) -> None:
        self._seen_messages.add(message_id)
        self._message_order.append(message_id)
        if len(self._message_order) > MESSAGE_MEMORY:
            self._seen_messages.discard(self._message_order.popleft())

    def _queue(self, kind: NotifyEvent, item: tuple[str, str, str | None]) -> None:
        pending = self._pending.get(kind)
        if pending is None:
            pending = self._pending[kind] = _Pending(self._clock())
        pending.count += 1
        if len(pending.items) < MAX_PENDING_ITEMS:
            pending.items.append(item)

    # ------------------------------------------------------------------ notices out

    def next_due_at(self) -> float | None:
        """Clock time at which :meth:`due` will next return something, or None if nothing waits."""
        if not self._pending:
            return None
        return min(p.first_at for p in self._pending.values()) + self._settings.group_window_s

    def due(self) -> list[Notice]:
        """Release the groups whose window has elapsed, failures first."""
        now = self._clock()
        window = self._settings.group_window_s
        ready = [k for k, p in self._pending.items() if now - p.first_at >= window]
        return self._release(ready)

    def flush(self) -> list[Notice]:
        """Release everything pending now (on quit, or when grouping is not wanted)."""
        return self._release(list(self._pending))

    def _release(self, kinds: list[NotifyEvent]) -> list[Notice]:
        order = list(NotifyEvent)
        kinds.sort(key=lambda k: (k is not NotifyEvent.FAILED, order.index(k)))
        return [self._build(k, self._pending.pop(k)) for k in kinds]

    def _build(self, kind: NotifyEvent, pending: _Pending) -> Notice:
        tr = self._tr
        items = pending.items
        n = pending.count
        ids = tuple(i[0] for i in items if i[0])
        critical = kind in (NotifyEvent.FAILED, NotifyEvent.MESSAGE_ERROR, NotifyEvent.MESSAGE_CRITICAL)
        if kind in _MESSAGE_EVENTS:
            title, body = self._message_text(kind, items, n)
        elif kind in _TASK_EVENTS:
            if n == 1:
                title = {
                    NotifyEvent.COMPLETED: tr("Task completed"),
                    NotifyEvent.FAILED: tr("Task failed"),
                    NotifyEvent.CANCELLED: tr("Task cancelled"),
                }[kind]
                _, name, detail = items[0]
                body = f"{name}: {detail}" if detail else name
            else:
                title = {
                    NotifyEvent.COMPLETED: tr("{n} tasks completed"),
                    NotifyEvent.FAILED: tr("{n} tasks failed"),
                    NotifyEvent.CANCELLED: tr("{n} tasks cancelled"),
                }[kind].format(n=n)
                names = [i[1] for i in items[:MAX_NAMES_IN_BODY]]
                body = ", ".join(names)
                if n > MAX_NAMES_IN_BODY:
                    body += tr(" and {n} more").format(n=n - MAX_NAMES_IN_BODY)
        elif kind is NotifyEvent.CONNECTION_LOST:
            title, body = self._loss_text(items[0][2])
        elif kind is NotifyEvent.CONNECTION_RESTORED:
            title = tr("Connection restored")
            body = tr("Live updates resumed.")
        else:
            title = tr("All tasks done")
            body = tr("Nothing is running any more.")
        # Task failures ignore DND (decision in the module docstring); focus silences all toasts.
        toast = not (self.dnd and kind is not NotifyEvent.FAILED) and not (
            self.window_focused and self._settings.quiet_when_focused
        )
        return Notice(
            kind=kind,
            title=display_line(title, None),  # names and texts are the server's: controls shown
            body=display_text(body),
            task_ids=ids,
            critical=critical,
            timeout_s=None if critical else self._settings.success_timeout_s,
            toast=toast,
            count=n,
        )

    def _loss_text(self, reason: str | None) -> tuple[str, str]:
        tr = self._tr
        server = self._loss_server or tr("the server")
        retrying = tr("Monitor keeps retrying in the background.")
        if self._loss is ConnectionLoss.AUTH:
            # The chip's words; the server's reason may be a raw body, the fix is the token.
            return tr("Authentication failed"), tr(
                "{name} refused the access token. Check it in Settings."
            ).format(name=server)
        if self._loss is ConnectionLoss.NOT_A_SERVER:
            return tr("Not a Monitor server"), tr("{name} serves no task event stream.").format(name=server)
        if self._loss is ConnectionLoss.UNREACHABLE:
            title = tr("Cannot reach the server at {name}").format(name=server)
            return title, f"{reason}\n{retrying}" if reason else retrying
        return tr("Connection lost, reconnecting…"), reason or retrying

    def _message_text(
        self, kind: NotifyEvent, items: list[tuple[str, str, str | None]], n: int
    ) -> tuple[str, str]:
        tr = self._tr
        if n == 1:
            _, source, text = items[0]
            title = {
                NotifyEvent.MESSAGE_SYSTEM: tr("System message from {name}"),
                NotifyEvent.MESSAGE_ERROR: tr("Error message from {name}"),
                NotifyEvent.MESSAGE_CRITICAL: tr("Urgent message from {name}"),
            }[kind].format(name=source or tr("the server"))
            return title, _clip(text or "", _MAX_MESSAGE_BODY)
        title = {
            NotifyEvent.MESSAGE_SYSTEM: tr("{n} system messages"),
            NotifyEvent.MESSAGE_ERROR: tr("{n} error messages"),
            NotifyEvent.MESSAGE_CRITICAL: tr("{n} urgent messages"),
        }[kind].format(n=n)
        body = "\n".join(_clip(i[2] or "", 80) for i in items[:MAX_NAMES_IN_BODY])
        if n > MAX_NAMES_IN_BODY:
            body += tr(" and {n} more").format(n=n - MAX_NAMES_IN_BODY)
        return title, body


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
