"""What each exclusion in ``packaging/bundle_rules.py`` saves, measured on a bundle built without them.

    MONITOR_BUNDLE_RAW=1 packaging/build.sh /tmp/raw        # the bundle with no exclusions
    packaging/build.sh /tmp/dist                             # the real one
    python packaging/bundle_report.py /tmp/raw/monitor [/tmp/dist/monitor]

Every file of the raw bundle is given to the first rule that drops it (so nothing counts twice):
Python extension modules of an excluded package go to that package's group, the compressed
entries of excluded modules in the ``PYZ`` archive likewise (their share of the executable), then
the file rules, then the orphans (libraries only dropped files need), then the ICU data trim
(the raw ``libicudata`` minus the trimmed copy). With the real bundle given too, the measured
size is printed next to the predicted one. Sizes are bytes of regular files (``du -sb`` minus
symlinks), shown in MB (10^6 bytes).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bundle_rules as rules

__all__ = ["main"]

_EXT = re.compile(r"(\.abi3|\.cpython-[^.]+)?\.so$")


def _files(bundle: Path) -> dict[str, Path]:
    """Contents-relative destination -> path of every regular file under ``_internal``."""
    internal = bundle / "_internal"
    return {
        p.relative_to(internal).as_posix(): p
        for p in internal.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def _total(bundle: Path) -> int:
    return sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())


def _excluded_group(module: str) -> str | None:
    for group, names in rules.EXCLUDED_MODULES.items():
        if any(module == n or module.startswith(n + ".") for n in names):
            return group
    return None


def _extension_module(dest: str) -> str | None:
    """``PySide6/QtQml.abi3.so`` -> ``PySide6.QtQml``; None for anything not a Python extension."""
    if not _EXT.search(dest) or (dest.startswith("lib") and "/" not in dest):
        return None
    dest = dest.removeprefix("python3.11/lib-dynload/")
    return _EXT.sub("", dest).replace("/", ".")


def _pyz_entries(exe: Path) -> dict[str, int]:
    """Module name -> compressed size in the executable's ``PYZ`` archive."""
    from PyInstaller.archive.readers import CArchiveReader

    pyz = CArchiveReader(str(exe)).open_embedded_archive("PYZ.pyz")
    return {name: length for name, (_kind, _offset, length) in pyz.toc.items()}


def measure(raw: Path) -> tuple[int, list[tuple[str, int, int]], set[str]]:
    """(raw total, [(rule, bytes saved, files)], the files the rules drop) for the raw bundle ``raw``."""
    files = _files(raw)
    saved: Counter[str] = Counter()
    count: Counter[str] = Counter()
    order = list(rules.EXCLUDED_MODULES) + [name for name, _ in rules.FILE_RULES]
    for name, size in _pyz_entries(raw / "monitor").items():
        if group := _excluded_group(name):
            saved[group] += size
            count[group] += 1
    dropped: dict[str, str] = {}
    for dest, path in files.items():
        module = _extension_module(dest)
        rule = (_excluded_group(module) if module else None) or rules.dropped_by(dest)
        if rule:
            saved[rule] += path.stat().st_size
            count[rule] += 1
            dropped[dest] = str(path)
    kept = {d: str(p) for d, p in files.items() if d not in dropped}
    orphaned = rules.orphans(kept, dropped)
    for dest in orphaned:
        saved["orphans (libraries only dropped files need)"] += files[dest].stat().st_size
        count["orphans (libraries only dropped files need)"] += 1
        kept.pop(dest)
    order.append("orphans (libraries only dropped files need)")
    for dest in kept:
        if rules.ICU_DATA.search(dest):
            with tempfile.TemporaryDirectory() as tmp:
                trimmed = Path(tmp) / os.path.basename(dest)
                items = rules.trim_icu_data(files[dest], trimmed)
                name = f"ICU data: keep core tables + root/en/zh ({items} items)"
                saved[name] += files[dest].stat().st_size - trimmed.stat().st_size
                count[name] += 1
                order.append(name)
    rows = [(name, saved[name], count[name]) for name in order if count[name]]
    return _total(raw), rows, set(dropped) | orphaned


def main() -> None:
    """Parse arguments and print the table."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("raw", type=Path, help="bundle folder built with MONITOR_BUNDLE_RAW=1")
    p.add_argument("real", type=Path, nargs="?", help="bundle folder built normally, to compare")
    a = p.parse_args()
    total, rows, attributed = measure(a.raw)
    print("| Exclusion | Files | MB saved |\n|---|---:|---:|")
    for name, size, n in rows:
        print(f"| {name} | {n} | {size / 1e6:.1f} |")
    left = total - sum(size for _, size, _ in rows)
    print(f"\nraw bundle {total / 1e6:.1f} MB; predicted with every rule {left / 1e6:.1f} MB")
    if a.real:
        real = _total(a.real)
        print(f"real bundle {real / 1e6:.1f} MB ({a.real})")
        # what the analysis no longer collects once the excluded modules are gone
        gone = set(_files(a.raw)) - set(_files(a.real))
        unexplained = sorted(
            gone - attributed,
            key=lambda d: -(a.raw / "_internal" / d).stat().st_size,
        )
        print(
            f"the rest ({(left - real) / 1e6:.1f} MB): files only excluded modules pulled in and the "
            f"smaller PYZ, e.g. {', '.join(os.path.basename(d) for d in unexplained[:6])}"
        )


if __name__ == "__main__":
    main()
