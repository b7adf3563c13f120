"""The gradient, Hessian and Jacobian asks for a shaped variable: derive with the
differential method (``matrix.diff``), check every step and result on random concrete
sizes (``matrix.check``), and present the steps and the answer in matrix form.

``asks/gradient.py``, ``hessian.py`` and ``jacobian.py`` hand a part here when the problem
file has ``shapes:``; scalar problems never reach this module.
"""

from __future__ import annotations

from typing import Any

from solgen.math.record import record
from solgen.asks.base import Entry, Result
from solgen.errors import CheckError, DeriveError, SpecError
import sympy as sp

from solgen.input.expr import ParseError as ExprError, parse_exact

from solgen.math.shaped import SCALAR, D, Grad, Node, Num, Ref, Sym, children, latex, shape_text, text
from solgen.math.shaped_exact import tidy as exact_tidy, value as exact_value
from solgen.math.shaped_numeric import Undefined
from solgen.derive.shaped_check import check_coefficient, check_step, draws
from solgen.derive.shaped_diff import Differ, MatrixReadOff, MStep, Unsupported
from solgen.present.view import DETAIL_DEPTH
from solgen.present.words import join, text as sentence_text
from solgen.math import shaped_build as b
from solgen.derive.shaped_engine import MatrixEngine, engine_for  # noqa: F401 - the asks' engine
from solgen.asks import shaped_formula as _formula  # a cycle: formulas need this module's engine


# -- reading ---------------------------------------------------------------------------

def read_of(data: Any, ctx: dict, pid: str, ask: str, kw: dict) -> None:
    """A shaped part's ``of``: the gradient and Hessian need a scalar function, the
    Jacobian a vector one (or ``grad f``); ``wrt`` names the variable (a gradient takes
    each by default); ``at`` gives every name's value on integer sizes."""
    shaped = ctx["shaped"]
    func = ctx["functions"][kw["of"]]
    node = func.exprs[0]
    line = data.key_lines.get("of", data.line)
    if ask in ("gradient", "hessian") and not node.is_scalar:
        raise SpecError(f"part ({pid}): the {ask} needs a scalar function; {kw['of']} is {shape_text(node.shape)}", line)
    if ask == "jacobian" and not kw.get("grad") and not node.is_vector:
        raise SpecError(f"part ({pid}): the Jacobian needs a vector function (or grad {kw['of']}); "
                        f"{kw['of']} is {shape_text(node.shape)}", line)
    names = [v.name for v in shaped.variables]
    if "wrt" in data:
        wrt = str(data["wrt"])
        if wrt not in names:
            raise SpecError(f"part ({pid}): wrt: {wrt!r} is not a variable (variables: {', '.join(names)})",
                            data.key_lines["wrt"])
        kw["wrt"] = wrt
    elif ask != "gradient" and len(names) > 1:
        raise SpecError(f"part ({pid}): the {ask} is taken by one variable; say which with wrt: (one of "
                        f"{', '.join(names)})", data.line)
    for v in shaped.variables:
        if ask != "gradient" and v.name == kw.get("wrt", names[0]) and not v.is_vector:
            raise SpecError(f"part ({pid}): the {ask} by the matrix {v.name} would have four indices; ask for the "
                            f"gradient by {v.name} (it has {v.name}'s shape), or make the variable a vector", data.line)
    if "at" in data:
        kw["at"] = read_at(data, shaped, pid, node)
    if data.get("simplify", "none") != "none":
        raise SpecError(f"part ({pid}): simplify applies to scalar problems; matrix answers are in a TA's form already",
                        data.key_lines.get("simplify", data.line))


