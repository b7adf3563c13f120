"""The gradient, Hessian and Jacobian asks for a shaped variable: derive with the
differential method (``matrix.diff``), check every step and result on random concrete
sizes (``matrix.check``), and present the steps and the answer in matrix form.

``asks/gradient.py``, ``hessian.py`` and ``jacobian.py`` hand a part here when the problem
file has ``shapes:``; scalar problems never reach this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solgen.asks.base import Entry, Result
from solgen.errors import CheckError, DeriveError, SpecError
from solgen.matrix.ast import SCALAR, D, Node, Ref, Sym, latex, shape_text
from solgen.matrix.check import check_coefficient, check_step, draws
from solgen.matrix.diff import Differ, MStep, Unsupported


# -- reading ---------------------------------------------------------------------------

def read_of(data: Any, ctx: dict, pid: str, ask: str, kw: dict) -> None:
    """A shaped part's ``of``: the gradient and Hessian need a scalar function, the
    Jacobian a vector one (or ``grad f``)."""
    shaped = ctx["shaped"]
    func = ctx["functions"][kw["of"]]
    node = func.exprs[0]
    line = data.key_lines.get("of", data.line)
    if ask in ("gradient", "hessian") and not node.is_scalar:
        raise SpecError(f"part ({pid}): the {ask} needs a scalar function; {kw['of']} is {shape_text(node.shape)}", line)
    if ask == "jacobian" and not kw.get("grad") and not node.is_vector:
        raise SpecError(f"part ({pid}): the Jacobian needs a vector function (or grad {kw['of']}); "
                        f"{kw['of']} is {shape_text(node.shape)}", line)
    if "at" in data:
        raise SpecError(f"part ({pid}): 'at' needs numbers for every entry; with shapes the answer is a matrix "
                        f"expression in {shaped.variable.name}", data.key_lines["at"])
    if data.get("simplify", "none") != "none":
        raise SpecError(f"part ({pid}): simplify applies to scalar problems; matrix answers are in a TA's form already",
                        data.key_lines.get("simplify", data.line))


# -- the engine ------------------------------------------------------------------------

class MatrixEngine:
    """Step trees and results for one problem, each checked once, cached by expression."""

    def __init__(self, shaped: Any):
        self.shaped = shaped
        self.differ = Differ(shaped.variable, shaped.symmetric, shaped.sums_to_one)
        self.differ.decimals = any(_has_decimal(f) for f in shaped.functions.values())
        scalars = sorted({n for f in shaped.functions.values() for n in _scalar_constants(f)} | set(shaped.constants))
        self.draws = draws(shaped.shapes, scalars, list(shaped.sizes), shaped.assume)
        self._checked: set[tuple[Node, Node]] = set()
        self.var = shaped.variable

    def d(self, node: Node) -> MStep:
        try:
            step = self.differ.d(node)
        except Unsupported as exc:
            raise DeriveError(str(exc)) from None
        for s in step.walk():
            key = (s.expr, s.result)
            if key in self._checked:
                continue
            if not check_step(s.expr, s.result, self.var.name, self.differ.dvar.name, self.draws):
                raise CheckError(f"internal check failed: the {s.rule} step d({s.expr}) = {s.result} "
                                 "(please report this problem file)")
            self._checked.add(key)
        return step

    def read_off(self, node: Node, step: MStep, gradient: bool) -> Node:
        try:
            out = self.differ.coefficient(step.result, transpose=gradient)
        except Unsupported as exc:
            raise DeriveError(str(exc)) from None
        if not check_coefficient(node, out, self.var.name, self.draws, gradient):
            raise CheckError(f"internal check failed: {'the gradient' if gradient else 'the Jacobian'} {out} of {node} "
                             "(please report this problem file)")
        return out

    def gradient(self, node: Node) -> tuple[MStep, Node]:
        step = self.d(node)
        return step, self.read_off(node, step, True)

    def jacobian(self, node: Node) -> tuple[MStep, Node]:
        step = self.d(node)
        return step, self.read_off(node, step, False)


def _has_decimal(node: Node) -> bool:
    from solgen.matrix.ast import Num, children

    if isinstance(node, Num):
        return node.decimal
    return any(_has_decimal(c) for c in children(node))


def _scalar_constants(func: Any) -> set[str]:
    out: set[str] = set()

    def walk(n: Node) -> None:
        from solgen.matrix.ast import children

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

@dataclass(frozen=True)
class MatrixGradientResult(Result):
    ANSWER = "gradient"
    gradient: Node | None = None
    differential: Node | None = None  # dL = gradient^T dw
    layout: str = "gradient as a column: dL = grad^T dw"

    @property
    def answer(self) -> Node | None:
        return self.gradient


@dataclass(frozen=True)
class MatrixHessianResult(Result):
    ANSWER = "hessian"
    hessian: Node | None = None
    gradient: Node | None = None
    layout: str = "Hessian = Jacobian of the gradient: d(grad) = H dw"

    @property
    def answer(self) -> Node | None:
        return self.hessian


@dataclass(frozen=True)
class MatrixJacobianResult(Result):
    ANSWER = "jacobian"
    jacobian: Node | None = None
    equals_hessian: bool | None = None
    layout: str = "rows are outputs: d(f) = J dw"

    @property
    def answer(self) -> Node | None:
        return self.jacobian


def _named(engine: Any, part: Any) -> Node:
    """The function of ``of`` by its name, so its derivative is written with it (J_p in p)."""
    body = engine.problem.functions[part.of].exprs[0]
    return Ref(part.of, body, body.shape)


def derive_gradient(engine: Any, part: Any) -> MatrixGradientResult:
    m = engine_for(engine)
    node = _named(engine, part)
    step, grad = m.gradient(node)
    return MatrixGradientResult(part, (Entry((0,), step),), grad, step.result)  # type: ignore[arg-type]


def derive_hessian(engine: Any, part: Any) -> MatrixHessianResult:
    m = engine_for(engine)
    node = _named(engine, part)
    step, grad = m.gradient(node)
    step2, hess = m.jacobian(grad)
    return MatrixHessianResult(part, (Entry((0,), step), Entry((1,), step2)), hess, grad)  # type: ignore[arg-type]


def derive_jacobian(engine: Any, part: Any) -> MatrixJacobianResult:
    m = engine_for(engine)
    node = _named(engine, part)
    entries = []
    if part.grad:
        step, node = m.gradient(node)
        entries.append(Entry((0,), step))
    step2, jac = m.jacobian(node)
    entries.append(Entry((len(entries),), step2))
    return MatrixJacobianResult(part, tuple(entries), jac, True if part.grad else None)  # type: ignore[arg-type]


# -- presenting ------------------------------------------------------------------------

def _paren(tex_text: str) -> str:
    """``(2 X^T X + 2 \\lambda I)`` before a differential; a single name needs none."""
    return f"({tex_text})" if " " in tex_text or "+" in tex_text or "-" in tex_text else tex_text


def _lines(step: MStep, tex: Any, top: str, depth: int = 0) -> list[dict[str, Any]]:
    lhs = top if depth == 0 else latex(D(step.expr, step.expr.shape))
    eq = lhs
    middle, result = (latex(step.middle) if step.middle is not None else None), latex(step.result)
    if middle is not None and middle != result:
        eq += " = " + middle
    eq += " = " + result
    fields = {"expr": latex(step.expr)}
    if step.facts:
        fields["name"] = ", ".join(step.facts)
    line = {"depth": depth, "equation": eq, "reason": tex.words(f"matrix.rule.{step.rule}", **fields), "rule": step.rule}
    out = [line]
    for s in step.substeps:
        out.extend(_lines(s, tex, top, depth + 1))
    return out


def _group(heading: str, step: MStep, tex: Any, part: Any, read: dict[str, Any], result: str) -> dict[str, Any]:
    from solgen.present.view import DETAIL_DEPTH

    key, depth = ("matrix", step.expr), DETAIL_DEPTH[part.detail]
    shown = tex.seen.get(key)
    seen_in = shown[0] if shown and depth >= 0 and shown[1] >= depth else None
    if not seen_in and depth >= 0:
        tex.seen[key] = (tex.question, depth)
    lines = [] if seen_in else [ln for ln in _lines(step, tex, heading) if ln["depth"] <= depth]
    same = lines and lines[0]["equation"].rsplit(" = ", 1)[-1] == read["equation"].rsplit(" = ", 1)[-1]
    if not seen_in and not same and depth >= 0:  # a differential already in the form to read off is not written twice
        lines.append(read)
    from solgen.present.words import text

    return {"seen_in": seen_in, "derived_in": tex.words("steps.derived_in", part=text(seen_in)) if seen_in else None,
            "held_note": "", "held_sentence": "", "result": result, "heading": heading, "var": "", "held": [],
            "note": None, "lines": lines, "fallback": False}


def convention(tex: Any, problem: Any, layout: bool = True) -> Any:
    """The shapes and the layout convention, each said once per document (at the first
    matrix part that needs it; an identity needs the shapes only)."""
    from solgen.present.words import join, text

    said = getattr(tex, "_matrix_said", set())
    tex._matrix_said = said
    out = []
    if "shapes" not in said:
        said.add("shapes")
        out.append(tex.words("matrix.shapes", symbol=problem.shapes.where()))
    if layout and "layout" not in said:
        said.add("layout")
        out.append(tex.words("matrix.convention", var=latex(problem.shapes.variable)))
    return join(out, text(" ")) if out else None


def present_gradient(r: MatrixGradientResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, w = r.part.of, latex(problem.shapes.variable)
    g = latex(r.gradient)
    dw = f"d{w}"
    read = {"depth": 0, "equation": f"d{f} = ({g})^T \\, {dw}" if " " in g else f"d{f} = {g}^T {dw}",
            "reason": tex.words("matrix.read_gradient", f=f, var=w), "rule": "read_off"}
    group = _group(f"d{f}", r.entries[0].tree, tex, r.part, read, g)  # type: ignore[arg-type]
    group["heading"] = f"d{f}"
    group["result"] = f"{latex(r.differential)}"  # type: ignore[arg-type]
    answer = f"\\nabla_{{{w}}} {f}({w}) = {g}"
    return {"convention": convention(tex, problem), "groups": [group], "answer": [answer], "answer_short": [answer],
            "equation": None}


def present_hessian(r: MatrixHessianResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, w = r.part.of, latex(problem.shapes.variable)
    g, h = latex(r.gradient), latex(r.hessian)  # type: ignore[arg-type]
    dw = f"d{w}"
    grad_of = f"\\nabla_{{{w}}} {f}"
    read1 = {"depth": 0, "equation": f"d{f} = ({g})^T \\, {dw}", "reason": tex.words("matrix.read_gradient", f=f, var=w),
             "rule": "read_off"}
    g1 = _group(f"d{f}", r.entries[0].tree, tex, r.part, read1, f"{grad_of}({w}) = {g}")  # type: ignore[arg-type]
    if g1["seen_in"]:
        g1["heading"] = f"{grad_of}({w})"
        g1["result"] = g
    read2 = {"depth": 0, "equation": f"d({grad_of}) = {_paren(h)} \\, {dw}",
             "reason": tex.words("matrix.read_hessian", f=f, var=w), "rule": "read_off"}
    g2 = _group(f"d({grad_of})", r.entries[1].tree, tex, r.part, read2, h)  # type: ignore[arg-type]
    answer = f"\\nabla^2_{{{w}}} {f}({w}) = {h}"
    return {"convention": convention(tex, problem), "groups": [g1, g2], "answer": [answer], "answer_short": [answer],
            "equation": None, "symmetric": False}


def present_jacobian(r: MatrixJacobianResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, w = r.part.of, latex(problem.shapes.variable)
    j = latex(r.jacobian)  # type: ignore[arg-type]
    dw = f"d{w}"
    groups = []
    name = f"\\nabla_{{{w}}} {f}" if r.part.grad else f
    if r.part.grad:
        gstep = r.entries[0].tree
        gtex = latex(gstep.result)
        read1 = {"depth": 0, "equation": f"d{f} = (\\nabla_{{{w}}} {f})^T \\, {dw}",
                 "reason": tex.words("matrix.read_gradient", f=f, var=w), "rule": "read_off"}
        groups.append(_group(f"d{f}", gstep, tex, r.part, read1, gtex))  # type: ignore[arg-type]
    read = {"depth": 0, "equation": f"d{name if not r.part.grad else '(' + name + ')'} = {_paren(j)} \\, {dw}",
            "reason": tex.words("matrix.read_jacobian", f=name if not r.part.grad else f"({name})", var=w), "rule": "read_off"}
    top = f"d{name}" if not r.part.grad else f"d({name})"
    groups.append(_group(top, r.entries[-1].tree, tex, r.part, read, j))  # type: ignore[arg-type]
    lhs = f"J_{{{name}}}({w})" if not r.part.grad else f"\\nabla_{{{w}}} (\\nabla_{{{w}}} {f})"
    tail = f" = \\nabla^2_{{{w}}} {f}({w})" if r.equals_hessian else ""
    answer = f"{lhs} = {j}{tail}"
    return {"convention": convention(tex, problem), "groups": groups, "answer": [answer], "answer_short": [answer],
            "equation": None, "equals_hessian": bool(r.equals_hessian)}


__all__ = ["read_of", "derive_gradient", "derive_hessian", "derive_jacobian", "present_gradient", "present_hessian",
           "present_jacobian", "convention", "engine_for"]
