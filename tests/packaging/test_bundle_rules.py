"""The bundle's exclusion rules (``packaging/bundle_rules.py``), without building the bundle.

* The ICU data trim: the venv's own ``libicudata`` is trimmed into a temp dir and Qt is run once
  with the full library and once with the trimmed one (``LD_LIBRARY_PATH`` comes before the Qt
  libraries' ``$ORIGIN`` run path); what the app's languages need from ICU must come out the same
  (Chinese pinyin collation, time-zone names in Chinese and English, locale case mapping).
* The file rules keep what the app needs (platform plugins, input methods, SVG, our and Qt's
  zh_CN translations) and drop what they say.
* Orphans: a library only a dropped file needs goes; one a kept file needs stays.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _rules() -> ModuleType:
    # packaging/ is not a Python package ("packaging" is also a PyPI library): load by path.
    spec = importlib.util.spec_from_file_location("bundle_rules", ROOT / "packaging" / "bundle_rules.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


rules = _rules()

_ICU_PROBE = """
from PySide6.QtCore import QCollator, QDateTime, QLocale, QTimeZone
words = ["\\u6ce2", "\\u963f", "Zebra", "apple", "\\u00c4pfel", "zulu"]
print(sorted(words, key=QCollator(QLocale("zh_CN")).sortKey))
print(sorted(words, key=QCollator(QLocale("en_US")).sortKey))
tz, now = QTimeZone(b"Asia/Shanghai"), QDateTime.currentDateTime()
print(tz.displayName(now, QTimeZone.NameType.LongName, QLocale("zh_CN")))
print(tz.displayName(now, QTimeZone.NameType.LongName, QLocale("en_US")))
print(QLocale("tr_TR").toUpper("istanbul"), QLocale("zh_CN").toUpper("stra\\u00dfe"))
"""


def _icu_library() -> Path:
    import PySide6

    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    if not found:
        pytest.skip("this PySide6 has no bundled ICU data library (not a Linux wheel)")
    return found[0]


def _probe(lib_dir: Path | None) -> list[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if lib_dir is not None:
        env["LD_LIBRARY_PATH"] = str(lib_dir)
    proc = subprocess.run(
        [sys.executable, "-c", _ICU_PROBE], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.splitlines()


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="ICU is bundled as a shared library on Linux"
)
def test_trimmed_icu_data_gives_qt_the_same_answers_for_our_languages(tmp_path: Path) -> None:
    missing = [tool for tool in ("nm", "readelf", "objcopy", "ld") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"trimming ICU needs binutils; missing: {', '.join(missing)}")
    full = _icu_library()
    trimmed = tmp_path / full.name
    kept = rules.trim_icu_data(full, trimmed)
    assert kept > 100
    assert trimmed.stat().st_size < full.stat().st_size / 4
    want, got = _probe(None), _probe(tmp_path)
    assert got == want
    assert want[0].index("\u963f") < want[0].index("\u6ce2")  # pinyin a < bo: zh collation data used
    assert want[2] != want[3]  # a Chinese and an English zone name: ICU's zone data used
    # and the trimmed copy really was the one loaded: a locale we dropped falls back to root order
    probe_sv = (
        "from PySide6.QtCore import QCollator, QLocale; "
        'print(sorted(["\\u00c4", "Z"], key=QCollator(QLocale("sv_SE")).sortKey))'
    )
    env = {**os.environ, "LD_LIBRARY_PATH": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", probe_sv], capture_output=True, text=True, timeout=60, env=env, check=False
    )
    assert out.stdout.strip() == "['Ä', 'Z']", out.stdout + out.stderr  # Swedish (full data): Z before Ä


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
        "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/translations/qtbase_zh_CN.qm",
        "PySide6/Qt/lib/libQt6Network.so.6",
        "PySide6/Qt/lib/libicui18n.so.73",
        "resources/translations/monitor_zh_CN.qm",
        "libssl.so.3",
        "libxcb-cursor.so.0",
        "certifi/cacert.pem",
    ],
)
def test_file_rules_keep_what_the_app_needs(dest: str) -> None:
    assert rules.dropped_by(dest) is None


@pytest.mark.parametrize(
    ("dest", "rule"),
    [
        ("PySide6/Qt/translations/qtbase_de.qm", "Qt translations"),
        ("PySide6/Qt/translations/qtdeclarative_zh_CN.qm", "Qt translations"),
        ("PySide6/Qt/plugins/platforms/libqeglfs.so", "Qt platforms"),
        ("PySide6/Qt/plugins/imageformats/libqjpeg.so", "image format"),
        ("PySide6/Qt/lib/libQt6Qml.so.6", "unused Qt libraries"),
        ("libgtk-3.so.0", "GTK3 stack"),
        ("libstdc++.so.6", "desktop base libraries"),
        ("python3.11/lib-dynload/_codecs_jp.cpython-311-x86_64-linux-gnu.so", "Python CJK codecs"),
    ],
)
def test_file_rules_drop_what_they_name(dest: str, rule: str) -> None:
    assert (rules.dropped_by(dest) or "").startswith(rule)


def test_icu_items_kept_and_dropped() -> None:
    kept = ["coll/zh.res", "coll/root.res", "zone/zh_Hans.res", "zoneinfo64.res", "cnvalias.icu", "en_GB.res"]
    dropped = ["coll/ja.res", "brkitr/cjdict.dict", "de.res", "gb18030.cnv", "translit/root.res"]
    assert [n for n in kept if not rules.keep_icu_item(f"icudt73l/{n}")] == []
    assert [n for n in dropped if rules.keep_icu_item(f"icudt73l/{n}")] == []


@pytest.mark.skipif(shutil.which("objdump") is None, reason="reading DT_NEEDED uses binutils' objdump")
def test_orphans_are_libraries_only_dropped_files_need() -> None:
    import PySide6

    lib = Path(PySide6.__file__).parent / "Qt" / "lib"
    core, gui = lib / "libQt6Core.so.6", lib / "libQt6Gui.so.6"
    icu = sorted(lib.glob("libicui18n.so.*"))
    if not (core.is_file() and gui.is_file() and icu):
        pytest.skip("needs the Linux PySide6 wheel's Qt libraries")
    widgets = lib / "libQt6Widgets.so.6"
    gone = {"libQt6Gui.so.6": str(gui)}
    # Qt Gui needs Qt Core: with Gui dropped and no kept file needing Core, Core goes...
    assert rules.orphans({"libQt6Core.so.6": str(core)}, gone) == {"libQt6Core.so.6"}
    # ...and then what only Core needed (ICU) goes with it...
    kept = {"libQt6Core.so.6": str(core), icu[0].name: str(icu[0])}
    assert rules.orphans(kept, gone) == {"libQt6Core.so.6", icu[0].name}
    # ...but not while a kept file (Qt Widgets) still needs Core.
    kept = {"libQt6Core.so.6": str(core), "libQt6Widgets.so.6": str(widgets)}
    assert rules.orphans(kept, gone) == set()