def names_used(node: Node) -> list[str]:
    """The declared names ``node`` uses (through the file's functions), in order of first use."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Sym) and n.kind in ("var", "const") and n.name not in out:
            out.append(n.name)
        if isinstance(n, Ref):
            walk(n.body)
        for c in children(n):
            walk(c)

    walk(node)
    return out


def read_at(data: Any, shaped: Any, pid: str, node: Node) -> tuple[tuple[sp.Symbol, Any], ...]:
    """``at: {w: [1, 2, 0], A: [[1, 0], [0, 1]], lambda: 1/2}``: a value for every name the
    function uses, vectors as lists, matrices as lists of rows, on integer sizes."""
    line = data.key_lines["at"]
    value = data["at"]
    what = f"part ({pid}): 'at'"
    if not isinstance(value, dict):
        raise SpecError(f"{what} maps each name to its value, e.g. {{w: [1, 2, 0]}}", line)
    used = names_used(node)
    used = [n for n in used if n in {v.name for v in shaped.variables}] + \
        [n for n in used if n not in {v.name for v in shaped.variables}]  # the point first, then the data
    for name in value:
        if str(name) not in used:
            raise SpecError(f"{what} names {name!r}, which {kw_of(data)} does not use (it uses {', '.join(used)})",
                            value.key_lines[name])
    for name in used:
        shape = shaped.shapes.get(name, SCALAR)
        if not all(x.is_Integer for x in shape):
            raise SpecError(f"{what}: {name} is {shape_text(shape)}; a point needs numbers as sizes (shapes: "
                            f"{{{name}: [3]}}), or leave out 'at' for the answer in matrix form", line)
    missing = [n for n in used if n not in value]
    if missing:
        raise SpecError(f"{what} needs a value for every name {kw_of(data)} uses; give {', '.join(missing)} too", line)
    out = []
    for name in used:
        nline = value.key_lines[name]
        shape = shaped.shapes.get(name, SCALAR)
        if not all(s.is_Integer for s in shape):
            raise SpecError(f"{what}: {name} has the size {shape_text(shape)}; a point needs numbers as sizes "
                            f"(shapes: {{{name}: [3]}}), or leave out 'at' for the answer in matrix form", nline)
        rows, cols = int(shape[0]), int(shape[1])
        raw = value[name]
        try:
            if shape == SCALAR:
                if isinstance(raw, list):
                    raise SpecError(f"{what}: {name} is a scalar; give one number", nline)
                out.append((sp.Symbol(name), sp.ImmutableMatrix([[parse_exact(raw)]])))
                continue
            if cols == 1:
                if not isinstance(raw, list) or len(raw) != rows or any(isinstance(x, list) for x in raw):
                    raise SpecError(f"{what}: {name} is a vector in R^{rows}; give a list of {rows} numbers", nline)
                out.append((sp.Symbol(name), sp.ImmutableMatrix([[parse_exact(x)] for x in raw])))
                continue
            if not isinstance(raw, list) or len(raw) != rows or \
                    any(not isinstance(r, list) or len(r) != cols for r in raw):
                raise SpecError(f"{what}: {name} is {rows}\u00d7{cols}; give {rows} rows of {cols} numbers, "
                                f"such as [[1, 0], [0, 1]]", nline)
            out.append((sp.Symbol(name), sp.ImmutableMatrix([[parse_exact(x) for x in r] for r in raw])))
        except ExprError as exc:
            raise SpecError(f"{what}: {name}: {exc}", nline) from None
    return tuple(out)


def kw_of(data: Any) -> str:
    return str(data.get("of", "the function"))


def at_value(part: Any, node: Node) -> sp.Matrix | None:
    """``node`` at the part's point, exactly; None without ``at``."""
    if not part.at:
        return None
    env = {str(k): sp.Matrix(v) for k, v in part.at}
    try:
        return exact_tidy(exact_value(node, env))
    except (Undefined, ZeroDivisionError) as exc:
        raise DeriveError(f"part ({part.id}): {text(node)} is undefined at the point ({exc})", part.line) from None


def at_lines(part: Any, tex: Any, lhs: str, value: sp.Matrix | None, variables: Any, data: bool = False,
             form: Node | None = None, ctx: Any = None) -> list[Any]:
    """``lhs(point) = value`` (the question says every name's value; ``data`` repeats them
    here too). With ``form`` (what ``lhs`` is, a tree) and ``ctx``, each line is a formula
    read at the point, checked there (the tree evaluated at the point's numbers)."""
    if value is None:
        return []
    lines: list[Any] = []
    point = []
    vec = [v.name for v in variables if v.is_vector]
    where = {str(name): sp.Matrix(v) for name, v in part.at}

    def line(left: str, left_form: Node | None, m: Any) -> Any:
        right = _mat(m, tex)
        if ctx is None or left_form is None:
            return f"{left} = {right}"
        return _formula.mchain(ctx, (left, left_form), "=", (right, m[0, 0] if m.shape == (1, 1) else sp.ImmutableMatrix(m)),
                      where=where)
    for name, v in part.at:
        if str(name) in vec and len(vec) == 1 and len(variables) == 1:
            point = [tex(x) for x in v]
        elif data:
            shape = (sp.Integer(v.rows), sp.Integer(v.cols))
            sym = Sym(str(name), shape)
            lines.append(line(latex(sym), sym, sp.Matrix(v)))
    head = f"{lhs}({', '.join(point)})" if point else lhs
    return lines + [line(head, form, sp.Matrix(value))]


