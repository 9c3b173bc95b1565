"""gc_paused: the GC is off inside the block only when asked, and always back on after."""

from __future__ import annotations

import gc

import pytest

from monitor.core.gc_pause import gc_paused


@pytest.mark.parametrize("active", [True, False])
def test_paused_inside_only_when_active_and_restored(active: bool) -> None:
    assert gc.isenabled()
    with gc_paused(active):
        assert gc.isenabled() is not active
    assert gc.isenabled()


def test_restored_when_the_block_raises() -> None:
    with pytest.raises(ValueError), gc_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_leaves_a_disabled_gc_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # not ours to turn on
    finally:
        gc.enable()
