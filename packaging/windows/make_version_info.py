"""Regenerate version_info.txt from monitor.__version__ (run before building on Windows)."""

import re
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
sys.path.insert(0, str(here.parents[1]))
from monitor import __version__  # noqa: E402

nums = [int(x) for x in re.findall(r"\d+", __version__)[:3]] + [0]
nums += [0] * (4 - len(nums))
text = (here / "version_info.txt").read_text(encoding="utf-8")
tup = "(" + ", ".join(map(str, nums[:4])) + ")"
text = re.sub(r"filevers=\([^)]*\)", f"filevers={tup}", text)
text = re.sub(r"prodvers=\([^)]*\)", f"prodvers={tup}", text)
text = re.sub(r"'(File|Product)Version', '[^']*'", lambda m: f"'{m.group(1)}Version', '{__version__}'", text)
(here / "version_info.txt").write_text(text, encoding="utf-8")
print(f"version_info.txt -> {__version__}")
