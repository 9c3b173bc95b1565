"""Identity is the token's (issue 13, item 10): two principals against a real server on loopback.

Alice, Bob and an admin each hold a token. A client id belongs to the principal that used it
first; targeted events, acks, command results, cancel and ``/api/connections`` follow from that.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from monitor.core.protocol import CommandStatus, ErrorBody
from monitor.server.app import MonitorApp, create_app
from monitor.server.auth import (
    ANONYMOUS,
    Principal,
    TokenChecker,
    read_tokens_file,
    scrub_query,
    token_checker,
)
from monitor.server.config import ServerConfig, load_config
from monitor.server.runner import ServerThread
from monitor.server.sqlite_log import SqliteLog
from tests.server.sse_helpers import RawSSE, until
from tests.server.test_app import ack_of, next_of
from tests.server.test_hostile import FullDisk

QUIET = {"heartbeat_interval_ms": 60_000, "keepalive_interval_ms": 60_000}
ALICE, BOB, ROOT = "tok-alice-1f9c", "tok-bob-77e2", "tok-root-0b3d"
PRINCIPALS = [
    {"name": "alice", "token": ALICE},
    {"name": "bob", "token": BOB},
    {"name": "root", "token": ROOT, "admin": True},
]


def bearer(token: str, client_id: str | None = None) -> dict[str, str]:
    hdr = {"Authorization": f"Bearer {token}"}
    return {**hdr, "X-Client-Id": client_id} if client_id else hdr


def http(url: str, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=5.0, trust_env=False, headers=bearer(token) if token else None)


@pytest.fixture
def two() -> Iterator[tuple[MonitorApp, ServerThread]]:
    app = create_app(ServerConfig(db=":memory:", principals=PRINCIPALS, **QUIET))  # type: ignore[arg-type]
    with ServerThread(app) as server:
        yield app, server


def forbidden(resp: httpx.Response | RawSSE, client_id: str) -> None:
    """A 403 with a JSON error that names the id and says it is someone else's."""
    status = resp.status if isinstance(resp, RawSSE) else resp.status_code
    assert status == 403
    if isinstance(resp, httpx.Response):
        err = ErrorBody.model_validate(resp.json())
        assert client_id in err.error
        assert "another principal" in err.error


# ---------------------------------------------------------------------------- client ids


@pytest.mark.asyncio
async def test_a_client_id_is_only_accepted_for_the_principal_that_registered_it(
    two: tuple[MonitorApp, ServerThread],
) -> None:
    _, server = two
    async with RawSSE(server.url, headers=bearer(ALICE, "alice-laptop")) as mine:
        assert mine.status == 200
        async with RawSSE(server.url, headers=bearer(BOB, "alice-laptop")) as theirs:
            forbidden(theirs, "alice-laptop")
        with http(server.url, BOB) as bob:
            # Every route that takes a client id, header or query, not only the stream.
            forbidden(bob.get("/api/tasks/poll", params={"clientId": "alice-laptop"}), "alice-laptop")
            forbidden(bob.get("/api/tasks", headers={"X-Client-Id": "alice-laptop"}), "alice-laptop")
            forbidden(
                bob.post("/api/messages", json={"payload": {}}, headers={"X-Client-Id": "alice-laptop"}),
                "alice-laptop",
            )
            # Unauthenticated requests on the open path never register an id.
            with http(server.url) as nobody:
                assert nobody.get("/healthz", headers={"X-Client-Id": "free-id"}).status_code == 200
            assert bob.get("/api/tasks", headers={"X-Client-Id": "free-id"}).status_code == 200
        with http(server.url, ALICE) as alice:
            assert alice.get("/api/tasks/poll", params={"clientId": "alice-laptop"}).status_code == 200
            forbidden(alice.get("/api/tasks", headers={"X-Client-Id": "free-id"}), "free-id")


