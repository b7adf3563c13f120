"""The shaped engine of a problem with ``shapes:``: its differentiators per variable and the
random concrete sizes every matrix step is checked on (``draws``), built once per problem
and shared by the asks, the formulas' checks and the distractors."""

from __future__ import annotations

from typing import Any

from solgen.derive.shaped_check import check_coefficient, check_step, draws
from solgen.derive.shaped_diff import Differ, MatrixReadOff, MStep, Unsupported
from solgen.errors import CheckError, DeriveError
from solgen.math.shaped import SCALAR, Node, Num, Ref, Sym, children

class MatrixEngine:
    """Step trees and results for one problem, each checked once, cached by expression; a
    differential engine per variable (the others are constants for it)."""

    def __init__(self, shaped: Any):
        self.shaped = shaped
        decimals = any(_has_decimal(f) for f in shaped.functions.values())
        self.differs: dict[str, Differ] = {}
        for v in shaped.variables or (shaped.variable,):
            differ = Differ(v, shaped.symmetric, shaped.sums_to_one)
            differ.decimals = decimals
            self.differs[v.name] = differ
        self.differ = self.differs[shaped.variable.name]
        scalars = sorted({n for f in shaped.functions.values() for n in _scalar_constants(f)} | set(shaped.constants))
        self.scalars = scalars
        self.draws = draws(shaped.shapes, scalars, list(shaped.sizes), shaped.assume, low=_lowest_size(shaped))
        self._checked: set[tuple[Node, Node, str]] = set()
        self.var = shaped.variable

    def draws_for(self, nodes: list[Node]) -> list[Any]:
        """The draws, with values for scalar names that only ``nodes`` use (an identity's
        ``x`` and ``y`` in a file whose functions do not have them)."""
        extra = sorted({n for node in nodes for n in _scalar_constants(node)} - set(self.scalars))
        if not extra:
            return self.draws
        sh = self.shaped
        return draws(sh.shapes, sorted(set(self.scalars) | set(extra)), list(sh.sizes), sh.assume, low=_lowest_size(sh))

    def d(self, node: Node, var: str | None = None) -> MStep:
        differ = self.differs[var or self.var.name]
        try:
            step = differ.d(node)
        except Unsupported as exc:
            raise DeriveError(str(exc)) from None
        for s in step.walk():
            key = (s.expr, s.result, differ.var.name)
            if key in self._checked:
                continue
            if not check_step(s.expr, s.result, differ.var.name, differ.dvar.name, self.draws):
                raise CheckError(f"internal check failed: the {s.rule} step d({s.expr}) = {s.result} "
                                 "(please report this problem file)")
            self._checked.add(key)
        return step

    def read_off(self, node: Node, step: MStep, gradient: bool, var: str | None = None) -> Node:
        differ = self.differs[var or self.var.name]
        try:
            if differ.var.is_vector:
                out = differ.coefficient(step.result, transpose=gradient)
            else:
                out = MatrixReadOff(differ).gradient(step.result)
        except Unsupported as exc:
            raise DeriveError(str(exc)) from None
        if not check_coefficient(node, out, differ.var.name, self.draws, gradient):
            raise CheckError(f"internal check failed: {'the gradient' if gradient else 'the Jacobian'} {out} of {node} "
                             "(please report this problem file)")
        return out

    def gradient(self, node: Node, var: str | None = None) -> tuple[MStep, Node]:
        step = self.d(node, var)
        return step, self.read_off(node, step, True, var)

    def jacobian(self, node: Node, var: str | None = None) -> tuple[MStep, Node]:
        step = self.d(node, var)
        return step, self.read_off(node, step, False, var)


def _lowest_size(shaped: Any) -> int:
    """The smallest size a draw may give: at least every literal index (x[3]) used."""
    return max([2, *getattr(shaped, "literal_indices", ())])


def _has_decimal(node: Node) -> bool:
    if isinstance(node, Num):
        return node.decimal
    return any(_has_decimal(c) for c in children(node))


def _scalar_constants(func: Any) -> set[str]:
    out: set[str] = set()

    def walk(n: Node) -> None:
        if isinstance(n, Sym) and n.kind == "const" and n.shape == SCALAR:
            out.add(n.name)
        if isinstance(n, Ref):
            walk(n.body)
        for c in children(n):
            walk(c)

    walk(func.exprs[0] if hasattr(func, "exprs") else func)
    return out


def engine_for(engine: Any) -> MatrixEngine:
    """The matrix engine of a problem, kept on the problem's ``Engine``."""
    found = getattr(engine, "_matrix_engine", None)
    if found is None:
        found = MatrixEngine(engine.problem.shapes)
        engine._matrix_engine = found
    return found


# -- results ---------------------------------------------------------------------------
