"""What the frozen bundle leaves out, as named rules (the spec applies them, the report measures them).

``monitor.spec`` imports this file (``packaging/`` is put on ``sys.path``; the directory is not a
Python package, because ``packaging`` is also the name of a PyPI library). Each rule has a name,
so ``packaging/bundle_report.py`` can build once without the rules (``MONITOR_BUNDLE_RAW=1``) and
say what each one saves; ``docs/performance.md`` ("Bundle and start-up") has the table.

The rules, in the order they are applied:

* **Python modules** (:data:`EXCLUDED_MODULES`): test tools and Qt bindings the app never imports.
* **File rules** (:data:`FILE_RULES`): Qt plugins, Qt libraries and system libraries pulled in by
  those plugins, Qt's own translations except ``qtbase`` for the languages we ship.
* **Orphans** (:func:`orphans`): shared libraries that were collected only because something
  dropped above needs them (e.g. GIO for the GTK3 theme plugin); computed from ``DT_NEEDED``.
* **ICU data** (:func:`trim_icu_data`): Qt links ICU for collation, time-zone names and legacy
  codecs; ICU's data library (32 MB) also carries break-iterator dictionaries, transliterators,
  unit/currency/language/region display names, number spell-out rules, legacy converters and
  every locale's formatting data, which Qt never asks ICU for (Qt has its own CLDR tables and
  Unicode text boundaries). :func:`keep_icu_item` keeps the core tables and the ``root``,
  ``en*`` and ``zh*`` items.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = [
    "EXCLUDED_MODULES",
    "FILE_RULES",
    "ICU_DATA",
    "SHIPPED_LANGUAGES",
    "SYSTEM_LIBS",
    "dropped_by",
    "keep_icu_item",
    "needed_libs",
    "orphans",
    "sizes",
    "trim_icu_data",
]

#: Languages Monitor ships a translation for (``resources/translations/monitor_<lang>.qm``);
#: Qt's ``qtbase_<lang>.qm`` (standard buttons and dialogs) is kept for these only.
SHIPPED_LANGUAGES = ("zh_CN",)

#: Python packages and modules never imported by the app, ``serve`` or ``watch``.
EXCLUDED_MODULES = {
    "test tools": [
        "tkinter", "unittest", "pydoc", "pytest", "_pytest", "hypothesis", "mypy", "ruff",
        "importlinter", "PyInstaller",
    ],
    # Qt bindings the app does not use (QtNetwork stays: single-instance uses QLocalServer)
    "unused Qt bindings": [
        "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtSql", "PySide6.QtTest",
        "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtPrintSupport",
        "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtXml", "PySide6.QtConcurrent",
        "PySide6.QtUiTools", "PySide6.QtSvgWidgets", "PySide6.QtQuickWidgets", "PySide6.QtDBus",
        "PySide6.QtPdf", "PySide6.QtWebEngineCore", "PySide6.QtMultimedia",
    ],
    # httpx imports its command-line tool when it can; the app never runs it (ImportError is fine)
    "httpx's CLI helpers (rich, pygments, markdown-it)": ["rich", "pygments", "markdown_it", "mdurl"],
    # `monitor bridge celery` and `monitor serve --store redis://` are server-side tools run from a
    # Python install with the `celery` / `redis` extras; the desktop app never imports them, and
    # both say what to install when they are missing. (click stays: uvicorn imports it.)
    "the Celery bridge and the Redis engine (extras)": [
        "monitor.bridge", "celery", "kombu", "billiard", "vine", "amqp", "click_didyoumean",
        "click_repl", "click_plugins", "prompt_toolkit", "wcwidth", "dateutil", "redis", "hiredis",
    ],
}  # fmt: skip

#: Libraries every desktop Linux has, so the bundle takes them from the system: the ones in our
#: bundle that AppImage's excludelist (github.com/AppImage/pkg2appimage, ``excludelist``) names,
#: plus fontconfig and D-Bus, which ``linux/make_deb.sh`` already declared as dependencies. The
#: PySide6 wheel itself relies on the system for them, as it does for libGL and libxcb (which
#: PyInstaller never bundles). ``linux/make_deb.sh`` lists their Debian packages in Depends.
SYSTEM_LIBS = frozenset(
    {
        "libstdc++.so.6", "libgcc_s.so.1", "libglib-2.0.so.0", "libgobject-2.0.so.0",
        "libgio-2.0.so.0", "libgpg-error.so.0", "libX11.so.6", "libfontconfig.so.1",
        "libfreetype.so.6", "libexpat.so.1", "libz.so.1", "libuuid.so.1", "libcom_err.so.2",
        "libdbus-1.so.3",
    }
)  # fmt: skip

_QT = "PySide6/Qt/"
_KEEP_QM = tuple(f"{_QT}translations/qtbase_{lang}.qm" for lang in SHIPPED_LANGUAGES)
_GTK_STACK = re.compile(
    r"^lib(gtk-3|gdk-3|gdk_pixbuf-2\.0|atk-1\.0|atk-bridge-2\.0|atspi|cairo|cairo-gobject|pango-1\.0|"
    r"pangocairo-1\.0|pangoft2-1\.0|harfbuzz|epoxy|thai|datrie|fribidi|graphite2|pixman-1|"
    r"Xcomposite|Xcursor|Xdamage|Xi|Xinerama|Xrandr|jpeg)\.so"
)
_UNUSED_QT_LIBS = re.compile(
    r"^(lib)?Qt6(Qml|QmlModels|QmlMeta|QmlWorkerScript|Quick|Sql|Test|OpenGL|OpenGLWidgets|PrintSupport|"
    r"Designer|Help|Xml|Concurrent|UiTools|Pdf|VirtualKeyboard|EglFSDeviceIntegration|EglFsKmsSupport)\b"
)
#: Image formats the app reads: PNG is built into QtGui; SVG for the scalable icon; ICO on Windows.
_KEEP_IMAGE_PLUGINS = re.compile(r"/imageformats/(lib)?q(svg|ico)\.(so|dll|dylib)$")


def _in(*prefixes: str) -> Callable[[str], bool]:
    return lambda dest: dest.startswith(prefixes)


def _base(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda dest: bool(pattern.match(os.path.basename(dest)))


#: (rule name, predicate on the bundle-relative destination with ``/`` separators) -> drop.
FILE_RULES: list[tuple[str, Callable[[str], bool]]] = [
    (
        "Qt translations except qtbase_zh_CN",
        lambda d: d.startswith(f"{_QT}translations/") and not d.startswith(_KEEP_QM),
    ),
    (
        "Qt QML/Quick files and plugins",
        _in(f"{_QT}qml/", f"{_QT}plugins/qmltooling/", f"{_QT}plugins/qmllint/", f"{_QT}plugins/qmlls/"),
    ),
    (
        "Qt plugins: embedded/EGL, generic input, network info, TLS, SQL",
        _in(
            *(
                f"{_QT}plugins/{p}/"
                for p in ("egldeviceintegrations", "generic", "networkinformation", "tls", "sqldrivers")
            )
        ),
    ),
    (
        "Qt platforms except xcb, wayland, offscreen",
        lambda d: bool(
            re.search(r"/plugins/platforms/libq(eglfs|linuxfb|minimalegl|minimal|vnc|vkkhrdisplay)\.so$", d)
        ),
    ),
    ("GTK3 platform theme plugin", lambda d: d.endswith("/plugins/platformthemes/libqgtk3.so")),
    ("GTK3 stack (needed only by the GTK3 theme)", _base(_GTK_STACK)),
    ("unused Qt libraries (QML, Quick, SQL, PDF, EGLFS, ...)", _base(_UNUSED_QT_LIBS)),
    (
        "image format plugins except SVG and ICO",
        lambda d: "/plugins/imageformats/" in d and not _KEEP_IMAGE_PLUGINS.search(d),
    ),
    ("xcb OpenGL integration plugins (a widgets app, no OpenGL)", _in(f"{_QT}plugins/xcbglintegrations/")),
    (
        "desktop base libraries (AppImage excludelist; .deb Depends on them)",
        lambda d: "/" not in d and d in SYSTEM_LIBS,
    ),
    (
        "Python CJK codecs except Chinese (ja, ko, zh_TW/HK, ISO-2022)",
        lambda d: bool(re.search(r"lib-dynload/_codecs_(jp|kr|tw|hk|iso2022)\.", d)),
    ),
]

#: Where PyInstaller puts ICU's data library (Qt links it from its own lib folder).
ICU_DATA = re.compile(r"(^|/)PySide6/Qt/lib/libicudata\.so\.(\d+)$")


def dropped_by(dest: str) -> str | None:
    """The name of the first file rule that drops ``dest`` (a bundle-relative path), or None."""
    d = dest.replace(os.sep, "/")
    for name, drops in FILE_RULES:
        if drops(d):
            return name
    return None


# ---------------------------------------------------------------------------------- orphans


def needed_libs(path: str | Path) -> list[str]:
    """The ``DT_NEEDED`` names of an ELF file (empty for anything else), read with ``objdump``."""
    with open(path, "rb") as fh:
        if fh.read(4) != b"\x7fELF":
            return []
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=False).stdout
    return [ln.split()[1] for ln in out.splitlines() if ln.strip().startswith("NEEDED")]


def orphans(kept: dict[str, str], dropped: dict[str, str]) -> set[str]:
    """Libraries to drop because only dropped files need them.

    Args:
        kept: Bundle-relative destination -> source path of the files still in the bundle.
        dropped: The same for the files the rules dropped.

    Returns:
        Destinations in ``kept`` that some dropped file needs (directly or through another
        orphan) and no remaining file needs. Libraries nothing ever asked for (``ctypes``
        loads, Python extensions, plugins) are never orphans.
    """
    needs = {dest: set(needed_libs(src)) for dest, src in {**kept, **dropped}.items()}
    by_name: dict[str, set[str]] = {}
    for dest in kept:
        by_name.setdefault(os.path.basename(dest), set()).add(dest)
    out: set[str] = set()
    gone = set(dropped)
    while True:
        wanted_by_gone = set().union(*(needs[d] for d in gone)) if gone else set()
        alive = [d for d in kept if d not in out]
        wanted_by_alive = set().union(*(needs[d] for d in alive)) if alive else set()
        new = {
            dest
            for name in wanted_by_gone - wanted_by_alive
            for dest in by_name.get(name, ())
            if dest not in out
        }
        if not new:
            return out
        out |= new
        gone |= new


# ---------------------------------------------------------------------------------- ICU data

_ICU_DROP_TREES = ("brkitr", "unit", "curr", "lang", "region", "translit", "rbnf")
_ICU_LOCALE_ITEM = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")
_ICU_KEEP_LOCALES = re.compile(r"^(root|en|zh)(_[A-Za-z0-9]+)*\.res$")


def keep_icu_item(name: str) -> bool:
    """Whether ICU item ``name`` (``icudt73l/coll/zh.res`` etc.) stays in the trimmed data."""
    parts = name.split("/")[1:]
    leaf = parts[-1]
    tree = parts[0] if len(parts) > 1 else ""
    if tree in _ICU_DROP_TREES:
        return False
    if leaf.endswith(".cnv"):  # legacy converters; Qt's UTF-8/16/Latin-1 codecs are its own
        return False
    if leaf.endswith((".spp", ".cfu")) or leaf == "unames.icu":  # stringprep, spoof checks, char names
        return False
    if tree in ("", "coll", "zone") and _ICU_LOCALE_ITEM.match(leaf):
        return bool(_ICU_KEEP_LOCALES.match(leaf))
    return True


def _icu_items(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Split an ICU common-data package (``CmnD``) into its header and (name, bytes) items."""
    (header_size,) = struct.unpack_from("<H", data, 0)
    if data[2:4] != b"\xda\x27" or data[12:16] != b"CmnD":
        raise ValueError("not a little-endian ICU common data package")
    (count,) = struct.unpack_from("<I", data, header_size)
    toc = [struct.unpack_from("<II", data, header_size + 4 + 8 * i) for i in range(count)]
    starts = [header_size + off for _, off in toc] + [len(data)]
    items = []
    for i, (name_off, _) in enumerate(toc):
        at = header_size + name_off
        name = data[at : data.index(b"\0", at)].decode("ascii")
        items.append((name, data[starts[i] : starts[i + 1]]))
    return data[:header_size], items