@pytest.mark.asyncio
async def test_another_principal_cannot_read_direct_messages(two: tuple[MonitorApp, ServerThread]) -> None:
    _, server = two
    with http(server.url, ALICE) as alice, http(server.url, BOB) as bob:
        alice.post("/api/tasks", json={"name": "a.wav"})  # the log is not empty: a real cursor
        cursor = alice.get("/api/tasks").json()["cursor"]
        async with RawSSE(server.url, headers=bearer(ALICE, "alice-laptop")) as sse:
            sent = bob.post("/api/direct/alice-laptop", json={"payload": {"text": "for alice only"}})
            assert sent.status_code == 200
            assert "for alice only" in (await next_of(sse, "text")).data
        # Bob replays the log as Alice's client id: refused, stream and poll alike.
        async with RawSSE(
            server.url, headers={**bearer(BOB, "alice-laptop"), "Last-Event-ID": cursor}
        ) as replay:
            forbidden(replay, "alice-laptop")
        poll = bob.get("/api/tasks/poll", params={"after": cursor}, headers={"X-Client-Id": "bob-laptop"})
        assert poll.status_code == 200
        assert "for alice only" not in poll.text
        assert (
            alice.get(
                "/api/tasks/poll", params={"after": cursor}, headers={"X-Client-Id": "alice-laptop"}
            ).text.count("for alice only")
            == 1
        )


@pytest.mark.asyncio
async def test_commands_results_and_cancel_belong_to_their_sender(
    two: tuple[MonitorApp, ServerThread],
) -> None:
    _, server = two
    with http(server.url, ALICE) as alice, http(server.url, BOB) as bob:
        tid = alice.post("/api/tasks", json={"name": "a.wav"}).json()["id"]
        async with RawSSE(server.url, headers=bearer(ALICE, "alice-laptop")) as sse:
            resp = alice.post(
                "/api/commands",
                json={"action": "pause", "taskId": tid},
                headers={"X-Client-Id": "alice-laptop"},
            )
            assert resp.status_code == 202
            command_id = resp.json()["commandId"]
            assert ack_of(await next_of(sse, "ack")).command_id == command_id
        assert alice.get(f"/api/commands/{command_id}").status_code == 200
        # Bob neither reads nor cancels it: as unknown to him as a wrong id.
        assert bob.get(f"/api/commands/{command_id}").status_code == 404
        assert bob.delete(f"/api/commands/{command_id}").status_code == 404
        # Nor gets his commands acked to Alice's client, by body or envelope.
        flat = bob.post("/api/commands", json={"action": "resume", "taskId": tid, "clientId": "alice-laptop"})
        forbidden(flat, "alice-laptop")
        envelope = {
            "id": "m-1",
            "type": "command",
            "source": "alice-laptop",
            "timestamp": 1,
            "payload": {"action": "resume", "taskId": tid},
        }
        forbidden(bob.post("/api/commands", json=envelope), "alice-laptop")
        # Nor sends a message that claims to come from her client.
        forbidden(bob.post("/api/messages", json={"source": "alice-laptop", "payload": {}}), "alice-laptop")


@pytest.mark.asyncio
async def test_a_message_id_delivers_once_per_principal(two: tuple[MonitorApp, ServerThread]) -> None:
    """Bob reusing Alice's message id sends his message; it does not get her answer instead."""
    _, server = two
    with http(server.url, ALICE) as alice, http(server.url, BOB) as bob:
        async with RawSSE(server.url, headers=bearer(BOB, "bob-laptop")) as sse:
            first = alice.post("/api/messages", json={"id": "m-1", "payload": {"from": "alice"}})
            assert '"alice"' in (await next_of(sse, "text")).data
            again = alice.post("/api/messages", json={"id": "m-1", "payload": {"from": "alice"}})
            assert again.json() == first.json()  # delivered once for Alice
            theirs = bob.post("/api/messages", json={"id": "m-1", "payload": {"from": "bob"}})
            assert theirs.json()["eventId"] != first.json()["eventId"]
            assert '"bob"' in (await next_of(sse, "text")).data


@pytest.mark.asyncio
async def test_acks_of_a_command_without_client_id_are_not_broadcast_to_other_principals(
    two: tuple[MonitorApp, ServerThread],
) -> None:
    url = two[1].url
    with http(url, ALICE) as alice, http(url, BOB) as bob:
        tid = alice.post("/api/tasks", json={"name": "alice.wav"}).json()["id"]
        async with RawSSE(url, headers=bearer(BOB, "bob-laptop")) as spy:
            resp = alice.post("/api/commands", json={"action": "pause", "taskId": tid})
            assert resp.status_code == 202
            command_id = resp.json()["commandId"]
            view: dict[str, Any] = {}

            def finished() -> bool:
                view.update(alice.get(f"/api/commands/{command_id}").json())
                return CommandStatus(view["status"]).is_final

            await until(finished, timeout=5.0)
            assert bob.post("/api/messages", json={"payload": {"marker": 1}}).status_code == 200
            # Everything Bob's stream got before the marker: no ack of Alice's command.
            while (ev := await next_of(spy, "ack", "text")).type != "text":
                assert command_id not in ev.data


