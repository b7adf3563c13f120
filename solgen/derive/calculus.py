"""Problem -> Solution: one typed result per part, every derivative a checked step tree.

``Engine`` owns a cache of step trees, so the gradient of f derived for part (a) is the
same object the Hessian, the Taylor polynomial and the directional slopes of later parts
build on: steps and answers cannot drift apart. The engine gives the building blocks
(``tree``, ``gradient``, ``hessian``, ``function``, ``at``); each ask's ``derive`` in
``asks/`` puts them together into its result dataclass.

Nothing here is worded: results hold expressions, step trees and facts that the
present layer turns into sentences from the words catalogs.
"""

from __future__ import annotations

from typing import Callable

import sympy as sp

from solgen.math.record import record
from solgen.input.problem import Part, Problem
from solgen.derive.check import TooLarge, equal, has_huge_values, has_real_points, known, matches_slope, verify
from solgen.derive.diff import diff_steps
from solgen.derive.result import Result
from solgen.input import askspec
from solgen.derive.rules import Rule
from solgen.math import named as _named
from solgen.math.named import Named, fold, unfold
from solgen.math.tidy import compact
from solgen.errors import CheckError, DeriveError


@record
class Solution:
    problem: Problem
    derivations: tuple[Result, ...]  # one typed result per part (asks/<ask>.py)
    sheet: tuple["Solution", ...] = ()  # a file with problems: one solution per problem

    def fallbacks(self) -> int:
        return sum(e.tree.contains_fallback() for d in self.derivations for e in d.entries) + \
            sum(s.fallbacks() for s in self.sheet)


class Engine:
    def __init__(self, problem: Problem, check: bool = True):
        self.problem = problem
        self.vars = problem.variables
        self.check = check
        self._trees: dict[tuple[sp.Expr, sp.Symbol], Rule] = {}
        # the problem's functions kept by name (p of the file), to say results with them
        named = [a for f in problem.functions.values() for e in f.exprs if isinstance(e, sp.Basic)
                 for a in e.atoms(Named)] if _named.USED and not problem.shapes else []
        self.family = named[0].family if named else []

    # -- building blocks
    def tree(self, expr: sp.Expr, var: sp.Symbol) -> Rule:
        key = (expr, var)
        if key not in self._trees:
            tree = diff_steps(expr, var, self.vars)
            if self.family:  # a result with a function of the file in it, as written: by its name
                folded = fold(tree.result, self.family)
                if folded != tree.result and sp.count_ops(folded) < sp.count_ops(tree.result):
                    tree.__dict__["result"] = compact(folded)  # the cached result (a frozen dataclass)
            if self.check:
                self._check(tree.result, expr, var, lambda: f"d/d{var} of {expr}", tree)
            self._trees[key] = tree
        return self._trees[key]

    def gradient(self, expr: sp.Expr) -> list[Rule]:
        return [self.tree(expr, v) for v in self.vars]

    def hessian(self, expr: sp.Expr) -> tuple[dict[tuple[int, int], Rule], list[list[sp.Expr]]]:
        """Upper triangle (i <= j) as step trees; the lower triangle by symmetry, checked."""
        grad = [t.result for t in self.gradient(expr)]
        n = len(self.vars)
        trees = {(i, j): self.tree(grad[i], self.vars[j]) for i in range(n) for j in range(i, n)}
        matrix = [[trees[(min(i, j), max(i, j))].result for j in range(n)] for i in range(n)]
        if self.check:
            for i in range(n):
                for j in range(i):
                    where = (i + 1, j + 1)
                    self._check(matrix[i][j], grad[i], self.vars[j], lambda: f"the symmetry of the Hessian of {expr} at {where}")
        return trees, matrix

    def _check(self, result: sp.Expr, expr: sp.Expr, var: sp.Symbol, what: Callable[[], str], tree: Rule | None = None) -> None:
        """``result`` must be d(expr)/d(var): a high-precision numeric slope first (no
        sympy.diff needed), then a comparison with sympy.diff when that is inconclusive or
        disagrees (a central difference can lose its digits to cancellation)."""
        slope = matches_slope(result, expr, var)
        try:
            if slope or equal(result, sp.diff(expr, var)):
                known(expr, var, result)  # checked: the displayed formulas' check reuses it
                return
            too_large = None
        except TooLarge as exc:
            too_large = exc
        if slope is None and not has_real_points(expr):
            if has_huge_values(expr):
                also = f", and {too_large}" if too_large else ""
                raise DeriveError(
                    f"cannot check {what()}: its values at the checker's sample points are too large to compute"
                    f"{also}; simplify it (smaller powers or numbers)"
                )
            raise CheckError(
                f"cannot check {what()}: it has no real value at the checker's sample points "
                "(solgen differentiates real functions; is the function real for these variables?)"
            )
        if too_large is not None:
            raise DeriveError(f"cannot check {what()}: the checker's sample points do not decide it, and {too_large}; "
                              "simplify it")
        try:
            bad = verify(tree)[:1] if tree is not None else []
        except TooLarge:
            bad = []
        step = f": the {type(bad[0]).__name__} step d/d{bad[0].var} of {bad[0].expr} gave {bad[0].result}" if bad else ""
        raise CheckError(f"internal check failed for {what()}{step} (please report this problem file)")

    def function(self, part: Part) -> list[sp.Expr]:
        func = self.problem.functions[part.of]  # type: ignore[index]
        if part.grad:
            return [t.result for t in self.gradient(func.exprs[0])]
        return list(func.exprs)

    def at(self, expr: sp.Expr, part: Part) -> sp.Expr:
        """``expr`` at the part's point, exactly. A derivative through |u| (whose rule,
        d|u|/du = sign(u), holds for u != 0 only) at a point where u = 0 is an error, never
        a number made of sign(0) = 0."""
        point = dict(part.at)
        expr = unfold(expr)  # the file's functions used by name: their definitions
        for kink in expr.atoms(sp.sign):
            if kink.args[0].xreplace(point) == 0:
                where = ", ".join(f"{s} = {v}" for s, v in part.at)
                raise DeriveError(
                    f"part ({part.id}): not differentiable at ({where}): the step for |u| holds only where "
                    f"u != 0, and u = {kink.args[0]} is 0 there", part.line)
        value = expr.xreplace(point)  # exact arithmetic; SymPy evaluates what it can
        if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or value.is_real is False:
            where = ", ".join(f"{s} = {v}" for s, v in part.at)
            raise DeriveError(f"part ({part.id}): {expr} is undefined at ({where})", part.line)
        return value

    # -- asks
    def derive(self, part: Part) -> Result:
        return askspec.get(part.ask).derive(self, part)


def solve(problem: Problem, check: bool = True, progress: Callable[[Part], None] | None = None) -> Solution:
    """Derive every part; ``progress(part)`` is called as each part starts (the CLI uses it
    to say which part ran out of time). A file with problems: solves each problem."""
    if problem.problems:
        return Solution(problem, (), tuple(solve(p, check, progress) for p in problem.problems))
    engine = Engine(problem, check=check)
    derivations = []
    for part in problem.parts:
        if progress is not None:
            progress(part)
        try:
            derivations.append(engine.derive(part))
        except DeriveError as err:
            if err.line is None:  # say which part: the line of its entry in the file
                err.line = part.line
                err.args = (f"part ({part.id}): {err.args[0]}",)
            raise
    return Solution(problem, tuple(derivations))
