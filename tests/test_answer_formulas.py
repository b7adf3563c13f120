"""Every answer a scalar ask shows is a Formula whose sides are checked (issue 18): answer
lines, values at a point, Taylor lines, directional readings, critical points, Newton and
descent iterates. Built in the asks' ``present`` from the same pieces as their LaTeX, so a
wrong side stops the render (``present.formula.check``) before anything is written."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
import sympy as sp

from conftest import ROOT
from tree_check import top_level_relation

from solgen.derive.calculus import solve
from solgen.derive.check import false_relation
from solgen.errors import CheckError
from solgen.formats.json import expr_text
from solgen.input.problem import load_problem
from solgen.present.formula import Formula, check
from solgen.present.view import build_view

PROBLEMS = ["1.2.yaml", "3.1.yaml", "4.1.yaml", "5.1.yaml", "6.1.yaml", "7.1.yaml", "critical-points.yaml",
            "rosenbrock.yaml", "descent.yaml", "stewart-one-variable.yaml"]


def fresh_view(name: str) -> dict[str, Any]:
    return build_view(solve(load_problem(str(ROOT / "problems" / name))))


def shown(part: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """The answer math a handout prints for a part, by where it sits in the view."""
    taylor = "at_lines" in part
    for i, line in enumerate(part.get("answer") or []):
        if not (taylor and i == 0):  # a Taylor part's first line is the general formula: f(x + eps) ~ ...
            yield "answer", line
    for key in ("at_lines", "estimate_lines"):
        for line in part.get(key) or []:
            if "\\partial^\\alpha" not in line:  # order >= 3: several partials a line, said not claimed
                yield key, line
    for r in part.get("readings") or []:
        for key in ("named", "formula", "formula_short", "unit_short"):
            yield f"readings.{key}", r[key]
    for b in part.get("blocks") or []:
        if "math" in b and " = 0" not in b["math"][-4:] and "\\quad x_" not in b["math"]:
            yield "blocks", b["math"]  # not the equations to solve, nor the lists of iterates


@pytest.mark.parametrize("name", PROBLEMS)
def test_every_answer_relation_is_a_formula_that_holds(name):
    doc = fresh_view(name)
    count = 0
    for q in doc["questions"]:
        for part in q["parts"]:
            for where, line in shown(part):
                if not top_level_relation(str(line)):
                    continue
                assert isinstance(line, Formula), (part["ask"], where, str(line))
                assert len(line.forms) >= 2 and any(f is not None for f in line.forms), (where, line)
                assert false_relation(line.forms, line.relations, line.where) is None, (where, line)
                for form in line.forms:  # the tree writes each side as text sympify reads
                    if isinstance(form, sp.Basic):
                        sp.sympify(expr_text(form))
                count += 1
    assert count > 0
    assert check(doc) >= count


def test_a_critical_partial_claims_its_forms_not_that_it_is_zero():
    doc = fresh_view("critical-points.yaml")
    lines = [b["math"] for q in doc["questions"] for p in q["parts"] for b in p.get("blocks") or []
             if "math" in b and isinstance(b["math"], Formula) and b["math"].forms and b["math"].forms[-1] is None]
    partials = [line for line in lines if isinstance(line.forms[0], sp.Derivative)]
    assert len(partials) >= 2  # df/dx = ... = 0, df/dy = ... = 0
    for line in partials:
        assert str(line).endswith(" = 0") and all(f is not None for f in line.forms[:-1]), line
        assert len(line.forms) >= 3  # the derivative = its expression (checked) = 0 (the equation)
    for line in lines:  # every "= 0" side is an equation to solve, never claimed
        assert str(line).endswith(" = 0") and line.relations[-1] == "=", line


@pytest.mark.parametrize(("name", "module"), [("1.2.yaml", "solgen.asks.gradient"), ("1.2.yaml", "solgen.asks.hessian"),
                                             ("1.2.yaml", "solgen.asks.taylor"), ("critical-points.yaml", "solgen.asks.critical"),
                                             ("rosenbrock.yaml", "solgen.asks.iterate"), ("1.2.yaml", "solgen.asks.directional"),
                                             ("6.1.yaml", "solgen.asks.evaluate")])
def test_a_wrong_answer_side_stops_the_render(name, module, monkeypatch):
    """An answer's value side shifted by one (a developer's slip in present): the check sees it."""
    import importlib

    from solgen.asks import base

    target = importlib.import_module(module)

    def off_by_one(rows: Any) -> Any:
        m = base.matrix_form(rows)
        return m + sp.ones(*m.shape)

    monkeypatch.setattr(target, "matrix_form", off_by_one)
    with pytest.raises(CheckError, match="a displayed formula is false"):
        check(fresh_view(name))