def _mat(m: Any, tex: Any) -> str:
    if m.shape == (1, 1):
        return tex(m[0, 0])
    return tex.mat([[m[i, j] for j in range(m.cols)] for i in range(m.rows)])


# -- the engine ------------------------------------------------------------------------

def _rows(m: sp.Matrix | None) -> Any:
    """A value as JSON gives it: a vector as a list, a matrix as a list of rows, a scalar alone."""
    if m is None:
        return None
    if m.shape == (1, 1):
        return m[0, 0]
    if m.cols == 1:
        return list(m)
    return [list(m.row(i)) for i in range(m.rows)]


@record
class MatrixGradientResult(Result):
    ANSWER = "gradient"
    gradient: Any = None  # a Node; with several variables and no wrt: {name: Node}
    differential: Any = None  # dL = gradient^T dw (a matrix variable: tr(gradient^T dW))
    layout: str = "gradient as a column: dL = grad^T dw"
    value: Any = None  # with at: the gradient there (a list, or a list of rows; {name: ...} with several)
    variables: tuple[str, ...] = ()  # the variables taken, in order

    @property
    def answer(self) -> Any:
        return self.gradient

    def json_fields(self) -> dict[str, Any]:
        out = super().json_fields()
        out.pop("variables", None)
        return out


@record
class MatrixHessianResult(Result):
    ANSWER = "hessian"
    hessian: Node | None = None
    gradient: Node | None = None
    layout: str = "Hessian = Jacobian of the gradient: d(grad) = H dw"
    value: Any = None  # with at: the Hessian there, a list of rows
    wrt: str = ""

    @property
    def answer(self) -> Node | None:
        return self.hessian

    def json_fields(self) -> dict[str, Any]:
        out = super().json_fields()
        out.pop("wrt", None)
        return out


@record
class MatrixJacobianResult(Result):
    ANSWER = "jacobian"
    jacobian: Node | None = None
    equals_hessian: bool | None = None
    layout: str = "rows are outputs: d(f) = J dw"
    value: Any = None  # with at: the Jacobian there, a list of rows
    wrt: str = ""

    @property
    def answer(self) -> Node | None:
        return self.jacobian

    def json_fields(self) -> dict[str, Any]:
        out = super().json_fields()
        out.pop("wrt", None)
        return out


def _named(engine: Any, part: Any) -> Node:
    """The function of ``of`` by its name, so its derivative is written with it (J_p in p)."""
    body = engine.problem.functions[part.of].exprs[0]
    return Ref(part.of, body, body.shape)


def _targets(engine: Any, part: Any) -> list[str]:
    shaped = engine.problem.shapes
    return [part.wrt] if part.wrt else [v.name for v in shaped.variables or (shaped.variable,)]


def derive_gradient(engine: Any, part: Any) -> MatrixGradientResult:
    m = engine_for(engine)
    node = _named(engine, part)
    names = _targets(engine, part)
    entries, grads, diffs, values = [], {}, {}, {}
    for k, var in enumerate(names):
        step, grad = m.gradient(node, var)
        entries.append(Entry((k,), step))
        grads[var], diffs[var] = grad, step.result
        values[var] = _rows(at_value(part, grad))
    one = len(names) == 1
    pick = (lambda d: d[names[0]]) if one else (lambda d: d)
    value = pick(values) if part.at else None
    shaped = engine.problem.shapes
    layout = "gradient as a column: dL = grad^T dw"
    if any(not shaped.var(n).is_vector for n in names):
        layout = "a matrix W's gradient has W's shape: dL = tr(grad^T dW)" + ("; a vector's is a column: dL = grad^T dw"
                                                                              if any(shaped.var(n).is_vector for n in names) else "")
    return MatrixGradientResult(part, tuple(entries), pick(grads), pick(diffs), layout, value=value,  # type: ignore[arg-type]
                                variables=tuple(names))


def derive_hessian(engine: Any, part: Any) -> MatrixHessianResult:
    m = engine_for(engine)
    node = _named(engine, part)
    var = _targets(engine, part)[0]
    step, grad = m.gradient(node, var)
    step2, hess = m.jacobian(grad, var)
    return MatrixHessianResult(part, (Entry((0,), step), Entry((1,), step2)), hess, grad,  # type: ignore[arg-type]
                               value=_rows(at_value(part, hess)), wrt=var)


