"""Shared fixtures: the problems in problems/, solved once per session."""

from __future__ import annotations

import os
import shutil
import signal
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis runs the same examples on every run by default (derandomize): CI checks what
# was checked here, and a failure reproduces. SOLGEN_HYPOTHESIS=explore draws new ones.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("SOLGEN_HYPOTHESIS", "repeatable"))

# No test may run longer than this: a hang becomes a failure with a traceback, not a CI
# run that never ends. (The slowest test, a property over hundreds of expressions, takes
# well under a minute.)
TEST_SECONDS = int(os.environ.get("SOLGEN_TEST_SECONDS", "600"))


class TookTooLong(BaseException):
    """Raised in a block that passed its time limit. A BaseException, so that no
    ``except Exception`` inside SymPy or solgen can swallow it."""


@contextmanager
def time_limit(seconds: int, message: str = ""):
    """Raise TookTooLong in the block after ``seconds`` (POSIX main thread; else no
    limit). An outer limit (this file's per-test one) is re-armed with what is left of it."""

    def fire(signum, frame):
        raise TookTooLong(message or f"more than {seconds} s")

    try:
        previous = signal.signal(signal.SIGALRM, fire)
    except (AttributeError, ValueError):  # no SIGALRM, or not the main thread
        yield
        return
    started = time.monotonic()
    outer = signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.alarm(max(1, outer - int(time.monotonic() - started)))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    with time_limit(TEST_SECONDS, f"{item.nodeid} ran for more than {TEST_SECONDS} s"):
        yield


ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))


@lru_cache(maxsize=None)
def solved(path: str):
    from solgen.derive.calculus import solve
    from solgen.input.problem import load_problem

    return solve(load_problem(path))


@lru_cache(maxsize=None)
def view(path: str):
    from solgen.present.view import build_view

    return build_view(solved(path))


@lru_cache(maxsize=None)
def rendered(path: str, fmt: str, kind: str = "handout") -> str:
    from solgen.formats.templates import render

    return render(view(path), fmt, kind)


def need_tool(name: str) -> str:
    """The path of ``name``; skipped when missing, failed when SOLGEN_REQUIRE_TEX=1 (CI
    installs TeX Live and pandoc, so there a missing tool is an error, not a skip)."""
    exe = shutil.which(name)
    if exe is None:
        if os.environ.get("SOLGEN_REQUIRE_TEX") == "1":
            pytest.fail(f"SOLGEN_REQUIRE_TEX=1 but {name} is not on the PATH")
        pytest.skip(f"{name} not installed (set SOLGEN_REQUIRE_TEX=1 to require it)")
    return exe


def need_pdflatex() -> str:
    return need_tool("pdflatex")


@pytest.fixture(autouse=True)
def _own_render_cache(tmp_path_factory, monkeypatch):
    """Each test its own render cache (solgen/cache.py): a test that breaks solgen on
    purpose (a monkeypatched rule) must not get another test's cached outputs."""
    monkeypatch.setenv("SOLGEN_CACHE_DIR", str(tmp_path_factory.mktemp("solgen-cache")))
