"""descent: steps of gradient descent, x <- x - rate * grad f, from the point ``at``: at
each iterate the gradient there and the new point (the iteration itself lives in
``asks/iterate.py``, shared with ``newton``)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from solgen.math.record import record
from solgen.asks import iterate
from solgen.asks.base import Ask
from solgen.present import blocks


@record
class DescentResult(iterate.IterateResult):
    pass


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    iterate.read(data, ctx, kw, pid, "descent")


def derive(engine: Any, part: Any) -> DescentResult:
    r = iterate.derive(engine, part, "descent")
    return DescentResult(**{f.name: getattr(r, f.name) for f in fields(r)})


ASK = Ask("descent", frozenset({"of", "at", "steps", "rate", "decimals", "detail"}), read, derive, iterate.present, layout=blocks.steps_then_blocks)
