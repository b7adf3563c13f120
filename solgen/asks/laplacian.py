"""laplacian: the sum of the unmixed second partials, Δf = Σ ∂²f/∂xᵢ² (Laplace's equation
Δf = 0 for harmonic functions). The worked example of docs/extending.md: one module, a
sentence in each catalog, and the templates' generic layout."""

from __future__ import annotations

from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result
from solgen.derive.check import TooLarge, equal, expand_guarded
from solgen.errors import CheckError
from solgen.input.fields import read_detail, read_of
from solgen.math.tidy import tidy
from solgen.present.view import group, pd, second
from solgen.present.formula import Side, chain


@record
class LaplacianResult(Result):
    ANSWER = "laplacian"
    laplacian: sp.Expr | None = None
    terms: tuple[sp.Expr, ...] = ()  # ∂²f/∂xᵢ², one per variable
    total: sp.Expr | None = None  # their sum as written, when it combines into something shorter

    @property
    def answer(self) -> sp.Expr:
        return self.laplacian


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "laplacian", scalar=True)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])


def derive(engine: Any, part: Any) -> LaplacianResult:
    (f,) = engine.function(part)
    firsts = engine.gradient(f)  # cached: the gradient's own trees
    trees = [engine.tree(first.result, v) for first, v in zip(firsts, engine.vars)]
    terms = tuple(t.result for t in trees)
    total = tidy(sp.Add(*terms, evaluate=False))
    combined = _combined(total)
    if engine.check and combined != total and not equal(combined, total):  # pragma: no cover - a bug
        raise CheckError(f"internal check failed for the Laplacian of {part.of} (please report this problem file)")
    return LaplacianResult(part, tuple(Entry((i, i), t) for i, t in enumerate(trees)), combined, terms,
                           total if combined != total else None)


def _combined(total: sp.Expr) -> sp.Expr:
    """The sum over one denominator and cancelled, when that is shorter (a harmonic
    function's fractions add up to 0); as written otherwise, or when it would be big."""
    try:
        expand_guarded(total)  # refuses before multiplying out too much
    except TooLarge:
        return total
    combined = tidy(sp.cancel(sp.together(total)))
    return combined if sp.count_ops(combined) < sp.count_ops(total) else total


def present(r: LaplacianResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, x, v = r.part.of, tex.args, [tex(s) for s in problem.variables]
    groups = [group(second(f, v[i], v[i], x) + f" = {tex.d(problem.variables[i])} {pd(f, v[i], x)}", e.tree, tex, r.part)
              for i, e in enumerate(r.entries)]

    symbolic = " + ".join(second(f, vi, vi, x) for vi in v)
    seconds = [derivative(e.tree.expr, s) for s, e in zip(problem.variables, r.entries)]  # d/dv of df/dv
    d = sp.Add(*seconds, evaluate=False) if len(seconds) == len(v) else None
    lhs = Side(f"\\Delta {f}({x})", d)
    middle = ["=", Side(tex(r.total), matrix_form([r.total])[0])] if r.total is not None else []
    result = Side(tex(r.laplacian), matrix_form([r.laplacian])[0])
    return {
        "groups": groups,
        "answer": [chain(lhs, "=", Side(symbolic, d), *middle, "=", result)],
        "answer_short": [chain(lhs, "=", result)],
    }


ASK = Ask("laplacian", frozenset({"of", "detail"}), read, derive, present)
