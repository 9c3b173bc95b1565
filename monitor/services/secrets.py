"""The server token, kept in the OS keyring (never in the settings file).

On a desktop the keyring is the Secret Service (GNOME Keyring, KWallet), the macOS Keychain or the
Windows Credential Locker. On headless machines there is often none; then every call raises
:class:`NoKeyringError` with a message that says so and what to do. There is deliberately no silent
fallback to a plain file: a token on disk in clear text is a decision the user must make
(``token_env`` in the settings names an environment variable instead). What there is instead is
:class:`SessionTokens`: a token the user types while no keyring is available is kept in memory for
this run of the app only, and the settings dialog says so next to the field.
"""

from __future__ import annotations

import os
from typing import Any, Final

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

__all__ = [
    "KEYRING_SERVICE",
    "NO_KEYRING_MESSAGE",
    "NoKeyringError",
    "SecretStoreError",
    "SessionTokens",
    "TokenStore",
    "unset_token_env",
]

#: Service name under which tokens are stored (one entry per server URL).
KEYRING_SERVICE: Final = "monitor"

NO_KEYRING_MESSAGE: Final = (
    "No system keyring is available, so the token cannot be stored. Install and unlock a "
    "Secret Service provider (GNOME Keyring or KWallet), or set the token in an environment "
    "variable and name it in the settings (token_env)."
)


class SecretStoreError(RuntimeError):
    """The keyring exists but refused the operation (locked, denied, backend error)."""


class NoKeyringError(SecretStoreError):
    """No usable keyring backend: the normal case on a headless machine."""

    def __init__(self, message: str = NO_KEYRING_MESSAGE) -> None:
        super().__init__(message)


class SessionTokens:
    """Tokens kept in memory for this run of the app only (one per server URL), never on disk.

    The place for a token when there is no keyring: a 401 must not leave the user without a way
    to type one. Gone when the app quits.
    """

    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}

    def get(self, server_url: str) -> str | None:
        """The token typed for ``server_url`` this session, or None."""
        return self._tokens.get(server_url)

    def put(self, server_url: str, token: str) -> None:
        """Keep ``token`` for ``server_url`` (an empty string forgets it)."""
        if token:
            self._tokens[server_url] = token
        else:
            self._tokens.pop(server_url, None)


def unset_token_env(token_env: str | None) -> str | None:
    """The name of the token environment variable if one is named but unset (or empty), else None."""
    return token_env if token_env and not os.environ.get(token_env) else None


def _is_fail_backend(backend: KeyringBackend) -> bool:
    # keyring's fallback backend (keyring.backends.fail.Keyring) has priority 0 and raises
    # NoKeyringError on every call; the chainer may wrap it, so also check what it holds.
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if name == "keyring.backends.fail.Keyring":
        return True
    inner: Any = getattr(backend, "backends", None)
    return isinstance(inner, list) and not inner


class TokenStore:
    """Reads and writes the token for one server URL.

    Args:
        server_url: The key (one token per server).
        token_env: Optional environment variable consulted first by :meth:`get`.
        backend: A keyring backend; None uses ``keyring.get_keyring()``. Tests pass a real
            in-memory backend.
        session: Where a token goes when there is no keyring (this run only); None: nowhere
            (then :meth:`set` raises :class:`NoKeyringError`).
    """

    def __init__(
        self,
        server_url: str,
        *,
        token_env: str | None = None,
        backend: KeyringBackend | None = None,
        session: SessionTokens | None = None,
    ) -> None:
        self._user = server_url
        self._env = token_env
        self._backend = backend
        self._session = session

    @property
    def backend(self) -> KeyringBackend | None:
        """The backend given at construction (None = the system default)."""
        return self._backend

    @property
    def session(self) -> SessionTokens | None:
        """The session-only tokens given at construction."""
        return self._session

    def session_token(self) -> str | None:
        """The token kept for this session (no keyring), or None."""
        return self._session.get(self._user) if self._session is not None else None

    def _kr(self) -> KeyringBackend:
        backend = self._backend if self._backend is not None else keyring.get_keyring()
        if _is_fail_backend(backend):
            raise NoKeyringError()
        return backend

    def available(self) -> bool:
        """True if a real keyring backend is configured (does not unlock it)."""
        try:
            self._kr()
        except NoKeyringError:
            return False
        return True

    def get(self) -> str | None:
        """Return the token: the environment variable if set, else one typed this session (no
        keyring), else the keyring entry, else None.

        Raises:
            NoKeyringError: No keyring, no environment variable and no session token.
            SecretStoreError: The keyring failed.
        """
        if self._env and os.environ.get(self._env):
            return os.environ[self._env]
        if (typed := self.session_token()) is not None:
            return typed
        try:
            return self._kr().get_password(KEYRING_SERVICE, self._user)
        except keyring.errors.NoKeyringError:
            raise NoKeyringError() from None
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"the keyring could not be read: {exc}") from exc

    def set(self, token: str) -> None:
        """Store ``token`` (an empty string deletes it); without a keyring, keep it for this session
        when a :class:`SessionTokens` was given.

        Raises:
            NoKeyringError: No keyring backend (and no session store).
            SecretStoreError: The keyring refused.
        """
        if self._session is not None and not self.available():
            self._session.put(self._user, token)
            return
        if not token:
            self.delete()
            return
        try:
            self._kr().set_password(KEYRING_SERVICE, self._user, token)
        except keyring.errors.NoKeyringError:
            raise NoKeyringError() from None
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"the keyring could not store the token: {exc}") from exc

    def delete(self) -> None:
        """Remove the stored token; a missing entry is not an error.

        Raises:
            NoKeyringError: No keyring backend.
            SecretStoreError: The keyring refused.
        """
        try:
            self._kr().delete_password(KEYRING_SERVICE, self._user)
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.NoKeyringError:
            raise NoKeyringError() from None
        except keyring.errors.KeyringError as exc:
            raise SecretStoreError(f"the keyring could not delete the token: {exc}") from exc
