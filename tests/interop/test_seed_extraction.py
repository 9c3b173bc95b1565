"""The committed extracts of the seeds' server code are the documents' code, byte for byte."""

from __future__ import annotations

import pytest

from tests.interop.seeds.extract import EXTRACTS, HERE, Extract, find_seeds_dir, render


@pytest.mark.parametrize("ex", EXTRACTS, ids=[ex.target for ex in EXTRACTS])
def test_extract_is_verbatim(ex: Extract) -> None:
    seeds = find_seeds_dir()
    if seeds is None:
        pytest.skip(
            "the seed documents are not on this machine (set MONITOR_SEEDS_DIR to check the extracts)"
        )
    got = (HERE / ex.target).read_text(encoding="utf-8")
    assert got == render(seeds, ex), (
        f"{ex.target} differs from its seed: python -m tests.interop.seeds.extract"
    )
