"""Problem -> Solution: one ``Derivation`` per part, every derivative a checked step tree.

``Engine`` owns a cache of step trees, so the gradient of f derived for part (a) is the
same object the Hessian, the Taylor polynomial and the directional slopes of later parts
build on: steps and answers cannot drift apart. Each ask has one method ``_ask_<name>``;
to add an ask, write the method and list the ask in ``spec.ASKS``.

Nothing here is worded: a ``Derivation`` holds expressions, step trees and facts
(``data``) that the templates turn into sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import sympy as sp

from solgen.input.problem import Part, Problem
from solgen.derive.check import TooLarge, equal, expand_guarded, has_huge_values, has_real_points, matches_slope, verify
from solgen.derive.diff import diff_steps
from solgen.derive.rules import Rule
from solgen.math.tidy import tidy, tmul
from solgen.errors import CheckError, DeriveError


@dataclass(frozen=True)
class Entry:
    """One step tree: ``index`` is (i,) for a gradient entry, (i, j) for a matrix entry."""

    index: tuple[int, ...]
    tree: Rule


@dataclass(frozen=True)
class Derivation:
    part: Part
    result: Any = None
    entries: tuple[Entry, ...] = ()
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Solution:
    problem: Problem
    derivations: tuple[Derivation, ...]

    def fallbacks(self) -> int:
        return sum(e.tree.contains_fallback() for d in self.derivations for e in d.entries)


class Engine:
    def __init__(self, problem: Problem, check: bool = True):
        self.problem = problem
        self.vars = problem.variables
        self.check = check
        self._trees: dict[tuple[sp.Expr, sp.Symbol], Rule] = {}

    # -- building blocks
    def tree(self, expr: sp.Expr, var: sp.Symbol) -> Rule:
        key = (expr, var)
        if key not in self._trees:
            tree = diff_steps(expr, var, self.vars)
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
        point = dict(part.at)
        value = expr.xreplace(point)  # exact arithmetic; SymPy evaluates what it can
        if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or value.is_real is False:
            where = ", ".join(f"{s} = {v}" for s, v in part.at)
            raise DeriveError(f"part ({part.id}): {expr} is undefined at ({where})", part.line)
        return value

    # -- asks
    def derive(self, part: Part) -> Derivation:
        return getattr(self, f"_ask_{part.ask}")(part)

    def _ask_text(self, part: Part) -> Derivation:
        return Derivation(part)

    def _ask_gradient(self, part: Part) -> Derivation:
        (expr,) = self.function(part)
        trees = self.gradient(expr)
        return Derivation(part, [t.result for t in trees], tuple(Entry((i,), t) for i, t in enumerate(trees)), {"expr": expr})

    def _ask_hessian(self, part: Part) -> Derivation:
        (expr,) = self.function(part)
        trees, matrix = self.hessian(expr)
        entries = tuple(Entry(k, t) for k, t in trees.items())
        grad = [t.result for t in self.gradient(expr)]
        return Derivation(part, matrix, entries, {"expr": expr, "gradient": grad, "symmetric": True})

    def _ask_jacobian(self, part: Part) -> Derivation:
        rows = self.function(part)
        trees = {(i, j): self.tree(r, v) for i, r in enumerate(rows) for j, v in enumerate(self.vars)}
        matrix = [[trees[(i, j)].result for j in range(len(self.vars))] for i in range(len(rows))]
        data: dict[str, Any] = {"rows": rows}
        if part.grad:
            _, hess = self.hessian(self.problem.functions[part.of].exprs[0])  # type: ignore[index]
            try:
                data["equals_hessian"] = all(equal(a, b) for ra, rb in zip(matrix, hess) for a, b in zip(ra, rb))
            except TooLarge as exc:
                raise DeriveError(f"cannot compare the Jacobian of grad {part.of} with the Hessian: {exc}; simplify it") from None
        return Derivation(part, matrix, tuple(Entry(k, t) for k, t in trees.items()), data)

    def _ask_partial(self, part: Part) -> Derivation:
        (expr,) = self.function(part)
        entries, current = [], expr
        for k, var in enumerate(part.order):
            tree = self.tree(current, var)
            entries.append(Entry((k,), tree))
            current = tree.result
        return Derivation(part, current, tuple(entries), {"expr": expr})

    def _ask_evaluate(self, part: Part) -> Derivation:
        exprs = self.function(part)
        entries: tuple[Entry, ...] = ()
        if part.grad:
            entries = tuple(Entry((i,), t) for i, t in enumerate(self.gradient(self.problem.functions[part.of].exprs[0])))  # type: ignore[index]
        values = [self.at(e, part) for e in exprs]
        vector = part.grad or self.problem.functions[part.of].vector  # type: ignore[index]
        result = values if vector else values[0]
        return Derivation(part, result, entries, {"exprs": exprs, "vector": vector})

    def _ask_taylor(self, part: Part) -> Derivation:
        (expr,) = self.function(part)
        order = part.order
        grad_trees = self.gradient(expr)
        grad = [t.result for t in grad_trees]
        entries = [Entry((i,), t) for i, t in enumerate(grad_trees)]
        data: dict[str, Any] = {"expr": expr, "gradient": grad, "order": order}
        hess = None
        if order >= 2 and len(self.vars) > 1:
            trees, hess = self.hessian(expr)
            entries += [Entry(k, t) for k, t in trees.items()]
            data["hessian"] = hess
        if not part.at:
            return Derivation(part, None, tuple(entries), data)
        value = self.at(expr, part)
        grad_at = [self.at(g, part) for g in grad]
        data.update(value=value, gradient_at=grad_at)
        shifts = [tidy(sp.Add(v, -a, evaluate=False)) for v, a in part.at]
        terms: list[sp.Expr] = [value]
        terms += [tmul(g, s) for g, s in zip(grad_at, shifts)]
        if len(self.vars) == 1:
            derivs, current = [], grad[0]
            for k in range(2, order + 1):
                tree = self.tree(current, self.vars[0])
                entries.append(Entry((k - 1,), tree))
                current = tree.result
                coeff = self.at(current, part) / sp.factorial(k)
                derivs.append(self.at(current, part))
                terms.append(tmul(coeff, sp.Pow(shifts[0], k)))
            data["derivatives_at"] = derivs
        elif hess is not None:
            hess_at = [[self.at(h, part) for h in row] for row in hess]
            data["hessian_at"] = hess_at
            n = len(self.vars)
            for i in range(n):
                for j in range(i, n):
                    if i == j:
                        terms.append(tmul(hess_at[i][i] / 2, sp.Pow(shifts[i], 2)))
                    else:
                        terms.append(tmul(hess_at[i][j], shifts[i], shifts[j]))
        poly = tidy(sp.Add(*terms, evaluate=False))
        return Derivation(part, poly, tuple(entries), data)

    def _ask_directional(self, part: Part) -> Derivation:
        (expr,) = self.function(part)
        trees = self.gradient(expr)
        grad_at = [self.at(t.result, part) for t in trees]
        readings = {}
        for name, vec in part.directions:
            slope = sum((g * d for g, d in zip(grad_at, vec)), sp.Integer(0))
            try:
                slope = expand_guarded(slope)
            except TooLarge as exc:
                raise DeriveError(f"the slope in direction {name}: {exc}; simplify it") from None
            if slope == 0:
                trend = "constant"
            else:
                sign = sp.sign(slope.evalf(30)) if slope.is_number else None
                trend = {1: "increase", -1: "decrease"}.get(int(sign) if sign in (1, -1) else 0, "unknown")
            readings[name] = {"direction": list(vec), "slope": slope, "trend": trend}
        return Derivation(
            part, readings, tuple(Entry((i,), t) for i, t in enumerate(trees)), {"expr": expr, "gradient_at": grad_at}
        )


def solve(problem: Problem, check: bool = True, progress: Callable[[Part], None] | None = None) -> Solution:
    """Derive every part; ``progress(part)`` is called as each part starts (the CLI uses it
    to say which part ran out of time)."""
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