def derive_jacobian(engine: Any, part: Any) -> MatrixJacobianResult:
    m = engine_for(engine)
    node = _named(engine, part)
    var = _targets(engine, part)[0]
    entries = []
    if part.grad:
        step, node = m.gradient(node, var)
        entries.append(Entry((0,), step))
    step2, jac = m.jacobian(node, var)
    entries.append(Entry((len(entries),), step2))
    return MatrixJacobianResult(part, tuple(entries), jac, True if part.grad else None,  # type: ignore[arg-type]
                                value=_rows(at_value(part, jac)), wrt=var)


# -- presenting ------------------------------------------------------------------------

def _paren(tex_text: str) -> str:
    """``(2 X^T X + 2 \\lambda I)`` before a differential; a single name needs none."""
    return f"({tex_text})" if " " in tex_text or "+" in tex_text or "-" in tex_text else tex_text


def _lines(step: MStep, tex: Any, top: str, depth: int = 0, ctx: Any = None) -> list[dict[str, Any]]:
    lhs = top if depth == 0 else latex(D(step.expr, step.expr.shape))
    middle, result = (latex(step.middle) if step.middle is not None else None), latex(step.result)
    sides: list[Any] = [(lhs, D(step.expr, step.expr.shape))]
    if middle is not None and middle != result:
        sides += ["=", (middle, step.middle)]
    sides += ["=", (result, step.result)]
    eq: Any
    if ctx is not None:
        eq = _formula.mchain(_formula.Context(ctx.draws, step.var, ctx.shapes, ctx.assume), *sides)
    else:
        eq = " = ".join(x[0] for x in sides[::2])
    fields = {"expr": latex(step.expr)}
    if step.facts:
        fields["name"] = ", ".join(step.facts)
    line = {"depth": depth, "equation": eq, "reason": tex.words(f"matrix.rule.{step.rule}", **fields), "rule": step.rule}
    out = [line]
    for s in step.substeps:
        out.extend(_lines(s, tex, top, depth + 1, ctx))
    return out


def _group(heading: str, step: MStep, tex: Any, part: Any, read: dict[str, Any], result: str,
           ctx: Any = None) -> dict[str, Any]:
    key, depth = ("matrix", step.expr, step.var.name), DETAIL_DEPTH[part.detail]
    shown = tex.seen.get(key)
    seen_in = shown[0] if shown and depth >= 0 and shown[1] >= depth else None
    if not seen_in and depth >= 0:
        tex.seen[key] = (tex.question, depth)
    lines = [] if seen_in else [ln for ln in _lines(step, tex, heading, 0, ctx) if ln["depth"] <= depth]
    same = lines and lines[0]["equation"].rsplit(" = ", 1)[-1] == read["equation"].rsplit(" = ", 1)[-1]
    if not seen_in and not same and depth >= 0:  # a differential already in the form to read off is not written twice
        lines.append(read)

    return {"seen_in": seen_in, "derived_in": tex.words("steps.derived_in", part=sentence_text(seen_in)) if seen_in else None,
            "held_note": "", "held_sentence": "", "result": result, "heading": heading, "var": "", "held": [],
            "note": None, "lines": lines, "fallback": False}


def convention(tex: Any, problem: Any, layout: bool = True) -> Any:
    """The shapes and the layout convention, each said once per document (at the first
    matrix part that needs it; an identity needs the shapes only)."""
    said = getattr(tex, "_matrix_said", set())
    tex._matrix_said = said
    out = []
    if "shapes" not in said:
        said.add("shapes")
        out.append(tex.words("matrix.shapes", symbol=problem.shapes.where()))
    variables = problem.shapes.variables or (problem.shapes.variable,)
    vectors = [v for v in variables if v.is_vector]
    if layout and "layout" not in said and vectors:
        said.add("layout")
        out.append(tex.words("matrix.convention", var=latex(vectors[0])))
    matrices = [v for v in variables if not v.is_vector]
    if layout and "layout_matrix" not in said and matrices:
        said.add("layout_matrix")
        out.append(tex.words("matrix.convention_matrix", var=latex(matrices[0])))
    return join(out, sentence_text(" ")) if out else None


def _ref(problem: Any, name: str) -> Ref:
    """The function ``name`` of the file, used by its name."""
    body = problem.functions[name].exprs[0]
    return Ref(name, body, body.shape)


def _dvar(var: Sym) -> Sym:
    return Sym("d" + var.name, var.shape, "dvar")


