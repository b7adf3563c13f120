"""JSON for auto-graders and checks, from the typed results.

``{id, title, variables, functions, parts}``; each part keeps its input keys and adds
``result`` (the ask's answer), ``steps`` (one tree per entry, ``{index, rule, expr, var,
result, substeps}`` with result = d(expr)/d(var)), and every other field of its result
dataclass under its own name (``factored`` for simplify: factor, ``rounded`` for
decimals, ``equals_hessian``, ``symmetry``, ...), so each option's effect reaches it.
Expressions are strings SymPy's ``sympify`` reads back to the same value, whatever the
names: a symbol whose name ``sympify`` would read as something else (``lambda``, ``gamma``,
``I``, ``E``, ``S``, ``N``, ``Q``, any name SymPy exports) is written ``Symbol('lambda')``.
"""

from __future__ import annotations

import json
import keyword
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.printing.str import StrPrinter

from solgen.asks.base import Result
from solgen.derive.calculus import Solution
from solgen.derive.rules import Rule


class _Printer(StrPrinter):
    """``str()`` of an expression, but with the symbols sympify would misread spelt out, and
    solgen's own functions (sigmoid) written in what sympify knows."""

    _MEMO_MAX = 100_000

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[tuple[sp.Basic, bool], str] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        """Each expression printed once: a Hessian's entries are the results of its step
        trees, printed again in its answer (settings are fixed; what a part prints depends
        only on it and, for a Float, on whether it is the whole expression)."""
        if kwargs or not isinstance(expr, sp.Basic):
            return super()._print(expr, **kwargs)
        key = (expr, self._print_level > 0)
        out = self._memo.get(key)
        if out is None:
            out = super()._print(expr)
            if len(self._memo) > self._MEMO_MAX:
                self._memo.clear()
            self._memo[key] = out
        return out

    def _print_sigmoid(self, expr: sp.Expr) -> str:
        return f"(1/(1 + exp(-({self._print(expr.args[0])}))))"

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        name = expr.name
        if keyword.iskeyword(name) or hasattr(sp, name) or not name.isidentifier():
            return f"Symbol({name!r})"
        return name


@lru_cache(maxsize=1)
def _printer() -> _Printer:
    return _Printer()


def expr_text(expr: Any) -> str:
    return _printer().doprint(expr) if isinstance(expr, sp.Basic) else str(expr)


def _node(tree: Rule, text: dict[Any, str]) -> dict[str, Any]:
    """One step node; ``text`` memoises the text of expressions shared between trees."""

    def s(expr: Any) -> str:
        if expr not in text:
            text[expr] = expr_text(expr)
        return text[expr]

    return {
        "rule": tree.name(),
        "expr": s(tree.expr),
        "var": s(tree.var),
        "result": s(tree.result),
        "substeps": [_node(sub, text) for sub in tree.substeps],
    }


def _plain(value: Any) -> Any:
    """Expressions as strings; lists, tuples and dicts walked; None, bools, numbers and
    strings as they are."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return expr_text(value)


def part_json(result: Result, text: dict[Any, str]) -> dict[str, Any]:
    entry = dict(result.part.raw)
    if result.part.ask == "text":
        return entry
    entry["result"] = _plain(result.answer)
    entry["steps"] = [{"index": list(e.index), **_node(e.tree, text)} for e in result.entries]
    for name, value in result.json_fields().items():
        if value is not None and (name not in entry or name == "steps"):  # the input keys stay as written
            entry[name] = _plain(value)
    return entry


def to_json(solution: Solution) -> str:
    problem = solution.problem
    text: dict[Any, str] = {}
    doc = {
        "id": problem.id,
        "title": problem.title,
        "variables": [v.name for v in problem.variables],
        "functions": {name: (list(f.source) if f.vector else f.source[0]) for name, f in problem.functions.items()},
        "parts": [part_json(r, text) for r in solution.derivations],
    }
    if getattr(problem, "shapes", None) is not None:  # vectors and matrices: shapes, symbols (solgen/matrix)
        from solgen.matrix.problem import json_header

        doc = {**{k: v for k, v in doc.items() if k != "parts"}, **json_header(problem), "parts": doc["parts"]}
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"
