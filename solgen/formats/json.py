"""JSON for auto-graders and checks, from the typed results.

``{schema_version, id, title, variables, functions, source, parts}``; each part keeps its input keys and adds
``result`` (the ask's answer), ``steps`` (one tree per entry, ``{index, rule, expr, var,
result, substeps}`` with result = d(expr)/d(var)), and every other field of its result
dataclass under its own name (``factored`` for simplify: factor, ``rounded`` for
decimals, ``equals_hessian``, ``symmetry``, ...), so each option's effect reaches it.
Expressions are strings SymPy's ``sympify`` reads back to the same value, whatever the
names: a symbol whose name ``sympify`` would read as something else (``lambda``, ``gamma``,
``I``, ``E``, ``S``, ``N``, ``Q``, any name SymPy exports) is written ``Symbol('lambda')``.
``functions`` are such strings too; ``source`` keeps each function as the file wrote it.

Vectors and matrices (``shapes``): the fields are solgen's grammar (the contract of
solgen/matrix), and ``sympy`` mirrors them as SymPy source (the file-level ``functions``,
each part's ``result`` and other fields), read with ``shapes`` and ``symbols`` alone.
The structure is ``solgen/schema/solgen.schema.json`` (``SCHEMA_VERSION``); change both
together, and bump the version when a field changes meaning or goes.
"""

from __future__ import annotations

import json
import keyword
from functools import lru_cache
from typing import Any, Mapping, Sequence, Union, cast

import sympy as sp
from sympy.printing.str import StrPrinter

from solgen.asks.base import Result
from solgen.derive.calculus import Solution
from solgen.derive.rules import Rule

SCHEMA_VERSION = "1.0"  # solgen/schema/solgen.schema.json's version

# A JSON value (json.dumps is given lists and dicts; Sequence and Mapping let a
# list[dict[str, JSON]] be a JSON value too)
JSON = Union[None, bool, int, float, str, Sequence["JSON"], Mapping[str, "JSON"]]


class _Printer(StrPrinter):  # type: ignore[misc]  # SymPy ships no types: StrPrinter is Any
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
            return cast(str, super()._print(expr, **kwargs))
        key = (expr, self._print_level > 0)
        out = self._memo.get(key)
        if out is None:
            out = cast(str, super()._print(expr))
            if len(self._memo) > self._MEMO_MAX:
                self._memo.clear()
            self._memo[key] = out
        return out

    def _print_sigmoid(self, expr: sp.Expr) -> str:
        return f"(1/(1 + exp(-({self._print(expr.args[0])}))))"

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        name: str = expr.name
        if keyword.iskeyword(name) or hasattr(sp, name) or not name.isidentifier():
            return f"Symbol({name!r})"
        return name


@lru_cache(maxsize=1)
def _printer() -> _Printer:
    return _Printer()


def expr_text(expr: Any) -> str:
    return cast(str, _printer().doprint(expr)) if isinstance(expr, sp.Basic) else str(expr)


def _node(tree: Rule, text: dict[Any, str]) -> dict[str, JSON]:
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