def gradient_of(ref: Node, var: Sym) -> Grad:
    """The tree of ``\\nabla_w f`` (a scalar f): w's shape."""
    return Grad(ref, var, var.shape)


def hessian_of(ref: Node, var: Sym) -> Grad:
    """The tree of ``\\nabla^2_w f``: the Jacobian of the gradient."""
    return Grad(gradient_of(ref, var), var, (var.shape[0], var.shape[0]), jacobian=True)


def read_gradient(ctx: Any, f: str, ref: Node, grad: Node, var: Sym, paren: bool = False) -> Any:
    """``df = (g)^T \\, dw`` (a matrix W: ``df = tr(g^T \\, dW)``), as a formula."""
    g, w = latex(grad), latex(var)
    dw = f"d{w}"
    if var.is_vector:
        right = f"({g})^T \\, {dw}" if " " in g or paren else f"{g}^T {dw}"
        form = b.mul(b.transpose(grad), _dvar(var))
    else:
        gt = f"({g})^T" if " " in g else f"{g}^T"
        right = f"\\operatorname{{tr}}({gt} \\, {dw})"
        form = b.call("trace", b.mul(b.transpose(grad), _dvar(var)))
    return _formula.mchain(ctx, (f"d{f}", D(ref, ref.shape)), "=", (right, form))


def read_jacobian(ctx: Any, left: str, of: Node, jac: Node, var: Sym, jac_tex: str | None = None) -> Any:
    """``d(u) = (J) \\, dw``, as a formula (``left`` is ``d(u)`` as the line writes it)."""
    return _formula.mchain(ctx, (left, D(of, of.shape)), "=",
                  (f"{jac_tex or _paren(latex(jac))} \\, d{latex(var)}", b.mul(jac, _dvar(var))))


def present_gradient(r: MatrixGradientResult, tex: Any, problem: Any) -> dict[str, Any]:
    f = r.part.of
    shaped = problem.shapes
    names = r.variables or (shaped.variable.name,)
    several = len(shaped.variables) > 1
    ref = _ref(problem, f)
    groups, answers = [], []
    for k, name in enumerate(names):
        var = shaped.var(name) if shaped.variables else shaped.variable
        ctx = _formula.context(problem, name if shaped.variables else None)
        w = latex(var)
        grad = r.gradient if len(names) == 1 else r.gradient[name]
        diff = r.differential if len(names) == 1 else r.differential[name]
        g = latex(grad)
        eq = read_gradient(ctx, f, ref, grad, var)
        reason = tex.words("matrix.read_gradient" if var.is_vector else "matrix.read_gradient_matrix", f=f, var=w)
        read = {"depth": 0, "equation": eq, "reason": reason, "rule": "read_off"}
        group = _group(f"d{f}", r.entries[k].tree, tex, r.part, read, g, ctx)  # type: ignore[arg-type]
        group["heading"] = f"\\nabla_{{{w}}} {f}" if len(names) > 1 else f"d{f}"
        group["result"] = latex(diff)
        groups.append(group)
        lhs = f"\\nabla_{{{w}}} {f}" if several else f"\\nabla_{{{w}}} {f}({w})"
        answers.append(_formula.mchain(ctx, (lhs, gradient_of(ref, var)), "=", (g, grad)))
        if r.value is not None:
            value = r.value if len(names) == 1 else r.value[name]
            answers.extend(at_lines(r.part, tex, f"\\nabla_{{{w}}} {f}", _matrix(value), shaped.variables,
                                    form=gradient_of(ref, var), ctx=ctx))
    return {"convention": convention(tex, problem), "groups": groups, "answer": answers, "answer_short": answers,
            "equation": None}


def _matrix(value: Any) -> sp.Matrix:
    if isinstance(value, list):
        return sp.Matrix(value) if not value or not isinstance(value[0], list) else sp.Matrix(value)
    return sp.Matrix([[value]])


def _var(problem: Any, name: str) -> Sym:
    shaped = problem.shapes
    return shaped.var(name) if name and shaped.variables else shaped.variable


