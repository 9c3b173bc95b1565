"""The server's typed app state, and the FastAPI dependency that hands it to a route.

``create_app`` builds one :class:`ServerState` and stores it on the FastAPI app
(``app.state.server``); routes declare a parameter of type :data:`StateDep` to receive it. Nothing
is looked up by string key.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Protocol

from fastapi import Depends, Request

from monitor.core.protocol import CommandRequest, CommandView, MessageSent
from monitor.server.auth import Principal
from monitor.server.config import ServerConfig
from monitor.server.executors import ExecutorRegistry
from monitor.server.hub import Hub
from monitor.server.identity import ClientRegistry
from monitor.server.log import EventLog
from monitor.server.scheduler import CommandRecord, CommandScheduler
from monitor.server.tasks import TaskService

__all__ = ["MAX_REMEMBERED_MESSAGES", "CommandIntake", "ServerState", "StateDep", "server_state"]

#: How many message ids ``POST /api/messages`` remembers for its once-only delivery.
MAX_REMEMBERED_MESSAGES = 10_000


class CommandIntake(Protocol):
    """Where ``POST /api/commands`` hands a command: the local
    :class:`~monitor.server.scheduler.CommandScheduler`, or (replicas on Redis)
    :class:`~monitor.server.shared_commands.SharedCommands`."""

    async def submit(self, request: CommandRequest, *, client_id: str | None) -> str:
        """Accept ``request`` for running; return its command id."""
        ...


@dataclass(slots=True)
class ServerState:
    """Everything the routes share.

    Attributes:
        config: Settings in force.
        hub: Streams and publishing (its ``log`` is the event log).
        tasks: The task service.
        scheduler: The command scheduler.
        cancel_wait_s: How long ``DELETE /api/commands/{id}`` waits for a running handler to stop
            before it answers ``202`` (cancellation requested, still running).
        registry: Which principal owns which client id.
        sole_principal: True when one principal is all there is (auth off, or one token).
        intake: Where ``POST /api/commands`` submits: the scheduler itself, or (replicas on
            Redis) the shared queue any replica's scheduler claims from.
        elsewhere: Replicas on Redis: where a command this replica does not hold is (None: no
            other replica).
        cancel_elsewhere: Replicas on Redis: asks the replica holding a command to cancel it.
        delivered: Answers already given per message id (oldest first, bounded), so that a message
            sent twice with the same id is delivered once.
        command_owners: The principal that sent each recent command (oldest first, bounded).
        executors: Commands handed to external executors (monitor.server.executors).
    """

    config: ServerConfig
    hub: Hub
    tasks: TaskService
    scheduler: CommandScheduler
    cancel_wait_s: float
    registry: ClientRegistry
    intake: CommandIntake
    sole_principal: bool = True
    elsewhere: Callable[[str], Awaitable[CommandView | None]] | None = None
    cancel_elsewhere: Callable[[str], Awaitable[None]] | None = None
    delivered: OrderedDict[str, MessageSent] = field(default_factory=OrderedDict)
    command_owners: OrderedDict[str, str] = field(default_factory=OrderedDict)
    executors: ExecutorRegistry = field(default_factory=ExecutorRegistry)

    @property
    def log(self) -> EventLog:
        """The event log."""
        return self.hub.log

    def remember(self, message_id: str, answer: MessageSent) -> None:
        """Keep ``answer`` for ``message_id``, forgetting the oldest beyond the bound."""
        self.delivered[message_id] = answer
        while len(self.delivered) > MAX_REMEMBERED_MESSAGES:
            self.delivered.popitem(last=False)

    def own_command(self, command_id: str, principal: Principal) -> None:
        """Record that ``principal`` sent ``command_id``."""
        self.command_owners[command_id] = principal.name
        while len(self.command_owners) > MAX_REMEMBERED_MESSAGES:
            self.command_owners.popitem(last=False)

    def may_see_command(self, record: CommandRecord | CommandView, principal: Principal) -> bool:
        """True if ``principal`` sent the command (or may not be told apart from who did).

        ``record`` is this replica's, or (replicas on Redis) another replica's view of it.

        The sender is the recorded principal, else the owner of the command's client id (a
        command from before a restart); one of neither is everybody's when one principal is all
        there is, else an admin's.
        """
        owner = self.command_owners.get(record.command_id)
        if owner is None and record.client_id is not None:
            owner = self.registry.owner(record.client_id)
        if owner is None:
            return self.sole_principal or principal.admin or not self.registry.enabled
        return owner == principal.name or not self.registry.enabled


def server_state(request: Request) -> ServerState:
    """FastAPI dependency: the :class:`ServerState` of the app serving ``request``."""
    state = request.app.state.server
    if not isinstance(state, ServerState):  # only create_app builds these apps
        raise TypeError("app.state.server is not a ServerState")
    return state


#: Route parameter annotation that receives the :class:`ServerState`.
StateDep = Annotated[ServerState, Depends(server_state)]
