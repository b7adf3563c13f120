"""identity: prove ``lhs = rhs`` (through optional intermediate forms ``via``) as a chain
of named rewrites, each checked on random concrete sizes (``solgen/derive/shaped_identity.py``).

    - {id: c, ask: identity, lhs: "norm(X w - y)^2", rhs: "sum(i, 1, m, (y[i] - x[i]^T w)^2)",
       via: ["sum(i, 1, m, (x[i]^T w - y[i])^2)"]}

It needs a file with ``shapes:``. JSON gives ``result: {holds: true}`` and ``steps``, a list
of ``{rule, from, to}``. Without a ``prompt`` the question is the identity itself.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from solgen.math.record import record
from solgen.asks.base import Ask, Result
from solgen.errors import DeriveError, SpecError
from solgen.input.fields import read_detail
from solgen.math import lazy

MAX_VIA = 8


@record
class IdentityResult(Result):
    ANSWER = "holds"
    holds: bool = True
    steps: list[dict[str, str]] = field(default_factory=list)  # {rule, from, to}, in solgen's grammar
    rewrites: tuple[Any, ...] = ()

    @property
    def answer(self) -> dict[str, bool]:
        return {"holds": self.holds}

    def json_fields(self) -> dict[str, Any]:
        return {"steps": self.steps}


def _form(value: Any, line: int, ctx: dict, pid: str, key: str) -> Any:
    ParseError, parse = lazy.load('matrix_parse').ParseError, lazy.load('matrix_parse').parse

    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise SpecError(f"part ({pid}): {key} must be an expression such as \"norm(X w - y)^2\"", line)
    try:
        node = parse(str(value), ctx["shaped"].scope)
    except ParseError as exc:
        where = f" (column {exc.column})" if exc.column else ""
        raise SpecError(f"part ({pid}): in {key} {str(value)[:60]!r}{where}: {exc}", line) from None
    return node


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    latex = lazy.load('matrix_ast').latex

    if not ctx.get("shaped"):
        raise SpecError(f"part ({pid}): an identity needs vectors or matrices declared in 'shapes'", data.line)
    for key in ("lhs", "rhs"):
        if key not in data or data[key] is None:
            raise SpecError(f"part ({pid}) needs {key!r}", data.line)
    via = data.get("via") or []
    if not isinstance(via, list) or len(via) > MAX_VIA:
        raise SpecError(f"part ({pid}): via is a list of at most {MAX_VIA} intermediate forms", data.key_lines.get("via", data.line))
    lhs = _form(data["lhs"], data.key_lines["lhs"], ctx, pid, "lhs")
    middle = [_form(v, ln, ctx, pid, "via") for v, ln in zip(via, via.item_lines)] if via else []
    rhs = _form(data["rhs"], data.key_lines["rhs"], ctx, pid, "rhs")
    forms = [lhs, *middle, rhs]
    for node, key in zip(forms[1:], ["via"] * len(middle) + ["rhs"]):
        if node.shape != lhs.shape:
            raise SpecError(f"part ({pid}): {key} has another shape than lhs", data.key_lines.get(key, data.line))
    kw["order"] = tuple(forms)  # the forms, lhs first
    if not kw.get("prompt"):
        kw["prompt"] = f"${latex(lhs)} = {latex(rhs)}$"
    read_detail(data, kw, pid, ctx["defaults"]["detail"])


def derive(engine: Any, part: Any) -> IdentityResult:
    engine_for = lazy.load('matrix_asks').engine_for
    NotEqual, prove = lazy.load('matrix_identity').NotEqual, lazy.load('matrix_identity').prove

    m = engine_for(engine)
    try:
        rewrites = prove(list(part.order), m.draws_for(list(part.order)))
    except NotEqual as exc:
        raise DeriveError(f"part ({part.id}): {exc}", part.line) from None
    steps = [{"rule": r.rule, "from": str(r.before), "to": str(r.after)} for r in rewrites]
    return IdentityResult(part, (), True, steps, tuple(rewrites))


def present(r: IdentityResult, tex: Any, problem: Any) -> dict[str, Any]:
    convention = lazy.load('matrix_asks').convention
    latex = lazy.load('matrix_ast').latex
    proof_formulas = lazy.load('shaped_formula').proof_formulas

    lhs, rhs = latex(r.part.order[0]), latex(r.part.order[-1])
    equations, answer = proof_formulas(problem, list(r.part.order), list(r.rewrites))  # each = checked on random sizes
    lines = [{"depth": 0, "equation": eq, "reason": tex.words(f"matrix.rewrite.{s.rule}"), "rule": s.rule}
             for s, eq in zip(r.rewrites, equations)]
    group = {"seen_in": None, "derived_in": None, "held_note": "", "held_sentence": "", "result": rhs, "heading": lhs,
             "var": "", "held": [], "note": None, "lines": lines if r.part.detail != "answer" else [], "fallback": False}
    return {"convention": convention(tex, problem, layout=False), "groups": [group], "answer": [answer], "answer_short": [answer],
            "equation": None}


ASK = Ask("identity", frozenset({"lhs", "rhs", "via", "detail"}), read, derive, present, shaped=True)
