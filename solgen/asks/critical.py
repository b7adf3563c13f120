"""critical: the critical points of a scalar function, solved exactly over the reals, each
with f's value, the Hessian there and the second-derivative test's verdict (minimum,
maximum, saddle, inconclusive). With ``subject_to: "g = c"`` (or a list of constraints)
the Lagrange conditions grad f = lambda grad g, g = c instead, each candidate classified
by the bordered Hessian, and the largest and smallest values among the candidates named.

The gradient (and each constraint's gradient) comes from the engine's checked step
trees; every point is checked by substitution (grad f = 0, or the Lagrange equations),
and the Hessian at a point is the checked Hessian's entries there.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.asks import solving
from solgen.math.named import unfold
from solgen.asks.base import derivative, matrix_form, Ask, Entry, Result
from solgen.present import blocks
from solgen.errors import CheckError, DeriveError, SpecError
from solgen.input.expr import ParseError, parse_expression
from solgen.input.fields import read_detail, read_of
from solgen.present.view import group, pd, second
from solgen.math import lazy
from solgen.present.formula import Formula, Side, chain, row

MAX_CONSTRAINTS = 3


@record
class Candidate:
    point: tuple[tuple[sp.Symbol, sp.Expr], ...]
    value: sp.Expr
    hessian: tuple[tuple[sp.Expr, ...], ...]
    kind: str
    facts: dict
    multipliers: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    bordered: tuple[tuple[sp.Expr, ...], ...] | None = None


@record
class CriticalResult(Result):
    gradient: tuple[sp.Expr, ...] = ()
    hessian: tuple[tuple[sp.Expr, ...], ...] = ()
    constraints: tuple[tuple[sp.Expr, sp.Expr], ...] = ()  # (g, c) for g = c
    constraint_gradients: tuple[tuple[sp.Expr, ...], ...] = ()
    multipliers: tuple[sp.Symbol, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    largest: tuple[int, ...] = ()  # with constraints: the candidates with the largest value
    smallest: tuple[int, ...] = ()

    @property
    def answer(self) -> list[dict[str, Any]]:
        out = []
        for c in self.candidates:
            item: dict[str, Any] = {"point": {v.name: x for v, x in c.point}, "value": c.value,
                                    "hessian": [list(r) for r in c.hessian], "kind": c.kind}
            if c.multipliers:
                item["multipliers"] = {_json_name(m): x for m, x in c.multipliers}
            out.append(item)
        return out

    def json_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"gradient": list(self.gradient), "hessian": [list(r) for r in self.hessian]}
        if self.constraints:
            fields["constraints"] = [{"g": g, "c": c} for g, c in self.constraints]
            fields["largest"] = [self.candidates[i].value for i in self.largest][:1]
            fields["smallest"] = [self.candidates[i].value for i in self.smallest][:1]
        return fields


def _json_name(symbol: sp.Symbol) -> str:
    return "lambda" + symbol.name[len("lamda"):] if symbol.name.startswith("lamda") else symbol.name


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    read_of(data, ctx, kw, pid, "critical", scalar=True)
    if ctx.get("shaped"):  # a vector variable (shapes:): the closed form of an affine gradient, the shaped engine (asks/shaped.py)
        read_shaped = lazy.load('matrix_critical').read

        read_shaped(data, ctx, kw, pid)
        read_detail(data, kw, pid, ctx["defaults"]["detail"])
        return
    read_detail(data, kw, pid, ctx["defaults"]["detail"])
    if "subject_to" in data:
        kw["constraints"] = read_constraints(data, ctx, pid)


def read_constraints(data: Any, ctx: dict, pid: str) -> tuple[tuple[sp.Expr, sp.Expr], ...]:
    """``subject_to: "g = c"`` or a list of them, each read by solgen's expression parser."""
    value, line = data["subject_to"], data.key_lines["subject_to"]
    items = value if isinstance(value, list) else [value]
    lines = value.item_lines if isinstance(value, list) else [line]
    if not items or len(items) > MAX_CONSTRAINTS:
        raise SpecError(f"part ({pid}): subject_to takes 1 to {MAX_CONSTRAINTS} constraints such as \"x^2 + y^2 = 1\"", line)
    out = []
    for text, item_line in zip(items, lines):
        if not isinstance(text, str) or text.count("=") != 1:
            raise SpecError(f"part ({pid}): a constraint is one equation such as \"x^2 + y^2 = 1\" (one '=')", item_line)
        sides = []
        for side in text.split("="):
            try:
                sides.append(parse_expression(side, ctx["symbols"], ctx["scalars"], ctx["constants"], ctx.get("closed", False)))
            except ParseError as exc:
                where = f" (column {exc.column})" if exc.column else ""
                raise SpecError(f"part ({pid}): in constraint {text[:60]!r}{where}: {exc}", item_line) from None
        g, c = sides
        variables = set(ctx["symbols"].values())
        if c.free_symbols & variables:  # variables on both sides: g - c = 0
            g, c = g - c, sp.Integer(0)
        if not g.free_symbols & variables:
            raise SpecError(f"part ({pid}): the constraint {text[:60]!r} has no variable in it", item_line)
        out.append((g, c))
    return tuple(out)