def _plain(value: Any) -> JSON:
    """Expressions as strings; lists, tuples and dicts walked; None, bools, numbers and
    strings as they are."""
    if value is None or isinstance(value, (bool, str, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return expr_text(value)


def part_json(result: Result, text: dict[Any, str]) -> dict[str, JSON]:
    entry = dict(result.part.raw)
    if result.part.ask == "text":
        return entry
    entry["result"] = _plain(result.answer)
    entry["steps"] = [{"index": list(e.index), **_node(e.tree, text)} for e in result.entries]
    for name, value in result.json_fields().items():
        if value is not None and (name not in entry or name == "steps"):  # the input keys stay as written
            entry[name] = _plain(value)
    mirror = _sympy_mirror({"result": result.answer, **result.json_fields()})
    if mirror:
        entry["sympy"] = mirror
    return entry


def choices_json(solution: Solution, result: Result) -> dict[str, JSON]:
    """``key`` (what the right choice says: the value at the point, if any) and
    ``distractors: [{malrule, result, feedback}]`` (feedback as Markdown with $math$)."""
    from solgen.derive.malrules import distractors, graded
    from solgen.present.words import load_words

    words = load_words(solution.problem.lang)
    return {
        "key": _plain(graded(result)),
        "distractors": [{"malrule": d.malrule, "result": _plain(d.answer), "feedback": words(f"malrule.{d.malrule}").md()}
                        for d in distractors(solution.problem, result.part)],
    }


def _sympy_mirror(fields: dict[str, Any]) -> dict[str, JSON]:
    """The fields holding vector or matrix expressions (solgen/matrix nodes), as SymPy
    source; a field with no SymPy spelling (a differential ``dw``) is left out."""
    from solgen.matrix.ast import Node

    def has_node(value: Any) -> bool:
        if isinstance(value, Node):
            return True
        if isinstance(value, (list, tuple)):
            return any(has_node(v) for v in value)
        if isinstance(value, dict):
            return any(has_node(v) for v in value.values())
        return False

    if not any(has_node(v) for v in fields.values()):
        return {}
    from solgen.matrix.sympytext import sympy_text

    def spell(value: Any) -> JSON:
        if isinstance(value, Node):
            return sympy_text(value)
        if isinstance(value, (list, tuple)):
            return [spell(v) for v in value]
        if isinstance(value, dict):
            return {k: spell(v) for k, v in value.items()}
        return _plain(value)

    out: dict[str, JSON] = {}
    for name, value in fields.items():
        if name == "steps" or not has_node(value):
            continue
        try:
            out[name] = spell(value)
        except ValueError:
            continue
    return out


def to_json(solution: Solution) -> str:
    if solution.problem.problems:  # a file with problems: {id, title, problems: [...]}
        doc: dict[str, JSON] = {
            "schema_version": SCHEMA_VERSION, "id": solution.problem.id, "title": solution.problem.title,
            "problems": [{**{k: v for k, v in _doc(s).items() if k != "schema_version"}, "id": s.problem.label}
                         for s in solution.sheet],
        }
    else:
        doc = _doc(solution)
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


def _doc(solution: Solution) -> dict[str, JSON]:
    problem = solution.problem
    text: dict[Any, str] = {}
    parts = [part_json(r, text) for r in solution.derivations]
    doc: dict[str, JSON] = {
        "schema_version": SCHEMA_VERSION,
        "id": problem.id,
        "title": problem.title,
        "variables": [v.name for v in problem.variables],
        "functions": {name: ([expr_text(e) for e in f.exprs] if f.vector else expr_text(f.exprs[0]))
                      for name, f in problem.functions.items()},
        "source": {name: (list(f.source) if f.vector else f.source[0]) for name, f in problem.functions.items()},
        "parts": parts,
    }
    if any(r.part.choices for r in solution.derivations):  # multiple choice: distractors from mal-rules
        for entry, r in zip(parts, solution.derivations):
            if r.part.choices:
                entry.update(choices_json(solution, r))
    if problem.params:
        doc["variant"], doc["params"] = problem.variant, {k: expr_text(v) for k, v in problem.params}
    if getattr(problem, "shapes", None) is not None:  # vectors and matrices: shapes, symbols (solgen/matrix)
        from solgen.matrix.problem import json_header
        from solgen.matrix.sympytext import sympy_text

        header = json_header(problem)
        if problem.shapes.assume:  # what a result relies on (s - y needs 1^T y = 1): a grader draws values that keep it
            header["assume"] = dict(problem.shapes.assume)
        mirror: dict[str, JSON] = {"functions": {name: sympy_text(node) for name, node in problem.shapes.functions.items()}}
        doc = {**{k: v for k, v in doc.items() if k not in ("parts", "functions")}, **header,
               "sympy": mirror, "parts": doc["parts"]}
    return doc
