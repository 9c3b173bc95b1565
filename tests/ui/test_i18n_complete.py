"""Simplified Chinese stays complete: every extracted string translated, .qm fresh, placeholders kept.

The source of truth is the code: ``pyside6-lupdate`` is run over ``monitor/`` into a temporary file
with the same options as ``resources/translations/fill_zh_CN.py``, and the committed ``.ts`` must
hold a finished translation for every message it finds. To fix a failure run
``.venv/bin/python resources/translations/fill_zh_CN.py`` (it lists what has no Chinese yet).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QCoreApplication, Qt, QTranslator
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from monitor.core.news import TaskPatch
from monitor.core.protocol import TaskState
from monitor.core.query import STATE_GROUPS
from monitor.core.settings import AppSettings
from monitor.core.store import StateGroup, TaskStore
from monitor.ui.i18n import duration_text, install_translator
from monitor.ui.main_window import MainWindow
from monitor.ui.task_model import TaskColumn, state_text
from monitor.ui.task_view import TaskView
from tests.task_patches import running_alpha

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "resources" / "translations"
TS = TRANSLATIONS / "monitor_zh_CN.ts"
QM = TRANSLATIONS / "monitor_zh_CN.qm"
LUPDATE = Path(sys.executable).with_name("pyside6-lupdate")
LRELEASE = Path(sys.executable).with_name("pyside6-lrelease")

HORIZONTAL = Qt.Orientation.Horizontal

#: Message key: (context, source, disambiguation comment).
Key = tuple[str, str, str]


def _fill_module() -> ModuleType:
    """The update script (not a package module), for its lupdate options."""
    spec = importlib.util.spec_from_file_location("fill_zh_CN", TRANSLATIONS / "fill_zh_CN.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _messages(path: Path) -> dict[Key, ET.Element]:
    messages: dict[Key, ET.Element] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            key = (name, message.findtext("source") or "", message.findtext("comment") or "")
            messages[key] = message
    return messages


def _translations(message: ET.Element) -> list[str]:
    tr = message.find("translation")
    if tr is None:
        return []
    if message.get("numerus") == "yes":
        return [form.text or "" for form in tr.iter("numerusform")]
    return [tr.text or ""]


# {name}, {0}, {} (str.format), %n (Qt plural), %1..%99 (QString.arg).
_PLACEHOLDER = re.compile(r"\{[A-Za-z_0-9]*\}|%n|%\d{1,2}")


def _placeholders(text: str) -> Counter[str]:
    return Counter(_PLACEHOLDER.findall(text))


def _mnemonics(text: str) -> int:
    """Number of Qt accelerator markers ("&X"; "&&" is a literal ampersand)."""
    return len(re.findall(r"&(?!&)\S", text.replace("&&", "")))


@pytest.mark.skipif(not LUPDATE.exists(), reason=f"pyside6-lupdate not installed next to {sys.executable}")
def test_every_extracted_string_has_a_finished_translation(tmp_path: Path) -> None:
    fresh = tmp_path / "extracted.ts"
    subprocess.run(
        [str(LUPDATE), *_fill_module().LUPDATE_OPTIONS, "monitor", "-ts", str(fresh)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )
    extracted = _messages(fresh)
    assert len(extracted) > 200  # the scan really ran over the code (240 strings when written)
    shipped = _messages(TS)
    problems = []
    for key in sorted(extracted):
        message = shipped.get(key)
        if message is None:
            problems.append(f"missing  {key}")
            continue
        tr = message.find("translation")
        texts = _translations(message)
        if tr is not None and tr.get("type") in ("unfinished", "vanished", "obsolete"):
            problems.append(f"{tr.get('type'):8} {key}")
        elif not texts or not all(t.strip() for t in texts):
            problems.append(f"empty    {key}")
    assert not problems, "run resources/translations/fill_zh_CN.py:\n" + "\n".join(problems)


@pytest.mark.skipif(not LRELEASE.exists(), reason=f"pyside6-lrelease not installed next to {sys.executable}")
def test_qm_is_compiled_from_the_current_ts(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.qm"
    subprocess.run([str(LRELEASE), str(TS), "-qm", str(fresh)], check=True, capture_output=True, timeout=60)
    # lrelease output is deterministic (checked: two runs give identical bytes).
    assert fresh.read_bytes() == QM.read_bytes(), "stale .qm: run resources/translations/fill_zh_CN.py"


def test_translations_keep_placeholders_and_one_accelerator() -> None:
    problems = []
    messages = _messages(TS)
    assert messages
    for key, message in messages.items():
        source = key[1]
        for text in _translations(message):
            if message.get("numerus") != "yes" and _placeholders(text) != _placeholders(source):
                problems.append(f"placeholders {key}: {text!r}")
            if message.get("numerus") == "yes" and "%n" in source and "%n" not in text:
                problems.append(f"plural %n {key}: {text!r}")
            if _mnemonics(text) != _mnemonics(source):
                problems.append(f"accelerator {key}: {text!r}")
        if message.get("numerus") == "yes" and len(_translations(message)) != 1:
            problems.append(f"Chinese has one plural form {key}")
    assert not problems, "\n".join(problems)


def test_placeholder_check_catches_a_dropped_placeholder() -> None:
    """The checker itself: a translation that loses or renames a placeholder is told apart."""
    assert _placeholders("Showing {n} of {m}") == _placeholders("显示 {n} / {m}")
    assert _placeholders("Showing {n} of {m}") != _placeholders("显示 {n}")
    assert _placeholders("Server: %1") != _placeholders("服务器：%2")
    assert _mnemonics("&File") == _mnemonics("文件(&F)") == 1
    assert _mnemonics("Tom && Jerry") == 0


@pytest.fixture
def zh_app(qapp: QApplication) -> Iterator[QApplication]:
    """The test QApplication with the zh_CN translators installed, removed afterwards."""
    translators: list[QTranslator] = install_translator(qapp, "zh_CN")
    assert translators, "monitor_zh_CN.qm did not load"
    try:
        yield qapp
    finally:
        for translator in translators:
            QCoreApplication.removeTranslator(translator)


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_main_window_and_task_view_show_chinese(zh_app: QApplication, qtbot: QtBot) -> None:
    store = TaskStore()
    store.apply(
        [
            running_alpha(),
            TaskPatch(id="b", received_at=1.0, name="beta.wav", state=TaskState.FAILED, created_at=2.0),
        ]
    )
    window = MainWindow(AppSettings(), tray_available=False)
    qtbot.addWidget(window)
    view = TaskView(store, clock=lambda: 5.0)
    window.set_task_view(view)
    window.add_toolbar_actions(view.task_actions.toolbar_actions())
    window.show()
    qtbot.waitExposed(window)

    assert [a.text() for a in window.menuBar().actions()] == ["文件(&F)", "视图(&V)", "帮助(&H)"]
    assert view.showing.text() == "显示 2 / 2"
    assert view.sidebar.count_text(StateGroup.FAILED).startswith("失败")
    assert view.model.headerData(TaskColumn.NAME, HORIZONTAL) == "名称"
    assert view.model.headerData(TaskColumn.PROGRESS, HORIZONTAL) == "进度"
    assert state_text(TaskState.RUNNING) == "运行中"
    assert view.task_actions.cancel.text() == "取消"
    assert view.search.placeholderText().startswith("搜索")
    # Every action the user can see (menus, toolbar, context menu) is in Chinese: this also
    # catches a runtime translation context that differs from the one lupdate extracted.
    actions = [*window.findChildren(QAction), *view.context_menu().actions()]
    assert len(actions) > 20
    english = sorted({a.text() for a in actions if a.text() and not a.isSeparator() and not _cjk(a.text())})
    # Column names in View > Columns come from the model and are translated too; none may be left.
    assert not english, f"untranslated actions: {english}"


def test_english_source_without_translator(qtbot: QtBot) -> None:
    """Control: without the translator the same texts are English (the Chinese above is not a fluke)."""
    view = TaskView(TaskStore(), clock=lambda: 5.0)
    qtbot.addWidget(view)
    assert view.showing.text() == "Showing 0 of 0"
    assert view.task_actions.cancel.text() == "Cancel"


def _timed_view(qtbot: QtBot) -> TaskView:
    """A running task started 200 s ago whose worker said 10,000 s left then (9,800 s now)."""
    store = TaskStore()
    store.apply([running_alpha(started_at=1.0, eta=10_000.0)])
    view = TaskView(store, clock=lambda: 201.0)
    qtbot.addWidget(view)
    view.model.flush()
    return view


def _cells(view: TaskView) -> tuple[str, str, str]:
    model = view.model
    return (
        str(model.data(model.index(0, TaskColumn.ELAPSED))),
        str(model.data(model.index(0, TaskColumn.ETA))),
        model.accessible_summary(view.store.get("a")),  # type: ignore[arg-type]
    )


def test_durations_are_localised(zh_app: QApplication, qtbot: QtBot) -> None:
    elapsed, eta, spoken = _cells(_timed_view(qtbot))
    assert elapsed == "3分20秒"
    assert eta == "2小时43分"
    assert "2小时43分" in spoken
    assert duration_text(45) == "45秒"
    assert duration_text(2 * 86_400 + 3 * 3600) == "2天3小时"


def test_durations_in_english_without_translator(qtbot: QtBot) -> None:
    elapsed, eta, spoken = _cells(_timed_view(qtbot))
    assert elapsed == "3m 20s"
    assert eta == "2h 43m"
    assert spoken.endswith("2h 43m left")
    assert duration_text(45) == "45s"


def test_active_and_running_read_differently_in_chinese(zh_app: QApplication, qtbot: QtBot) -> None:
    view = TaskView(TaskStore(), clock=lambda: 5.0)
    qtbot.addWidget(view)
    active, running = view.sidebar.count_text(StateGroup.ACTIVE), view.sidebar.count_text(StateGroup.RUNNING)
    assert active.startswith("未结束"), active
    assert running.startswith("运行中"), running
    assert not {"运行", "进行"} & {active[i : i + 2] for i in range(len(active))}  # no synonym of Running


def test_search_errors_are_translated(zh_app: QApplication, qtbot: QtBot) -> None:
    # The parser (pure core) gives a template and its values; the view translates the template.
    view = TaskView(TaskStore(), clock=lambda: 5.0)
    qtbot.addWidget(view)
    view.search.setText("state:nope")
    assert view.search_error.text() == "未知的状态“nope”（可用 " + ", ".join(STATE_GROUPS) + "）"
    view.search.setText('"open')
    assert view.search_error.text() == "第 1 个字符处的引号没有闭合"


def test_search_errors_in_english_without_translator(qtbot: QtBot) -> None:
    view = TaskView(TaskStore(), clock=lambda: 5.0)
    qtbot.addWidget(view)
    view.search.setText("state:nope")
    assert view.search_error.text().startswith("Unknown state 'nope' (use one of ")