def _multiplier_symbols(engine: Any, count: int) -> tuple[sp.Symbol, ...]:
    taken = {s.name for s in engine.vars} | {s.name for f in engine.problem.functions.values() for e in f.exprs
                                            for s in e.free_symbols}
    base = "lamda" if "lamda" not in taken and "lambda" not in taken else "mu"
    if count == 1:
        return (sp.Symbol(base, real=True),)
    return tuple(sp.Symbol(f"{base}{k}", real=True) for k in range(1, count + 1))


def derive(engine: Any, part: Any) -> CriticalResult:
    if engine.problem.shapes:
        derive_shaped = lazy.load('matrix_critical').derive

        return derive_shaped(engine, part)  # type: ignore[return-value]
    (expr,) = engine.function(part)
    variables = list(engine.vars)
    grad_trees = engine.gradient(expr)
    grad = [t.result for t in grad_trees]
    entries = [Entry((i,), t) for i, t in enumerate(grad_trees)]
    trees, hess = engine.hessian(expr)
    entries += [Entry(k, t) for k, t in trees.items()]
    constraints = getattr(part, "constraints", ()) or ()
    at = lambda e, point: engine.at(e, replace(part, at=tuple((v, point[v]) for v in variables)))  # noqa: E731
    if not constraints:
        points = solving.solve_real(grad, variables, "the system grad f = 0")
        candidates = []
        for point in points:
            for g in grad:  # the check: the gradient vanishes there
                if sp.simplify(at(g, point)) != 0:
                    raise CheckError("internal check failed: a critical point does not make the gradient 0")
            h = sp.Matrix([[solving.exact(at(e, point)) for e in row] for row in hess])
            kind, facts = solving.classify(h)
            candidates.append(Candidate(tuple((v, point[v]) for v in variables), solving.exact(at(expr, point)),
                                        tuple(tuple(r) for r in h.tolist()), kind, facts))
        return CriticalResult(part, tuple(entries), tuple(grad), tuple(tuple(r) for r in hess), candidates=tuple(candidates))
    lams = _multiplier_symbols(engine, len(constraints))
    cgrads = []
    for k, (g, _c) in enumerate(constraints):
        g_trees = [engine.tree(g, v) for v in variables]
        entries += [Entry((100 + k, i), t) for i, t in enumerate(g_trees)]
        cgrads.append(tuple(t.result for t in g_trees))
    equations = [grad[i] - sum((lam * cg[i] for lam, cg in zip(lams, cgrads)), sp.Integer(0)) for i in range(len(variables))]
    equations += [g - c for g, c in constraints]
    solutions = solving.solve_real(equations, variables + list(lams), "the Lagrange system grad f = lambda grad g, g = c")
    jac = sp.Matrix([list(cg) for cg in cgrads])
    candidates = []
    for sol in solutions:
        point = {v: sol[v] for v in variables}
        for e in equations:
            if sp.simplify(at(e, {**point}).xreplace({lam: sol[lam] for lam in lams})) != 0:
                raise CheckError("internal check failed: a Lagrange point does not solve the system")
        h = sp.Matrix([[solving.exact(at(e, point)) for e in row] for row in hess])
        hl = h.copy()
        for lam, (g, _c) in zip(lams, constraints):
            hl -= sol[lam] * sp.Matrix([[at(sp.diff(g, a, b), point) for b in variables] for a in variables])
        jac_at = jac.applyfunc(lambda e: at(e, point))
        b = solving.bordered(jac_at, hl.applyfunc(solving.exact)).applyfunc(solving.exact)
        kind, ms = solving.classify_bordered(b, len(constraints), len(variables))
        candidates.append(Candidate(tuple((v, point[v]) for v in variables), solving.exact(at(expr, point)),
                                    tuple(tuple(r) for r in h.tolist()), kind, {"test": "bordered", "minors": ms},
                                    tuple((lam, sol[lam]) for lam in lams), tuple(tuple(r) for r in b.tolist())))
    largest, smallest = _extremes([c.value for c in candidates])
    return CriticalResult(part, tuple(entries), tuple(grad), tuple(tuple(r) for r in hess), tuple(constraints),
                          tuple(cgrads), lams, tuple(candidates), largest, smallest)


