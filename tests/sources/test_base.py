"""gc_paused: the collector is off inside, back to how it was afterwards, also on errors."""

from __future__ import annotations

import gc

import pytest

from posture.sources.base import gc_paused


def test_collector_is_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():  # nested: the inner one leaves it off
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collector_is_restored_when_the_read_fails() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("server went away")
    assert gc.isenabled()


def test_a_collector_the_caller_switched_off_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
