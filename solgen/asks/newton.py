"""newton: steps of Newton's method, x <- x - H^{-1} grad f, from the point ``at``: at each
iterate the gradient and the Hessian there, the linear solve H p = -grad f, the new point
(the iteration itself lives in ``asks/iterate.py``, shared with ``descent``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from solgen.asks import iterate
from solgen.asks.base import Ask


@dataclass(frozen=True)
class NewtonResult(iterate.IterateResult):
    pass


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    iterate.read(data, ctx, kw, pid, "newton")


def derive(engine: Any, part: Any) -> NewtonResult:
    r = iterate.derive(engine, part, "newton")
    return NewtonResult(**{f.name: getattr(r, f.name) for f in fields(r)})


ASK = Ask("newton", frozenset({"of", "at", "steps", "decimals", "detail"}), read, derive, iterate.present)
