"""The suite's own guard against hangs (conftest.time_limit): it must fire, it must not be
swallowed by an ``except Exception`` in the code under test, and an inner limit must leave
the outer one (the per-test limit) armed."""

from __future__ import annotations

import signal
import time

import pytest

from conftest import TookTooLong, time_limit


def test_a_block_that_runs_too_long_is_stopped():
    started = time.monotonic()
    with pytest.raises(TookTooLong):
        with time_limit(1):
            while True:  # a hang, as in a runaway SymPy call
                time.sleep(0.05)
    assert time.monotonic() - started < 5


def test_except_exception_cannot_swallow_it():
    with pytest.raises(TookTooLong):
        with time_limit(1):
            try:
                time.sleep(5)
            except Exception:  # noqa: BLE001 - what SymPy and our own fallbacks do
                pass


def test_an_inner_limit_leaves_the_outer_one_armed():
    with time_limit(100):
        with time_limit(5):
            pass
        remaining = signal.alarm(0)  # read it (and stop it; the outer block restores it)
        signal.alarm(remaining)
        assert 90 <= remaining <= 100
