"""newton: steps of Newton's method, x <- x - H^{-1} grad f, from the point ``at``: at each
iterate the gradient and the Hessian there, the linear solve H p = -grad f, the new point
(the iteration itself lives in ``asks/iterate.py``, shared with ``descent``)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from solgen.math.record import record
from solgen.asks import iterate
from solgen.asks.base import Ask
from solgen.present import blocks
from solgen.input.fields import read_of, read_detail
from solgen.math import lazy


@record
class NewtonResult(iterate.IterateResult):
    pass


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    if ctx.get("shaped"):  # a vector variable (shapes:): the symbolic step of a quadratic, the shaped engine (asks/shaped.py)
        read_shaped = lazy.load('matrix_newton').read

        read_of(data, ctx, kw, pid, "newton", scalar=True)
        read_shaped(data, ctx, kw, pid)
        read_detail(data, kw, pid, ctx["defaults"]["detail"])
        return
    iterate.read(data, ctx, kw, pid, "newton")


def derive(engine: Any, part: Any) -> NewtonResult:
    if engine.problem.shapes:
        derive_shaped = lazy.load('matrix_newton').derive

        return derive_shaped(engine, part)  # type: ignore[return-value]
    r = iterate.derive(engine, part, "newton")
    return NewtonResult(**{f.name: getattr(r, f.name) for f in fields(r)})


def present(r: Any, tex: Any, problem: Any) -> dict[str, Any]:
    if problem.shapes:
        present_shaped = lazy.load('matrix_newton').present

        return present_shaped(r, tex, problem)
    return iterate.present(r, tex, problem)


ASK = Ask("newton", frozenset({"of", "at", "steps", "decimals", "detail"}), read, derive, present, shaped=True, layout=blocks.steps_then_blocks)
