"""Shared fixtures: the problems in problems/, solved once per session."""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))


@lru_cache(maxsize=None)
def solved(path: str):
    from solgen.derive.calculus import solve
    from solgen.spec import load_problem

    return solve(load_problem(path))


@lru_cache(maxsize=None)
def view(path: str):
    from solgen.views import build_view

    return build_view(solved(path))


@lru_cache(maxsize=None)
def rendered(path: str, fmt: str, kind: str = "handout") -> str:
    from solgen.render import render

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
