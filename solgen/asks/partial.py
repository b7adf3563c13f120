"""partial: a (mixed) partial derivative taken in the order given, first variable first."""

from __future__ import annotations

from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result, at_point, factored
from solgen.input.fields import read_at, read_detail, read_of, read_partial_order, read_simplify
from solgen.math.tidy import factor_common
from solgen.errors import SpecError
from solgen.present.view import add_factored, add_value, group, partial_symbol
from solgen.present.formula import Side, chain


@record
class PartialResult(Result):
    ANSWER = "derivative"
    derivative: sp.Expr | None = None
    factored: sp.Expr | None = None
    value: sp.Expr | None = None  # with at: the derivative at the point

    @property
    def answer(self) -> sp.Expr:
        return self.derivative


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "partial", scalar=True)
    if ctx.get("shaped"):
        names = ", ".join(v.name for v in ctx["shaped"].variables)
        raise SpecError(f"part ({pid}): a partial derivative is by one scalar variable, and {names} "
                        f"{'is a vector or matrix' if ',' not in names else 'are vectors or matrices'}: ask for the "
                        f"gradient (ask: gradient, of: {kw['of']}), whose entries are the partials", data.line)
    read_partial_order(data, ctx, kw, pid)
    read_at(data, ctx, kw, pid, "partial", required=False)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])
    read_simplify(data, kw, pid, ctx["defaults"]["simplify"])


def derive(engine: Any, part: Any) -> PartialResult:
    (expr,) = engine.function(part)
    entries, current = [], expr
    for k, var in enumerate(part.order):
        tree = engine.tree(current, var)
        entries.append(Entry((k,), tree))
        current = tree.result
    return PartialResult(part, tuple(entries), current, factored(current, factor_common) if part.simplify == "factor" else None,
                         at_point(engine, part, current))


def present(r: PartialResult, tex: Any, problem: Any) -> dict[str, Any]:
    order = r.part.order
    groups, current = [], r.part.of
    for k, e in enumerate(r.entries):
        groups.append(group(f"{tex.d(order[k])} {current}", e.tree, tex, r.part))
        current = tex.paren(e.tree.result)

    sym = partial_symbol(r.part, tex)
    d = derivative(r.entries[0].tree.expr, *r.part.order) if r.entries else None
    line = chain(Side(sym, d), "=", Side(tex(r.derivative), matrix_form([r.derivative])[0]))
    view = {"groups": groups, "answer": [line], "answer_short": [line]}
    add_factored(view, tex(r.factored) if r.factored is not None else None, form=r.factored)
    return add_value(view, f"{sym}\\Big|_{{({tex.point(r.part)})}}", tex(r.value) if r.value is not None else None,
                     lhs_form=d, form=r.value, where=dict(r.part.at) if r.part.at else None)


ASK = Ask("partial", frozenset({"of", "order", "at", "detail", "simplify"}), read, derive, present, shaped=True)  # its own error