@pytest.mark.asyncio
async def test_connections_lists_own_streams_unless_admin(two: tuple[MonitorApp, ServerThread]) -> None:
    _, server = two
    async with (
        RawSSE(server.url, headers=bearer(ALICE, "alice-laptop")),
        RawSSE(server.url, headers=bearer(BOB, "bob-laptop")),
        RawSSE(server.url, headers=bearer(BOB)),  # an id the server makes up is Bob's too
    ):
        with http(server.url, ALICE) as alice, http(server.url, BOB) as bob, http(server.url, ROOT) as root:

            def ids(client: httpx.Client) -> set[str]:
                return {c["clientId"] for c in client.get("/api/connections").json()}

            await until(lambda: len(ids(root)) == 3, timeout=5.0)
            assert ids(alice) == {"alice-laptop"}
            bobs = ids(bob)
            assert "bob-laptop" in bobs
            assert len(bobs) == 2
            assert all(i.startswith("anon-") for i in bobs - {"bob-laptop"})
            assert ids(root) == {"alice-laptop"} | bobs


def test_a_client_id_stays_its_principals_across_a_restart(tmp_path: Path) -> None:
    """Registrations are in the database: after a restart Bob cannot take Alice's id (and replay
    the targeted events still in the log for it)."""
    config = ServerConfig(db=str(tmp_path / "server.sqlite3"), principals=PRINCIPALS, **QUIET)  # type: ignore[arg-type]
    with ServerThread(create_app(config)) as server, http(server.url, ALICE) as alice:
        assert alice.get("/api/tasks", headers={"X-Client-Id": "alice-laptop"}).status_code == 200
    with ServerThread(create_app(config)) as server, http(server.url, BOB) as bob:
        forbidden(bob.get("/api/tasks/poll", headers={"X-Client-Id": "alice-laptop"}), "alice-laptop")


def test_a_registration_the_disk_refuses_is_not_made(tmp_path: Path) -> None:
    """A client id is only accepted once its registration is committed: a full disk answers 507
    and leaves the id free, as the file says."""
    path = tmp_path / "server.sqlite3"
    log = SqliteLog(path)
    app = create_app(ServerConfig(db=str(path), principals=PRINCIPALS, **QUIET), log=log)  # type: ignore[arg-type]
    with ServerThread(app) as server, http(server.url, ALICE) as alice, http(server.url, BOB) as bob:
        real = log._db
        log._db = FullDisk(real, 1, sqlite_undid=False)  # type: ignore[assignment]
        refused = alice.get("/api/tasks", headers={"X-Client-Id": "alice-laptop"})
        assert refused.status_code == 507
        assert refused.headers["retry-after"].isdigit()
        assert "disk is full" in ErrorBody.model_validate(refused.json()).error
        assert bob.get("/api/tasks", headers={"X-Client-Id": "alice-laptop"}).status_code == 200
        forbidden(alice.get("/api/tasks", headers={"X-Client-Id": "alice-laptop"}), "alice-laptop")
    log.close()


# ---------------------------------------------------------------------------- configurations


@pytest.mark.asyncio
async def test_one_plain_token_is_one_principal_and_no_token_is_anonymous() -> None:
    """The existing configurations keep working: everything of theirs is one principal's."""
    for config, token in (
        (ServerConfig(db=":memory:", tokens=["only"], **QUIET), "only"),
        (
            ServerConfig(db=":memory:", **QUIET),
            None,
        ),
    ):
        with ServerThread(create_app(config)) as server, http(server.url, token) as client:
            tid = client.post("/api/tasks", json={"name": "a.wav"}).json()["id"]
            async with RawSSE(server.url, headers=bearer(token, "seen") if token else {}) as sse:
                resp = client.post("/api/commands", json={"action": "pause", "taskId": tid})
                assert resp.status_code == 202
                # With one principal, acks of a command without client id are still broadcast.
                assert ack_of(await next_of(sse, "ack")).command_id == resp.json()["commandId"]
                await until(lambda: len(client.get("/api/connections").json()) == 1, timeout=5.0)
            assert client.get(f"/api/commands/{resp.json()['commandId']}").status_code == 200


