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
the shaped engine (asks/shaped.py)), and ``sympy`` mirrors them as SymPy source (the file-level ``functions``,
each part's ``result`` and other fields), read with ``shapes`` and ``symbols`` alone.
The structure is ``solgen/formats/solgen.schema.json`` (``SCHEMA_VERSION``); change both
together, and bump the version when a field changes meaning or goes.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Sequence, Union, cast

import sympy as sp

from solgen.formats.inline import sentence_md
from solgen.derive.result import Result
from solgen.derive.calculus import Solution
from solgen.derive.rules import Rule
from solgen.derive.malrules import distractors, graded
from solgen.present.words import load_words
from solgen.math import lazy
from solgen.math.text import expr_text  # noqa: F401 - the JSON's expressions, and the tree's

SCHEMA_VERSION = "1.0"  # solgen/formats/solgen.schema.json's version

# A JSON value (json.dumps is given lists and dicts; Sequence and Mapping let a
# list[dict[str, JSON]] be a JSON value too)
JSON = Union[None, bool, int, float, str, Sequence["JSON"], Mapping[str, "JSON"]]


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
    words = load_words(solution.problem.lang)
    return {
        "key": _plain(graded(result)),
        "distractors": [{"malrule": d.malrule, "result": _plain(d.answer), "feedback": sentence_md(words(f"malrule.{d.malrule}"))}
                        for d in distractors(solution.problem, result.part)],
    }


def _sympy_mirror(fields: dict[str, Any]) -> dict[str, JSON]:
    """The fields holding vector or matrix expressions (the shaped engine (asks/shaped.py) nodes), as SymPy
    source; a field with no SymPy spelling (a differential ``dw``) is left out."""
    Node = lazy.load('matrix_ast').Node

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
    sympy_text: Callable[[Any], str] = lazy.load('matrix_sympytext').sympy_text

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
    if getattr(problem, "shapes", None) is not None:  # vectors and matrices: shapes, symbols (the shaped engine (asks/shaped.py))
        json_header = lazy.load('matrix_problem').json_header
        sympy_text: Callable[[Any], str] = lazy.load('matrix_sympytext').sympy_text

        header = json_header(problem)
        if problem.shapes.assume:  # what a result relies on (s - y needs 1^T y = 1): a grader draws values that keep it
            header["assume"] = dict(problem.shapes.assume)
        mirror: dict[str, JSON] = {"functions": {name: sympy_text(node) for name, node in problem.shapes.functions.items()}}
        doc = {**{k: v for k, v in doc.items() if k not in ("parts", "functions")}, **header,
               "sympy": mirror, "parts": doc["parts"]}
    return doc