def _extremes(values: list[sp.Expr]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The indices of the largest and the smallest values (when they can be compared and
    are not all equal)."""
    if len(values) < 2 or any(v.free_symbols for v in values):
        return (), ()
    numbers = [float(sp.N(v, 30)) for v in values]
    top, bottom = max(numbers), min(numbers)
    if top == bottom:
        return (), ()
    return (tuple(i for i, x in enumerate(numbers) if x == top), tuple(i for i, x in enumerate(numbers) if x == bottom))


# -- view -------------------------------------------------------------------------------

def present(r: CriticalResult, tex: Any, problem: Any) -> dict[str, Any]:
    if problem.shapes:
        present_shaped = lazy.load('matrix_critical').present

        return present_shaped(r, tex, problem)  # type: ignore[arg-type]

    f, x = r.part.of, tex.args
    names = [tex(v) for v in problem.variables]
    w = tex.words
    letter = next(n for n in ("g", "h", "k", "q", "p") if n != f and n not in problem.functions)  # the constraint's name
    single = len(names) == 1
    groups = []
    for e in r.entries:
        if len(e.index) == 1:
            groups.append(group(f"{f}'({x})" if single else pd(f, names[e.index[0]], x), e.tree, tex, r.part))
        elif e.index[0] >= 100:
            g = f"{letter}_{{{e.index[0] - 99}}}" if len(r.constraints) > 1 else letter
            groups.append(group(pd(g, names[e.index[1]], x), e.tree, tex, r.part))
        elif not r.constraints:  # with constraints the Hessian only feeds the bordered test: checked, in the JSON
            i, j = e.index
            groups.append(group(f"{f}''({x})" if single else second(f, names[j], names[i], x), e.tree, tex, r.part))

    variables = list(problem.variables)
    F = next((e.tree.expr for e in r.entries if len(e.index) == 1), None)  # f, where the first derivatives start

    def line(*items: Any, where: Any = None) -> Any:
        built = chain(*items, where=where)
        return built if F is not None else str(built)

    hess_d = sp.Matrix([[derivative(F, a, b) for b in variables] for a in variables]) if F is not None else None
    blocks: list[dict[str, Any]] = []
    short: list[str] = []
    if not r.constraints:
        blocks.append({"text": w("critical.system_single", f=f, var=x) if single else w("critical.system", f=f)})
        for var, v, g in zip(variables, names, r.gradient):
            lhs = f"{f}'({x})" if single else pd(f, v, x)  # f'(x) for a function of one variable
            # the derivative and its forms are claimed equal; "= 0" is the equation to solve, not a claim
            sides: list[Any] = [Side(lhs, derivative(F, var) if F is not None else None), "=", Side(tex(g), matrix_form([g])[0])]
            factored = sp.factor(g)
            if isinstance(factored, sp.Mul) and sum(1 for a in factored.args if not a.is_Number) >= 2:
                sides += ["=", Side(tex.poly(factored), factored)]
            blocks.append({"math": line(*sides, "=", Side("0", None))})
            short.append(f"{tex(g)} = 0")
    else:
        several = len(r.constraints) > 1
        lam = " + ".join(f"{tex(m)} {tex.nabla} {letter}{f'_{{{k}}}' if several else ''}" for k, m in enumerate(r.multipliers, 1))
        defined = ", \\quad ".join(f"{letter}{f'_{{{k}}}' if several else ''}({x}) = {tex(g)}"
                                     for k, (g, _c) in enumerate(r.constraints, 1))
        blocks.append({"text": w("critical.lagrange", f=f, lam=lam, constraint=defined, count=len(r.constraints))})
        for i, v in enumerate(names):
            rhs = " + ".join(tex(sp.Mul(m, cg[i])) for m, cg in zip(r.multipliers, r.constraint_gradients)
                             if cg[i] != 0).replace("+ -", "- ") or "0"
            blocks.append({"math": condition(tex(r.gradient[i]), r.gradient[i], rhs)})
            short.append(f"{tex(r.gradient[i])} = {rhs}")
        for g, c in r.constraints:
            blocks.append({"math": condition(tex(g), g, tex(c))})
            short.append(f"{tex(g)} = {tex(c)}")
    blocks.extend(_by_hand(r, tex))
    if not r.candidates:
        blocks.append({"text": w("critical.none", count=len(r.constraints), f=f)})
        return {"groups": groups, "blocks": blocks, "lead": None, "answer": [], "answer_short": short}
    points = [f"{names[0]} = {tex.value(c.point[0][1])}" if single else f"({', '.join(tex.value(val) for _, val in c.point)})"
              for c in r.candidates]
    blocks.append({"text": w("critical.solutions", count=len(r.candidates), points=", ".join(points))})
    if not r.constraints:  # the Hessian once, symbolically, then at each point
        blocks.append({"math": line(Side(f"{f}''({x})", hess_d[0, 0] if hess_d is not None else None), "=",
                                    Side(tex(r.hessian[0][0]), matrix_form([r.hessian[0][0]])[0])) if single
                       else line(Side(f"{tex.nabla}^2 {f}({x})", hess_d), "=",
                                 Side(tex.mat([list(row) for row in r.hessian]), matrix_form(r.hessian)))})
    for c, pt in zip(r.candidates, points):
        where = tex.value(c.point[0][1]) if single else pt[1:-1]
        at = dict(c.point)
        value: Any = line(Side(f"{f}({where})", unfold(F) if F is not None else None), "=", Side(tex.value(c.value), c.value), where=at)
        if c.multipliers:  # a list of values, not one chain
            value = row([line(Side(tex(m), m), "=", Side(tex.value(val), val), where={m: val}) for m, val in c.multipliers] + [value])
        blocks.append({"text": w("critical.at", point=pt)})
        blocks.append({"math": value})
        kind = w(f"critical.kind.{c.kind}")
        if not r.constraints:
            if not single:  # one variable: f''(a) is in the test's sentence
                blocks.append({"math": line(Side(f"{tex.nabla}^2 {f}({where})", hess_d), "=",
                                            Side(tex.mat([[tex.value(e) for e in row] for row in c.hessian]),
                                                 sp.Matrix([list(row) for row in c.hessian])), where=at)})
            blocks.extend(_test_blocks(c, tex, f, where, names))
        else:
            bordered = sp.Matrix([list(r_) for r_ in c.bordered])
            blocks.append({"math": line(Side(f"H_B({where})", bordered), "=",
                                        Side(tex.mat([[tex.value(e) for e in r_] for r_ in c.bordered]), bordered))})
            ms = c.facts["minors"]
            if ms:
                first = 2 * len(r.constraints) + 1
                listed = ", \\quad ".join(f"\\det H_{{{k}}} = {tex.value(m)}" for k, m in zip(range(first, first + len(ms)), ms))
                blocks.append({"text": w("critical.bordered", minors=listed)})
                if any(solving.sign(m) is None for m in ms):
                    blocks.append({"text": w("critical.unknown")})
        blocks.append({"text": w(f"critical.verdict.{c.kind}", point=pt)})
        short.append(f"{pt} \\ \\text{{({_plain(kind)})}}: \\quad {value}")
    if r.largest:
        blocks.append({"text": w("critical.largest", point=", ".join(points[i] for i in r.largest), f=f,
                                 value=tex.value(r.candidates[r.largest[0]].value))})
        blocks.append({"text": w("critical.smallest", point=", ".join(points[i] for i in r.smallest), f=f,
                                 value=tex.value(r.candidates[r.smallest[0]].value))})
    return {"groups": groups, "blocks": blocks, "lead": None, "answer": [], "answer_short": short}


def _by_hand(r: CriticalResult, tex: Any) -> list[dict[str, Any]]:
    """The substitutions a TA makes to solve the system, as far as they go."""
    unknowns = list(tex.variables) + list(r.multipliers)
    if r.constraints:
        eqs = [g - sum((m * cg[i] for m, cg in zip(r.multipliers, r.constraint_gradients)), sp.Integer(0))
               for i, g in enumerate(r.gradient)] + [g - c for g, c in r.constraints]
    else:
        eqs = list(r.gradient)
    try:
        with solving.budget(solving.SOLVE_SECONDS, "the substitutions"):
            steps = solving.eliminate(eqs, unknowns)
    except DeriveError:  # the points are solved and checked; the by-hand lines are a courtesy
        return []
    if not steps["solved"]:
        return []
    w, out = tex.words, []
    for e, u, value in steps["solved"]:
        solve = f"{tex(u)} = {tex.poly(value)}"
        if sp.expand(e - (u - value)) == 0 or sp.expand(e + (u - value)) == 0:  # shown as u = value already
            out.append({"text": w("critical.use", solve=solve)})
        else:
            out.append({"text": w("critical.substitute", system=f"{tex.poly(e)} = 0", solve=solve)})
    if steps["rest"]:
        out.append({"text": w("critical.substituted", count=len(steps["rest"]))})
        out.extend({"math": condition(tex.poly(e), e, "0")} for e in steps["rest"])
    if steps["factored"] is not None and steps["roots"] is not None:
        u, roots = steps["roots"]
        said = ", ".join(tex.value(x) for x in roots)
        factored = f"{tex.poly(steps['factored'])} = 0"
        if not (isinstance(steps["factored"], sp.Mul) and sum(1 for a in steps["factored"].args if not a.is_Number) >= 2):
            out.append({"text": w("critical.so", solve=f"{tex(u)} = {said}", count=len(roots))} if roots
                       else {"text": w("critical.no_roots", system=f"{tex.poly(steps['rest'][0])} = 0")})
        elif roots:
            out.append({"text": w("critical.roots", system=factored, solve=f"{tex(u)} = {said}", count=len(roots))})
        else:
            out.append({"text": w("critical.no_roots", system=factored)})
    return out


def condition(lhs: str, form: Any, rhs: str) -> Any:
    """``lhs = rhs`` as an equation to solve: a Formula whose lhs is read, and whose ``=``
    claims nothing (the rhs side is None: it holds at the points solved for, not everywhere)."""

    return Formula(f"{lhs} = {rhs}", [unfold(form), None], ["="])


def _plain(sentence: Any) -> str:
    """A sentence without math, for ``\\text{...}`` inside a formula."""
    return "".join(ch if ch.isalnum() or ch in " -.,äöüßÄÖÜ" else "" for ch in str(sentence))


def _rel(value: sp.Expr) -> str:
    s = solving.sign(value)
    return {1: " > 0", -1: " < 0", 0: ""}.get(s, "")


def _test_blocks(c: Candidate, tex: Any, f: str, where: str, names: list[str]) -> list[dict[str, Any]]:
    w, facts = tex.words, c.facts
    out: list[dict[str, Any]] = []
    if facts["test"] == "second":
        out.append({"text": w("critical.test_second", f=f, point=where, value=tex(facts["value"]) + _rel(facts["value"]))})
    elif facts["test"] == "discriminant":
        h = c.hessian
        det = (f"D = {tex.paren(h[0][0])} \\cdot {tex.paren(h[1][1])} - {tex.paren(h[0][1])}^2 = {tex(facts['det'])}"
               + _rel(facts["det"]))
        if solving.sign(facts["det"]) == 1:
            first = f"{second(f, names[0], names[0], where)} = {tex(h[0][0])}{_rel(h[0][0])}"
            out.append({"text": w("critical.test_discriminant", det=det, first=first)})
        else:
            out.append({"text": w("critical.test_det", det=det)})
    else:
        listed = ", \\quad ".join(f"\\Delta_{{{k}}} = {tex(m)}" for k, m in enumerate(facts["minors"], start=1))
        out.append({"text": w("critical.test_minors", minors=listed)})
    if "eigenvalues" in facts:
        out.append({"text": w("critical.eigenvalues", value=", ".join(tex(v) for v in facts["eigenvalues"]))})
    if facts.get("unknown"):
        out.append({"text": w("critical.unknown")})
    return out


ASK = Ask("critical", frozenset({"of", "subject_to", "detail"}), read, derive, present, shaped=True, layout=blocks.steps_then_blocks)