def present_hessian(r: MatrixHessianResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, var = r.part.of, _var(problem, r.wrt)
    w = latex(var)
    ctx = _formula.context(problem, r.wrt if problem.shapes.variables else None)
    ref = _ref(problem, f)
    g, h = latex(r.gradient), latex(r.hessian)  # type: ignore[arg-type]
    dw = f"d{w}"
    grad_of = f"\\nabla_{{{w}}} {f}"
    read1 = {"depth": 0, "equation": read_gradient(ctx, f, ref, r.gradient, var, paren=True),  # type: ignore[arg-type]
             "reason": tex.words("matrix.read_gradient", f=f, var=w), "rule": "read_off"}
    g1 = _group(f"d{f}", r.entries[0].tree, tex, r.part, read1, f"{grad_of}({w}) = {g}", ctx)  # type: ignore[arg-type]
    if g1["seen_in"]:
        g1["heading"] = f"{grad_of}({w})"
        g1["result"] = g
    read2 = {"depth": 0, "equation": read_jacobian(ctx, f"d({grad_of})", r.gradient, r.hessian, var),  # type: ignore[arg-type]
             "reason": tex.words("matrix.read_hessian", f=f, var=w), "rule": "read_off"}
    g2 = _group(f"d({grad_of})", r.entries[1].tree, tex, r.part, read2, f"{_paren(h)} \\, {dw}", ctx)  # type: ignore[arg-type]
    answers: list[Any] = [_formula.mchain(ctx, (f"\\nabla^2_{{{w}}} {f}({w})", hessian_of(ref, var)), "=", (h, r.hessian))]
    answers += at_lines(r.part, tex, f"\\nabla^2_{{{w}}} {f}", _matrix(r.value) if r.value is not None else None,
                        problem.shapes.variables, form=hessian_of(ref, var), ctx=ctx)
    return {"convention": convention(tex, problem), "groups": [g1, g2], "answer": answers, "answer_short": answers,
            "equation": None, "symmetric": False}


def present_jacobian(r: MatrixJacobianResult, tex: Any, problem: Any) -> dict[str, Any]:
    f, var = r.part.of, _var(problem, r.wrt)
    w = latex(var)
    ctx = _formula.context(problem, r.wrt if problem.shapes.variables else None)
    ref = _ref(problem, f)
    j = latex(r.jacobian)  # type: ignore[arg-type]
    groups = []
    name = f"\\nabla_{{{w}}} {f}" if r.part.grad else f
    if r.part.grad:
        gstep = r.entries[0].tree
        gtex = latex(gstep.result)
        read1 = {"depth": 0, "equation": _formula.mchain(ctx, (f"d{f}", D(ref, ref.shape)), "=",
                                                (f"(\\nabla_{{{w}}} {f})^T \\, d{w}",
                                                 b.mul(b.transpose(gradient_of(ref, var)), _dvar(var)))),
                 "reason": tex.words("matrix.read_gradient", f=f, var=w), "rule": "read_off"}
        groups.append(_group(f"d{f}", gstep, tex, r.part, read1, gtex, ctx))  # type: ignore[arg-type]
    last = r.entries[-1].tree
    top = f"d{name}" if not r.part.grad else f"d({name})"
    read = {"depth": 0, "equation": read_jacobian(ctx, top, last.expr, r.jacobian, var),  # type: ignore[arg-type]
            "reason": tex.words("matrix.read_jacobian", f=name if not r.part.grad else f"({name})", var=w), "rule": "read_off"}
    groups.append(_group(top, last, tex, r.part, read, f"{_paren(j)} \\, d{w}", ctx))  # type: ignore[arg-type]
    lhs = f"J_{{{name}}}({w})" if not r.part.grad else f"\\nabla_{{{w}}} (\\nabla_{{{w}}} {f})"
    lhs_form = Grad(ref, var, r.jacobian.shape, jacobian=True) if not r.part.grad else hessian_of(ref, var)  # type: ignore[union-attr]
    sides: list[Any] = [(lhs, lhs_form), "=", (j, r.jacobian)]
    if r.equals_hessian:
        sides += ["=", (f"\\nabla^2_{{{w}}} {f}({w})", hessian_of(ref, var))]
    answers: list[Any] = [_formula.mchain(ctx, *sides)]
    at_lhs = f"J_{{{name}}}" if not r.part.grad else f"\\nabla^2_{{{w}}} {f}"
    answers += at_lines(r.part, tex, at_lhs, _matrix(r.value) if r.value is not None else None, problem.shapes.variables,
                        form=lhs_form, ctx=ctx)
    return {"convention": convention(tex, problem), "groups": groups, "answer": answers, "answer_short": answers,
            "equation": None, "equals_hessian": bool(r.equals_hessian)}


__all__ = ["read_of", "derive_gradient", "derive_hessian", "derive_jacobian", "present_gradient", "present_hessian",
           "present_jacobian", "convention", "engine_for"]
