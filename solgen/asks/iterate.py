"""Shared by ``newton`` and ``descent`` (not an ask itself): the part keys ``steps``,
``rate`` and ``decimals``, the exact iteration, and its view.

Each iteration evaluates the checked gradient (and, for Newton, the checked Hessian) at
the iterate exactly, computes the step (Newton: the solution p of H p = -grad f, checked
by multiplying back; descent: -rate * grad f) and the next iterate. Iterates stay exact;
when they grow too long to write and the part gives ``decimals:``, the rest of the run
uses 40-digit numbers (said in the handout); without ``decimals:`` that is an error.
A singular Hessian stops Newton's method at its iterate, said there.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks import solving
from solgen.asks.base import derivative, matrix_form, Entry, Result
from solgen.errors import CheckError, DeriveError, SpecError
from solgen.input.expr import ParseError, parse_exact
from solgen.input.fields import read_at, read_decimals, read_detail, read_of
from solgen.math.printer import terminating_decimal
from solgen.present.view import as_written, group, pd, second
from solgen.present.formula import Formula, Side, chain, row

MAX_STEPS = 10
MAX_EXACT = 160  # characters of an exact coordinate before it is too long to write
DIGITS = 40


@record
class Iteration:
    k: int
    point: tuple[sp.Expr, ...]
    gradient: tuple[sp.Expr, ...]
    hessian: tuple[tuple[sp.Expr, ...], ...] | None = None
    step: tuple[sp.Expr, ...] | None = None  # None: no step (a singular Hessian)
    next: tuple[sp.Expr, ...] | None = None


@record
class IterateResult(Result):
    method: str = "newton"
    gradient: tuple[sp.Expr, ...] = ()
    hessian: tuple[tuple[sp.Expr, ...], ...] | None = None
    iterations: tuple[Iteration, ...] = ()
    rate: sp.Expr | None = None
    singular_at: int | None = None  # the iterate whose Hessian is singular
    rounded_from: int | None = None  # the first iterate given in decimals only

    @property
    def iterates(self) -> list[tuple[sp.Expr, ...]]:
        out = [it.point for it in self.iterations]
        if self.iterations and self.iterations[-1].next is not None:
            out.append(self.iterations[-1].next)
        return out

    @property
    def answer(self) -> dict[str, Any]:
        names = [v.name for v, _ in self.part.at]
        decimal = _decimal_style(self.part)
        return {"iterates": [{n: _json_number(x, decimal) for n, x in zip(names, pt)} for pt in self.iterates]}

    def json_fields(self) -> dict[str, Any]:
        names = [v.name for v, _ in self.part.at]
        out: dict[str, Any] = {
            "gradient": list(self.gradient),
            "iterations": [{"k": it.k, "point": dict(zip(names, it.point)), "gradient": list(it.gradient),
                            **({"hessian": [list(r) for r in it.hessian]} if it.hessian is not None else {}),
                            **({"step": list(it.step)} if it.step is not None else {})} for it in self.iterations],
        }
        if self.hessian is not None:
            out["hessian"] = [list(r) for r in self.hessian]
        if self.singular_at is not None:
            out["singular_at"] = self.singular_at
        if self.part.decimals is not None:
            out["rounded"] = [{n: rounded(x, self.part.decimals) for n, x in zip(names, pt)} for pt in self.iterates]
        return out


def _short(v: sp.Expr, digits: int) -> bool:
    """Exactly written in few characters: an integer, or a terminating decimal with at
    most ``digits`` places."""
    if v.is_Integer:
        return True
    shown = terminating_decimal(v)
    return shown is not None and len(shown.split(".")[1]) <= digits


def _decimal_style(part: Any) -> bool:
    """The start or the rate was written with decimals (-1.2, 0.1): iterates that are
    terminating decimals are written so too."""
    at = part.raw.get("at") or {}
    written = [*at.values(), part.raw.get("rate")]
    return any(isinstance(v, float) or (isinstance(v, str) and "." in v) for v in written)


def _json_number(x: sp.Expr, decimal: bool) -> Any:
    shown = terminating_decimal(x) if decimal else None
    return shown if shown is not None else x


def rounded(x: sp.Expr, digits: int) -> str:
    value = Decimal(str(sp.N(x, DIGITS))).quantize(Decimal(1).scaleb(-digits))
    return str(value.copy_abs() if value.is_zero() else value)  # 0.000000, not -0.000000


def read(data: Any, ctx: dict, kw: dict, pid: str, ask: str) -> None:
    read_of(data, ctx, kw, pid, ask, scalar=True)
    if ctx.get("shaped"):
        raise SpecError(f"part ({pid}): {ask} steps on vectors are not computed here; write the variables as scalars", data.line)
    read_at(data, ctx, kw, pid, ask, required=True)
    read_detail(data, kw, pid, ctx["defaults"]["detail"])
    read_decimals(data, kw, pid)
    steps = data.get("steps", 1)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise SpecError(f"part ({pid}): steps must be an integer from 1 to {MAX_STEPS}", data.key_lines.get("steps", data.line))
    kw["steps"] = steps
    if ask == "descent":
        if "rate" not in data or data["rate"] is None:
            raise SpecError(f"part ({pid}): gradient descent needs a step size 'rate', e.g. rate: 0.1", data.line)
        try:
            rate = parse_exact(data["rate"])
        except ParseError as exc:
            raise SpecError(f"part ({pid}): rate: {exc}", data.key_lines["rate"]) from None
        if not rate.is_positive:
            raise SpecError(f"part ({pid}): rate must be a positive number such as 0.1 or 1/10", data.key_lines["rate"])
        kw["rate"] = rate


def _too_long(values: list[sp.Expr]) -> bool:
    return any(sp.count_ops(v) > 40 or len(str(v)) > MAX_EXACT for v in values)


def _vanishes(value: sp.Expr, rounded: bool) -> bool:
    """The check of a Newton step: ``value`` is 0 (to 40 digits when it is a number; then
    exactly when it has the file's constants in it; to rounding once the iterates are rounded)."""
    if value.free_symbols:
        return sp.simplify(value) == 0
    return abs(sp.N(value, 60)) < (sp.Float("1e-20") if rounded else sp.Float("1e-40"))


def derive(engine: Any, part: Any, method: str) -> IterateResult:
    (expr,) = engine.function(part)
    variables = list(engine.vars)
    grad_trees = engine.gradient(expr)
    grad = [t.result for t in grad_trees]
    entries = [Entry((i,), t) for i, t in enumerate(grad_trees)]
    hess = None
    if method == "newton":
        trees, hess = engine.hessian(expr)
        entries += [Entry(k, t) for k, t in trees.items()]
    point = [v for _, v in part.at]
    iterations: list[Iteration] = []
    singular_at = rounded_from = None
    for k in range(part.steps):
        if rounded_from is None and k and _too_long(point):  # too long to go on exactly
            if part.decimals is None:
                raise DeriveError(f"the exact iterate x_{k} is too long to write; add decimals: N to round the iterates")
            rounded_from = k
            point = [sp.Float(sp.N(x, DIGITS), DIGITS) for x in point]
        here = replace(part, at=tuple(zip(variables, point)))
        g = [solving.exact(engine.at(e, here)) for e in grad]
        if method == "newton":
            h = sp.Matrix([[solving.exact(engine.at(e, here)) for e in row] for row in hess])
            if solving.sign(h.det()) == 0:
                iterations.append(Iteration(k, tuple(point), tuple(g), tuple(tuple(r) for r in h.tolist())))
                singular_at = k
                break
            step = [solving.exact(s) for s in h.LUsolve(-sp.Matrix(g))]
            residual = h * sp.Matrix(step) + sp.Matrix(g)  # the check: H p = -grad f
            if not all(_vanishes(r, rounded_from is not None) for r in residual):
                raise CheckError(f"internal check failed: the Newton step at iterate {k} does not solve H p = -grad f")
            hessian_rows = tuple(tuple(r) for r in h.tolist())
        else:
            step = [solving.exact(-part.rate * gi) for gi in g]
            hessian_rows = None
        new = [solving.exact(x + s) for x, s in zip(point, step)]
        if rounded_from is None and _too_long(new + step):
            if part.decimals is None:
                raise DeriveError(f"the exact iterate x_{k + 1} is too long to write; add decimals: N to round the iterates")
            rounded_from = k + 1
        if rounded_from is not None:
            new = [sp.Float(sp.N(x, DIGITS), DIGITS) for x in new]
        iterations.append(Iteration(k, tuple(point), tuple(g), hessian_rows, tuple(step), tuple(new)))
        point = new
    return IterateResult(part, tuple(entries), method, tuple(grad), tuple(tuple(r) for r in hess) if hess is not None else None,
                         tuple(iterations), part.rate, singular_at, rounded_from)


# -- view -------------------------------------------------------------------------------

def _rel(tex_relation: str) -> str:
    """A relation as the LaTeX ``rel`` writes it, as ``chain`` names it."""
    return "≈" if tex_relation == "\\approx" else "="


def present(r: IterateResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, x = r.part.of, tex.args
    names = [tex(v) for v in problem.variables]
    w = tex.words
    decimal = _decimal_style(r.part)
    digits = r.part.decimals

    def num(v: sp.Expr) -> str:
        """A coordinate as the file wrote its start (-1.2, not -6/5); with ``decimals:`` a
        number that is not short exactly is shown rounded (the line then says approx)."""
        if isinstance(v, sp.Float):
            return rounded(v, digits if digits is not None else 6)
        shown = terminating_decimal(v) if decimal else None
        if shown is None and digits is not None and not _short(v, digits):
            return rounded(v, digits)
        return shown if shown is not None else tex.value(v)

    def rel(values: list[sp.Expr]) -> str:
        return "\\approx" if digits is not None and not all(_short(v, digits) for v in values) else "="

    def pt(values: tuple[sp.Expr, ...]) -> str:
        return ", ".join(num(v) for v in values)

    rate = as_written(((None, r.rate),), {None: r.part.raw.get("rate")}, tex) if r.rate is not None else ""
    groups = []
    for e in r.entries:
        if len(e.index) == 1:
            groups.append(group(pd(f, names[e.index[0]], x), e.tree, tex, r.part))
        else:
            i, j = e.index
            groups.append(group(second(f, names[j], names[i], x), e.tree, tex, r.part))

    variables = list(problem.variables)
    F = next((e.tree.expr for e in r.entries if len(e.index) == 1), None)  # f, where the first derivatives start
    exact = r.rounded_from is None  # rounded iterates are shown, not claimed: their lines stay plain LaTeX
    grad_d = sp.Matrix([derivative(F, v) for v in variables]) if F is not None else None
    hess_d = sp.Matrix([[derivative(F, a, b) for b in variables] for a in variables]) if F is not None else None

    def line(*items: Any, where: Any = None) -> Any:
        """A chain when its forms are exact, else the same LaTeX unclaimed."""
        built = chain(*items, where=where)
        return built if exact and F is not None else str(built)

    def col(values: Any) -> Any:
        return sp.Matrix(list(values))

    blocks: list[dict[str, Any]] = []
    lead = w("newton.intro", f=f) if r.method == "newton" else w("descent.intro", f=f, rate=rate)
    blocks.append({"math": line(Side(f"{tex.nabla} {f}({x})", grad_d), "=", Side(tex.col(list(r.gradient)), matrix_form(r.gradient)))})
    if r.hessian is not None:
        blocks.append({"math": line(Side(f"{tex.nabla}^2 {f}({x})", hess_d), "=",
                                    Side(tex.mat([list(row) for row in r.hessian]), matrix_form(r.hessian)))})
    for it in r.iterations:
        k, k1 = it.k, it.k + 1
        if r.rounded_from is not None and k == r.rounded_from:
            blocks.append({"text": w("newton.large", n=str(DIGITS))})
        blocks.append({"text": w(f"{r.method}.at", k=str(k), point=f"x_{{{k}}} {rel(list(it.point))} ({pt(it.point)})")})
        gcol = tex.col([num(v) for v in it.gradient])
        here = dict(zip(variables, it.point))
        blocks.append({"math": line(Side(f"{tex.nabla} {f}(x_{{{k}}})", grad_d), _rel(rel(list(it.gradient))),
                                    Side(gcol, col(it.gradient)), where=here)})
        if r.method == "newton":
            hmat = tex.mat([[num(v) for v in row] for row in it.hessian])
            blocks.append({"math": line(Side(f"{tex.nabla}^2 {f}(x_{{{k}}})", hess_d), _rel(rel([v for row in it.hessian for v in row])),
                                        Side(hmat, sp.Matrix([list(row) for row in it.hessian])), where=here)})
            if it.step is None:
                blocks.append({"text": w("newton.singular", f=f, k=str(k))})
                break
            blocks.append({"text": w("newton.solve", f=f, k=str(k))})
            neg = tex.col([num(-v) for v in it.gradient])
            solve = f"{hmat} p_{{{k}}} = {neg} \\quad \\Rightarrow \\quad p_{{{k}}} {rel(list(it.step))} {tex.col([num(v) for v in it.step])}"
            if exact:  # H p_k = -grad f(x_k): the step solves it; p_k is that step
                step = col(it.step)
                solve = Formula(solve, [sp.Matrix([list(row) for row in it.hessian]) * step, -col(it.gradient), step, step],
                                ["=", "⇒", _rel(rel(list(it.step)))])
            blocks.append({"math": solve})
            blocks.append({"math": line(Side(f"x_{{{k1}}}", col(it.next)), "=",
                                        Side(f"x_{{{k}}} + p_{{{k}}}", col(it.point) + col(it.step)), _rel(rel(list(it.next))),
                                        Side(f"({pt(it.next)})", col(it.next)))})
        else:
            moved = col(it.point) - r.rate * col(it.gradient)  # x_k - eta grad f(x_k)
            blocks.append({"math": line(Side(f"x_{{{k1}}}", col(it.next)), "=", Side(f"x_{{{k}}} - \\eta {tex.nabla} {f}(x_{{{k}}})", moved), "=",
                                        Side(f"({pt(it.point)}) - {rate} ({pt(it.gradient)})", moved),
                                        _rel(rel(list(it.next) + list(it.point) + list(it.gradient))),
                                        Side(f"({pt(it.next)})", col(it.next)))})
    # the answer: every iterate, three to a line (the same lines on the slides)
    listed = [line(Side(f"x_{{{k}}}", col(x)), _rel(rel(list(x))), Side(f"({pt(x)})", col(x))) for k, x in enumerate(r.iterates)]
    summary: list[Any] = [row(listed[i:i + 3]) for i in range(0, len(listed), 3)]  # each iterate its own formula
    if r.singular_at is not None:
        singular = r.iterations[-1].hessian or ()
        summary.append(line(Side(f"\\det {tex.nabla}^2 {f}(x_{{{r.singular_at}}})", sp.Matrix([list(row) for row in singular]).det()),
                            "=", Side("0", sp.Integer(0))))
    blocks.append({"text": w("newton.iterates", count=len(listed))})
    blocks.extend({"math": line} for line in summary)
    return {"lead": lead, "groups": groups, "blocks": blocks, "answer": [], "answer_short": summary}