def test_principals_from_config_file_env_and_tokens_file(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# name token [admin]\nalice  ta\nops tb admin  # the on-call\n\n")
    toml = tmp_path / "server.toml"
    toml.write_text('[server]\ntokens = ["plain"]\n[[server.principals]]\nname = "ci"\ntoken = "tc"\n')
    config = load_config(file=toml, env={"MONITOR_SERVER_TOKENS_FILE": str(tokens)})
    checker = token_checker(config)

    def who(token: str) -> Principal | None:
        return checker.authenticate([(b"authorization", f"Bearer {token}".encode())], b"")

    assert who("ta") == Principal("alice")
    assert who("tb") == Principal("ops", admin=True)
    assert who("tc") == Principal("ci")
    assert who("plain") == Principal("token-1")
    assert who("nope") is None
    assert TokenChecker().authenticate([], b"") is ANONYMOUS
    # Two names on one token, or a malformed line: clear errors that never print the token.
    with pytest.raises(ValueError, match="two principals"):
        TokenChecker(["ta"], principals=read_tokens_file(tokens))
    tokens.write_text("alice secret-value extra\n")
    with pytest.raises(ValueError, match="tokens:1") as err:
        read_tokens_file(tokens)
    assert "secret-value" not in str(err.value)


# ---------------------------------------------------------------------------- token scrubbing


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.mark.parametrize("query_tokens", [True, False])
def test_tokens_never_reach_uvicorns_access_log(query_tokens: bool) -> None:
    """uvicorn's real access log, on: encoded names, wrong tokens and 401 lines included."""
    secret, wrong = "tok-SECRET-93ab", "tok-WRONG-1c2d"
    app = create_app(ServerConfig(db=":memory:", tokens=[secret], allow_query_token=query_tokens, **QUIET))
    capture = _Lines()
    server = ServerThread(app, access_log=True, log_level="info")  # configures uvicorn's loggers
    access = logging.getLogger("uvicorn.access")
    access.addHandler(capture)
    try:
        with server, http(server.url) as c:
            for name in ("access_token", "access%5Ftoken", "access_%74oken", "ACCESS%5FTOKEN", "token"):
                for value in (secret, wrong):
                    resp = c.get(f"/api/tasks?{name}={value}&marker={name}")
                    # Every spelling that decodes to access_token is access_token (and scrubbed).
                    accepted = query_tokens and value == secret and name.lower() != "token"
                    accepted = accepted and name != "ACCESS%5FTOKEN"  # names are case-sensitive
                    assert resp.status_code == (200 if accepted else 401), (name, value)
            assert c.get(f"/api/tasks?marker=end&access%5ftoken={wrong}").status_code == 401
            until_sync(lambda: any("marker=end" in line for line in capture.lines))
    finally:
        access.removeHandler(capture)
    text = "\n".join(capture.lines)
    assert "marker=access%5Ftoken" in text  # the lines are there: the checks below can fail
    assert " 401" in text
    assert secret not in text
    assert wrong not in text


def until_sync(predicate: Any, timeout: float = 5.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def test_scrub_query_decodes_names() -> None:
    assert scrub_query("/x?access%5Ftoken=s&y=1") == "/x?access%5Ftoken=***&y=1"
    assert scrub_query("/x?a=1&access_%74oken=s") == "/x?a=1&access_%74oken=***"
    assert scrub_query("/x?x=token=s") == "/x?x=token=s"  # a value that looks like a pair is a value


# ---------------------------------------------------------------------------- executors


def test_an_executor_name_belongs_to_the_principal_that_used_it_first(
    two: tuple[MonitorApp, ServerThread],
) -> None:
    _app, server = two
    with http(server.url, ALICE) as alice, http(server.url, BOB) as bob:
        assert alice.get("/api/executors/celery/commands", params={"wait": 0}).status_code == 200
        stolen = bob.get("/api/executors/celery/commands", params={"wait": 0})
        assert stolen.status_code == 403
        assert "celery" in ErrorBody.model_validate(stolen.json()).error
        answered = bob.post("/api/executors/celery/commands/c-1", json={"ok": True})
        assert answered.status_code == 403  # Bob cannot answer Alice's commands either
        assert bob.get("/api/executors/bobs/commands", params={"wait": 0}).status_code == 200