def _icu_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """Build a ``CmnD`` package: header, table of contents, names, 16-byte aligned items."""
    names = b"".join(n.encode("ascii") + b"\0" for n, _ in items)
    toc_size = 4 + 8 * len(items)
    first = toc_size + len(names)
    first += -first % 16
    name_offs, data_offs, blobs, at, name_at = [], [], [], first, toc_size
    for n, blob in items:
        name_offs.append(name_at)
        name_at += len(n) + 1
        data_offs.append(at)
        padded = blob + b"\0" * (-len(blob) % 16)
        blobs.append(padded)
        at += len(padded)
    toc = struct.pack("<I", len(items)) + b"".join(
        struct.pack("<II", no, do) for no, do in zip(name_offs, data_offs, strict=True)
    )
    body = toc + names
    return header + body + b"\0" * (first - len(body)) + b"".join(blobs)


def _elf_symbol(lib: Path, symbol: str) -> bytes:
    """The bytes of a defined data symbol in a shared library (``nm -D -S`` + its file offset)."""
    nm = subprocess.run(["nm", "-D", "-S", str(lib)], capture_output=True, text=True, check=True).stdout
    for line in nm.splitlines():
        fields = line.split()
        if len(fields) == 4 and fields[3] == symbol:
            addr, size = int(fields[0], 16), int(fields[1], 16)
            break
    else:
        raise ValueError(f"{lib}: no symbol {symbol}")
    sections = subprocess.run(
        ["readelf", "-S", "-W", str(lib)], capture_output=True, text=True, check=True
    ).stdout
    for line in sections.splitlines():
        m = re.search(r"\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if m:
            start, offset, length = (int(g, 16) for g in m.groups())
            if start <= addr < start + length:
                with open(lib, "rb") as fh:
                    fh.seek(offset + addr - start)
                    return fh.read(size)
    raise ValueError(f"{lib}: {symbol} is in no section")


def trim_icu_data(src: str | Path, dst: str | Path, keep: Callable[[str], bool] = keep_icu_item) -> int:
    """Write a copy of ICU's data library ``src`` to ``dst`` holding only the items ``keep`` wants.

    The library's one export (``icudt<N>_dat``, the whole data package) is rebuilt from the
    kept items and linked into a new shared object with the same soname (binutils ``objcopy`` and
    ``ld``, which PyInstaller needs on Linux anyway). Returns the number of items kept.
    """
    src, dst = Path(src), Path(dst)
    version = re.search(r"\.so\.(\d+)$", src.name)
    if version is None:
        raise ValueError(f"{src}: not libicudata.so.<N>")
    symbol = f"icudt{version.group(1)}_dat"
    header, items = _icu_items(_elf_symbol(src, symbol))
    kept = [(n, b) for n, b in items if keep(n)]
    work = dst.parent / f".{dst.name}.work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        blob = work / "icu.dat"
        blob.write_bytes(_icu_package(header, sorted(kept)))
        mangled = "_binary_icu_dat_start"  # objcopy's name for the file icu.dat, given relative
        obj = work / "icu.o"
        subprocess.run(
            ["objcopy", "-I", "binary", "-O", "elf64-x86-64", "-B", "i386:x86-64",
             "--rename-section", ".data=.rodata,alloc,load,readonly,data,contents",
             "--set-section-alignment", ".rodata=16",
             "--redefine-sym", f"{mangled}={symbol}",
             "--strip-symbol", mangled.replace("_start", "_end"),
             "--strip-symbol", mangled.replace("_start", "_size"),
             blob.name, obj.name],
            check=True, capture_output=True, cwd=work,
        )  # fmt: skip
        subprocess.run(
            ["ld", "-shared", "-soname", src.name, "-z", "noexecstack", "-o", str(dst), str(obj)],
            check=True,
            capture_output=True,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return len(kept)


def sizes(paths: Iterable[str | Path]) -> int:
    """Total size in bytes of the existing regular files among ``paths``."""
    return sum(os.path.getsize(p) for p in paths if os.path.isfile(p) and not os.path.islink(p))
