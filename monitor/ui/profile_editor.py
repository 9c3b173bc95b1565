"""The connection profile editor: one :class:`~monitor.core.profile.ConnectionProfile` as a form.

Embedded in the settings dialog's Server tab. Every edit re-validates the whole profile with the
model itself (one definition of what is valid); each field's error is shown as plain text right
under it, and :meth:`ProfileEditor.problems` lists them for the dialog, which disables OK while
there are any. The override fields show the URL derived from the stream URL and the API base as
their placeholder, updated as the user types. Turning on "send the token in the URL query" shows
the profile's own warning (:meth:`ConnectionProfile.warnings`) inline.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from monitor.core.profile import ConnectionProfile, ResumeMode, ServerDialect
from monitor.core.settings import server_url_of, stream_url_from_input
from monitor.ui.forms import choice_combo, named, plain_label

__all__ = ["ProfileEditor", "ServerList"]

_ERROR_STYLE = "color: #c62828;"
_WARNING_STYLE = "color: #a15c00;"


def _hidden_label(parent: QWidget, name: str, style: str) -> QLabel:
    label = plain_label(parent, name, style)  # texts quote URLs the user typed
    label.setVisible(False)  # shown while it has something to say
    return label


def _message(error: Any) -> str:
    text = str(error.get("msg", ""))
    return text.removeprefix("Value error, ")


class ProfileEditor(QGroupBox):
    """Edit one connection profile.

    Signals:
        changed(): Any field changed (the profile was re-validated; see :meth:`problems`).

    Args:
        profile: The profile to edit (not modified; its name and reconnect timing are kept).
        parent: Qt parent.

    Attributes:
        stream_edit, api_base_edit, snapshot_edit, poll_edit, commands_edit: The URL fields.
        token_in_query: The opt-in for sending the token in the query.
        warning_label: The profile's warnings (shown while there are any).
        client_id_edit: The client id (read-only) and ``copy_id_button``.
        resume_combo, dialect_combo, poll_after_spin: Resume mode, dialect, polling threshold.
        errors: Field name -> the label showing that field's validation error.
    """

    changed = Signal()

    def __init__(self, profile: ConnectionProfile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Connection profile: %1").replace("%1", profile.name))
        self.setObjectName("profileEditor")
        self._base = profile
        self._profile: ConnectionProfile | None = profile
        self._problems: list[str] = []
        self.errors: dict[str, QLabel] = {}
        self._captions: dict[str, str] = {}
        form = QFormLayout(self)
        self._form = form

        self.stream_edit = self._url_row(
            "stream_url", self.tr("&Stream URL:"), self.tr("Stream URL"), profile.stream_url
        )
        self.stream_edit.setPlaceholderText("https://tasks.example.org/api/tasks/stream")
        self.stream_edit.setToolTip(
            self.tr(
                "The server's event stream, used exactly as given (path and query). "
                "A URL without a path is a Monitor server: /api/tasks/stream is added."
            )
        )
        self.api_base_edit = self._url_row(
            "api_base", self.tr("&API base:"), self.tr("API base"), profile.api_base
        )
        self.snapshot_edit = self._url_row(
            "snapshot_url", self.tr("Snapshot URL:"), self.tr("Snapshot URL"), profile.snapshot_url
        )
        self.poll_edit = self._url_row(
            "poll_url", self.tr("Poll URL:"), self.tr("Poll URL"), profile.poll_url
        )
        self.commands_edit = self._url_row(
            "commands_url", self.tr("Commands URL:"), self.tr("Commands URL"), profile.commands_url
        )

        self.token_in_query = QCheckBox(self.tr("Send the token in the URL &query too"), self)
        named(self.token_in_query, "tokenInQuery", self.tr("Send the token in the URL query"))
        self.token_in_query.setToolTip(
            self.tr(
                "The token is always sent in the Authorization header; some servers read it only from the URL"
            )
        )
        self.token_in_query.setChecked(profile.token_in_query)
        self.token_in_query.toggled.connect(self._revalidate)
        form.addRow(self.tr("Authentication:"), self.token_in_query)
        self.warning_label = _hidden_label(self, "profileWarning", _WARNING_STYLE)
        form.addRow("", self.warning_label)

        self.client_id_edit = QLineEdit(profile.client_id, self)
        named(self.client_id_edit, "clientId", self.tr("Client id"))
        self.client_id_edit.setReadOnly(True)
        self.client_id_edit.setToolTip(
            self.tr("Generated once for this installation and profile; servers address direct messages to it")
        )
        self.copy_id_button = QPushButton(self.tr("Cop&y"), self)
        named(self.copy_id_button, "copyClientId", self.tr("Copy the client id"))
        self.copy_id_button.clicked.connect(lambda: QGuiApplication.clipboard().setText(profile.client_id))
        row = QHBoxLayout()
        row.addWidget(self.client_id_edit, 1)
        row.addWidget(self.copy_id_button)
        form.addRow(self.tr("Client id:"), row)

        resume_modes = {
            ResumeMode.AUTO: self.tr("Automatic (header; add the query if the server replays)"),
            ResumeMode.HEADER: self.tr("Last-Event-ID header only"),
            ResumeMode.HEADER_AND_QUERY: self.tr("Header and lastEventId query"),
        }
        self.resume_combo = choice_combo(
            self, "resumeMode", self.tr("Resume mode"), resume_modes, profile.resume
        )
        self.resume_combo.currentIndexChanged.connect(self._revalidate)
        form.addRow(self.tr("&Resume after a reconnect:"), self.resume_combo)

        dialects = {
            ServerDialect.MONITOR: self.tr("Monitor server"),
            ServerDialect.SEED004: self.tr("Notification SDK server (seed 004)"),
            ServerDialect.SEED000: self.tr("SSE service backend (seed 000)"),
            ServerDialect.GENERIC: self.tr("Any SSE server"),
        }
        self.dialect_combo = choice_combo(self, "dialect", self.tr("Server type"), dialects, profile.dialect)
        self.dialect_combo.currentIndexChanged.connect(self._revalidate)
        form.addRow(self.tr("Server &type:"), self.dialect_combo)

        self.poll_after_spin = QSpinBox(self)
        named(self.poll_after_spin, "pollAfterFailures", self.tr("Poll after failures"))
        self.poll_after_spin.setRange(1, 1000)
        self.poll_after_spin.setValue(profile.reconnect.poll_after_failures)
        self.poll_after_spin.valueChanged.connect(self._revalidate)
        form.addRow(self.tr("&Poll after this many failed connections:"), self.poll_after_spin)
        self._revalidate()

    def _url_row(self, field: str, label: str, accessible: str, value: str | None) -> QLineEdit:
        edit = QLineEdit(value or "", self)
        named(edit, field, accessible)
        edit.textChanged.connect(self._revalidate)
        error = _hidden_label(self, f"{field}_error", _ERROR_STYLE)
        self.errors[field] = error
        self._captions[field] = accessible
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(edit)
        column.addWidget(error)
        self._form.addRow(label, box)
        return edit

    # ------------------------------------------------------------------ validation

    def _data(self) -> dict[str, Any]:
        data = self._base.model_dump()
        data.update(
            stream_url=stream_url_from_input(self.stream_edit.text()),
            token_in_query=self.token_in_query.isChecked(),
            resume=self.resume_combo.currentData(),
            dialect=self.dialect_combo.currentData(),
        )
        for field, edit in self._overrides():
            data[field] = edit.text().strip() or None
        data["reconnect"] = {**data["reconnect"], "poll_after_failures": self.poll_after_spin.value()}
        return data

    def _overrides(self) -> tuple[tuple[str, QLineEdit], ...]:
        return (
            ("api_base", self.api_base_edit),
            ("snapshot_url", self.snapshot_edit),
            ("poll_url", self.poll_edit),
            ("commands_url", self.commands_edit),
        )

    def _revalidate(self) -> None:
        field_errors: dict[str, str] = {}
        try:
            self._profile = ConnectionProfile.model_validate(self._data())
        except ValidationError as exc:
            self._profile = None
            for error in exc.errors():
                field = str(error["loc"][0]) if error["loc"] else "stream_url"
                field_errors.setdefault(field, _message(error))
        self._problems = []
        for field, label in self.errors.items():
            text = field_errors.get(field, "")
            label.setText(text)
            label.setVisible(bool(text))
            if text:
                self._problems.append(f"{self._captions[field]}: {text}")
        self._problems += [f"{f}: {t}" for f, t in field_errors.items() if f not in self.errors]
        self._show_derived()
        warnings = self._profile.warnings() if self._profile is not None else []
        self.warning_label.setText("\n".join(warnings))
        self.warning_label.setVisible(bool(warnings))
        self.changed.emit()

    def _show_derived(self) -> None:
        """Placeholders: the URL each empty override field stands for, as derived right now."""
        probe = self._profile
        if probe is None:  # an override is invalid: derive from the stream URL and API base alone
            try:
                data = self._data()
                probe = ConnectionProfile.model_validate(
                    {**data, "snapshot_url": None, "poll_url": None, "commands_url": None}
                )
            except ValidationError:
                probe = None
        derived = {
            "api_base": probe.resolved_api_base if probe else "",
            "snapshot_url": probe.resolved_snapshot_url if probe else "",
            "poll_url": probe.resolved_poll_url if probe else "",
            "commands_url": probe.resolved_commands_url if probe else "",
        }
        for field, edit in self._overrides():
            edit.setPlaceholderText(derived[field])

    # ------------------------------------------------------------------ result

    def problems(self) -> list[str]:
        """Plain-text validation errors, "Field: reason" (empty when the profile is valid)."""
        return list(self._problems)

    def profile(self) -> ConnectionProfile:
        """The profile as edited.

        Raises:
            ValueError: A field is invalid (the message lists :meth:`problems`).
        """
        if self._profile is None:
            raise ValueError("; ".join(self._problems) or "invalid connection profile")
        return self._profile


class ServerList(QGroupBox):
    """The other servers to watch at the same time, and a way to add one (issue 15 item 2).

    One checkbox per saved profile besides the one the editor shows ("name — server"), checked
    when the profile is active; below them a name and a URL to add a server (a new profile,
    active, with the defaults and a fresh client id). The profile the editor shows is always
    watched.

    Signals:
        changed(): A box was ticked or a server was added.

    Args:
        profiles: The saved profiles.
        current: The name of the one the editor shows (not listed here).
        parent: Qt parent.

    Attributes:
        boxes: Profile name -> its checkbox.
        name_edit, url_edit, add_button: Adding a server; ``add_error`` says why it cannot be.
    """

    changed = Signal()

    def __init__(
        self, profiles: list[ConnectionProfile], current: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Also watch these servers"))
        self.setObjectName("serverList")
        self._profiles = [p for p in profiles if p.name != current]
        self._taken = {p.name for p in profiles}
        self._column = QVBoxLayout(self)
        self.boxes: dict[str, QCheckBox] = {}
        for profile in self._profiles:
            self._add_box(profile)
        row = QHBoxLayout()
        self.name_edit = QLineEdit(self)
        named(self.name_edit, "newServerName", self.tr("Name of the server to add"))
        self.name_edit.setPlaceholderText(self.tr("Name"))
        self.url_edit = QLineEdit(self)
        named(self.url_edit, "newServerUrl", self.tr("Address of the server to add"))
        self.url_edit.setPlaceholderText("https://tasks.example.org")
        self.add_button = QPushButton(self.tr("Add server"), self)
        named(self.add_button, "addServer", self.tr("Add this server and watch it too"))
        for widget in (self.name_edit, self.url_edit, self.add_button):
            row.addWidget(widget)
        self._column.addLayout(row)
        self.add_error = _hidden_label(self, "addServerError", _ERROR_STYLE)
        self._column.addWidget(self.add_error)
        self.name_edit.textChanged.connect(self._check_new)
        self.url_edit.textChanged.connect(self._check_new)
        self.add_button.clicked.connect(self._add)
        self._check_new()

    def _add_box(self, profile: ConnectionProfile) -> None:
        box = QCheckBox(f"{profile.name} — {server_url_of(profile)}", self)
        named(box, f"watch_{profile.name}", self.tr("Watch %1 too").replace("%1", profile.name))
        box.setChecked(profile.active)
        box.toggled.connect(lambda _on: self.changed.emit())
        self._column.insertWidget(len(self.boxes), box)
        self.boxes[profile.name] = box

    def _new_profile(self) -> ConnectionProfile | str:
        """The profile the add fields describe, or why there is none (plain text)."""
        name = self.name_edit.text().strip()
        if not name:
            return self.tr("Give the server a name.")
        if name in self._taken:
            return self.tr("There is already a server named %1.").replace("%1", name)
        try:
            return ConnectionProfile(
                name=name, stream_url=stream_url_from_input(self.url_edit.text()), active=True
            )
        except ValidationError as exc:
            return "; ".join(_message(e) for e in exc.errors())

    def _check_new(self) -> None:
        found = self._new_profile()
        typed = bool(self.name_edit.text().strip() or self.url_edit.text().strip())
        self.add_button.setEnabled(isinstance(found, ConnectionProfile))
        text = found if isinstance(found, str) and typed else ""
        self.add_error.setText(text)
        self.add_error.setVisible(bool(text))

    def _add(self) -> None:
        found = self._new_profile()
        if not isinstance(found, ConnectionProfile):
            return
        self._profiles.append(found)
        self._taken.add(found.name)
        self._add_box(found)
        self.name_edit.clear()
        self.url_edit.clear()
        self.changed.emit()

    def profiles(self) -> list[ConnectionProfile]:
        """The listed profiles (the added ones last), each active as its box says."""
        return [p.model_copy(update={"active": self.boxes[p.name].isChecked()}) for p in self._profiles]

    def any_active(self) -> bool:
        """Whether another server is ticked (the shown profile is then flagged active too)."""
        return any(box.isChecked() for box in self.boxes.values())
