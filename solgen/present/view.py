"""Solution -> view model: plain dicts the templates read, with all math already LaTeX
and every sentence a ``words.Sentence`` from the language's catalog.

The view model is format-blind: math is LaTeX, sentences are runs that each format's
writer renders, prose keeps its source and renders per format (``Prose.tex``,
``Prose.md``). Step trees are flattened into lines with a ``depth``, the step's
``equation`` (LaTeX) and its ``reason`` (a sentence), so wording lives in the catalog
and layout in the templates.

To show a new ask: add ``_view_<ask>`` returning a dict with ``groups`` (step trees with
headings) and ``answer`` (display-math lines), then a block in the templates' parts partial.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy as sp

from markupsafe import Markup

from solgen.derive.calculus import Derivation, Solution
from solgen.derive.rules import Rule
from solgen.math.tidy import factor_common
from solgen.formats.prose import to_md, to_tex
from solgen.input.problem import Part, Problem
from solgen.math.printer import HousePrinter, column, matrix
from solgen.present.words import Run, Sentence, Words, join, load_words

DETAIL_DEPTH = {"full": 99, "standard": 1, "answer": -1}
WIDE = 2  # matrices with more columns than this show the result without the matrix of partials


@dataclass(frozen=True)
class Prose:
    """A prose field from the problem file (Markdown with math), rendered per format."""

    source: str

    def as_format(self, fmt: str) -> str:
        if fmt == "html":
            from solgen.formats.html import prose_to_html

            return prose_to_html(self.source)
        return to_tex(self.source) if fmt == "tex" else to_md(self.source)

    def __bool__(self) -> bool:
        return bool(self.source.strip())


class _Tex:
    """LaTeX helpers bound to one problem's printer settings."""

    def __init__(self, problem: Problem, words: Words):
        self.words = words
        self.printer = HousePrinter({"ln_notation": problem.log == "ln", "variable_order": tuple(problem.variables)})
        self.variables = problem.variables
        self.seen: dict[tuple[sp.Expr, sp.Symbol], tuple[str, int]] = {}  # step trees shown -> (question id, depth)
        self.question = ""
        names = [v.name for v in problem.variables]
        self.vector = len(names) > 1 and all(re.fullmatch(r"x_?\d+", n) for n in names)
        self.args = "x" if self.vector else ", ".join(self(v) for v in problem.variables)
        self.nabla = r"\nabla_x" if self.vector else r"\nabla"

    def __call__(self, expr: Any) -> str:
        return self.printer.doprint(expr)

    def paren(self, expr: sp.Expr) -> str:
        """``expr`` in parentheses unless it is an atom or a function call."""
        tex = self(expr)
        if expr.is_Number and expr.is_negative:
            return f"({tex})"
        if expr.is_Atom or isinstance(expr, (sp.Function,)) or (isinstance(expr, sp.Pow) and expr.base.is_Atom and expr.exp.is_Atom and not expr.exp.is_negative):
            return tex
        if tex.startswith("\\frac") and not isinstance(expr, sp.Add) and _one_fraction(tex):
            return tex
        if "\\frac" in tex or "\\begin" in tex:
            return f"\\left({tex}\\right)"
        return f"({tex})"

    def factor(self, expr: sp.Expr) -> str:
        """``expr`` as a factor of a product: parenthesised only if it is a sum or negative."""
        tex = self(expr)
        if isinstance(expr, sp.Add) or tex.startswith("-"):
            return f"\\left({tex}\\right)" if "\\frac" in tex else f"({tex})"
        return tex

    def d(self, var: sp.Symbol) -> str:
        if var not in self.variables:  # a chain-rule letter: an ordinary derivative
            return f"\\frac{{d}}{{d{self(var)}}}"
        return f"\\frac{{\\partial}}{{\\partial {self(var)}}}"

    def mat(self, rows: list[list[Any]]) -> str:
        return matrix([[c if isinstance(c, str) else self(c) for c in row] for row in rows])

    def col(self, entries: list[Any]) -> str:
        return column([c if isinstance(c, str) else self(c) for c in entries])

    def point(self, part: Part) -> str:
        return ", ".join(self(v) for _, v in part.at)

    def function_name(self, func: type) -> str:
        """How the printer names ``func``: ``\\sin``, ``\\operatorname{artanh}``."""
        x = sp.Symbol("x")
        return self(func(x)).removesuffix(r"{\left(x \right)}").removesuffix("(x)")


def _one_fraction(tex: str) -> bool:
    """True when ``tex`` is a single \\frac{..}{..} (optionally negated) and nothing else."""
    body = tex.lstrip("-")[5:]
    depth, groups, i = 0, 0, 0
    for i, ch in enumerate(body):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                groups += 1
                if groups == 2:
                    return i == len(body) - 1
    return False


def _step_fields(node: Rule, tex: _Tex) -> dict[str, Any]:
    """The LaTeX of every field of ``node`` a template may use."""
    f: dict[str, Any] = {
        "rule": node.name(),
        "expr": tex(node.expr),
        "var": tex(node.var),
        "result": tex(node.result),
        "d": tex.d(node.var),
        "lhs": f"{tex.d(node.var)} {tex.paren(node.expr)}",
    }
    for name in ("constant", "other", "inner", "numerator", "denominator", "base", "exponent", "formula", "u"):
        value = getattr(node, name, None)
        if isinstance(value, sp.Basic):
            f[name] = tex(value)
            f[name + "_p"] = tex.paren(value)
            f[name + "_f"] = tex.factor(value)
    if hasattr(node, "held"):
        f["held"] = [tex(s) for s in node.held]  # type: ignore[attr-defined]
    if hasattr(node, "func"):
        f["func"] = tex.function_name(node.func)  # type: ignore[attr-defined]
    subs = node.substeps
    if node.name() == "sum":
        f["parts"] = " + ".join(f"{tex.d(node.var)} {tex.paren(s.expr)}" for s in subs).replace("+ -", "- ")
    if node.name() == "product":
        f["terms"] = [
            " ".join(
                (f"\\left[{tex.d(node.var)} {tex.paren(fac)}\\right]" if j == i else tex.paren(fac))
                for j, fac in enumerate(node.factors)  # type: ignore[attr-defined]
            )
            for i in range(len(subs))
        ]
    if node.name() == "chain":
        f["outer"] = tex(node.outer_step.expr)  # type: ignore[attr-defined]
        f["outer_d"] = tex(node.outer_step.result)  # type: ignore[attr-defined]
        f["outer_at"] = tex(node.outer_at_inner)  # type: ignore[attr-defined]
        f["inner_d"] = tex(node.inner_step.result)  # type: ignore[attr-defined]
        f["inner_d_p"] = tex.paren(node.inner_step.result)  # type: ignore[attr-defined]
    if node.name() == "quotient":
        f["num_d"] = tex.paren(node.num_step.result)  # type: ignore[attr-defined]
        f["den_d"] = tex.paren(node.den_step.result)  # type: ignore[attr-defined]
    if node.name() == "log_diff":
        f["log_form"] = tex(node.step.expr)  # type: ignore[attr-defined]
        f["log_d"] = tex.paren(node.step.result)  # type: ignore[attr-defined]
    f["equation"] = _equation(f)
    f["reason"] = tex.words("rule." + f["rule"], n=len(f.get("held", ())), **f)
    return f


def _equation(f: dict[str, Any]) -> str:
    """The step as one line of math: what is asked = how the rule computes it = the result."""
    middle = {
        "constant": None,
        "variable": None,
        "constant_multiple": lambda: f"{f.get('constant_f')} \\cdot {f['d']} {f.get('other_p')}",
        "sum": lambda: f["parts"],
        "power": lambda: f"{f.get('exponent_p')} \\, {f['var']}^{{{f.get('exponent')} - 1}}",
        "product": lambda: " + ".join(f["terms"]),
        "quotient": lambda: f"\\frac{{{f['num_d']} {f['denominator_p']} - {f['numerator_p']} {f['den_d']}}}{{{f['denominator_p']}^2}}",
        "chain": lambda: f"\\left.\\frac{{d}}{{d{f['u']}}} {f['outer']}\\right|_{{{f['u']} = {f['inner']}}} \\cdot {f['d']} {f['inner_p']}",
        "log_diff": lambda: f"{f['expr']} \\cdot {f['d']} \\left({f['log_form']}\\right)",
    }.get(f["rule"])
    if f["rule"] == "constant":
        return f"{f['lhs']} = 0"
    if f["rule"] == "variable":
        return f"{f['lhs']} = 1"
    if middle is None:
        return f"{f['lhs']} = {f['result']}"
    return f"{f['lhs']} = {middle()} = {f['result']}"


def flatten(tree: Rule, tex: _Tex, max_depth: int = 99) -> list[dict[str, Any]]:
    """Depth-first lines of a step tree, each with its ``depth`` (0 = root)."""
    lines: list[dict[str, Any]] = []

    def walk(node: Rule, depth: int) -> None:
        if depth > max_depth:
            return
        line = _step_fields(node, tex)
        line["depth"] = depth
        lines.append(line)
        for sub in node.substeps:
            walk(sub, depth + 1)

    walk(tree, 0)
    return lines


def _group(heading: str, tree: Rule, tex: _Tex, part: Part, note: str | None = None) -> dict[str, Any]:
    held = [tex(v) for v in tex.variables if v != tree.var]
    key, depth = (tree.expr, tree.var), DETAIL_DEPTH[part.detail]
    shown = tex.seen.get(key)  # (question, depth) where this tree was shown before
    seen_in = shown[0] if shown and depth >= 0 and shown[1] >= depth else None
    if not seen_in and depth >= 0:
        tex.seen[key] = (tex.question, depth)  # shown here: later parts as detailed refer back
    return {
        "seen_in": seen_in,
        "derived_in": tex.words("steps.derived_in", part=seen_in) if seen_in else None,
        "held_note": tex.words("steps.held", n=len(held), held=held),
        "held_sentence": tex.words("steps.held_sentence", n=len(held), held=held),
        "result": tex(tree.result),
        "heading": heading,
        "var": tex(tree.var),
        "held": held,
        "note": note,
        "lines": [] if seen_in else flatten(tree, tex, DETAIL_DEPTH[part.detail]),
        "fallback": tree.contains_fallback(),
    }


def _pd(fname: str, var: str, args: str) -> str:
    return f"\\frac{{\\partial {fname}({args})}}{{\\partial {var}}}"


def _view_gradient(d: Derivation, tex: _Tex, problem: Problem) -> dict[str, Any]:
    f, x = d.part.of, tex.args
    groups = [
        _group(_pd(f, tex(v), x), e.tree, tex, d.part) for v, e in zip(problem.variables, d.entries)
    ]
    symbolic = tex.col([_pd(f, tex(v), x) for v in problem.variables])
    return {
        "groups": groups,
        "answer": [f"{tex.nabla} {f}({x}) = {symbolic} = {tex.col(d.result)}"],
        "equation": [f"{tex.nabla} {f}({x})", symbolic, tex.col(d.result)],
        "answer_short": [f"{tex.nabla} {f}({x}) = {tex.col(d.result)}"],
    }


def _second(fname: str, vi: str, vj: str, args: str) -> str:
    if vi == vj:
        return f"\\frac{{\\partial^2 {fname}({args})}}{{\\partial {vi}^2}}"
    return f"\\frac{{\\partial^2 {fname}({args})}}{{\\partial {vi} \\partial {vj}}}"


def _view_hessian(d: Derivation, tex: _Tex, problem: Problem) -> dict[str, Any]:
    f, x, v = d.part.of, tex.args, [tex(s) for s in problem.variables]
    groups = []
    for e in d.entries:
        i, j = e.index
        heading = _second(f, v[i], v[j], x) + f" = {tex.d(problem.variables[j])} {_pd(f, v[i], x)}"
        groups.append(_group(heading, e.tree, tex, d.part))
    n = len(v)
    symbolic = tex.mat([[_second(f, v[i], v[j], x) for j in range(n)] for i in range(n)])
    full = f"{tex.nabla}^2 {f}({x}) = {symbolic} = " if n <= WIDE else f"{tex.nabla}^2 {f}({x}) = "
    return {
        "groups": groups,
        "symmetric": n > 1,
        "answer": [full + tex.mat(d.result)],
        "equation": [f"{tex.nabla}^2 {f}({x})", symbolic, tex.mat(d.result)] if n <= WIDE else None,
        "answer_short": [f"{tex.nabla}^2 {f}({x}) = {tex.mat(d.result)}"],
    }


def _view_jacobian(d: Derivation, tex: _Tex, problem: Problem) -> dict[str, Any]:
    x, v = tex.args, [tex(s) for s in problem.variables]
    name = f"({tex.nabla} {d.part.of})" if d.part.grad else d.part.of
    rows = len(d.result)
    groups = []
    for e in d.entries:
        i, j = e.index
        comp = f"{name}_{i + 1}" if rows > 1 or d.part.grad else name
        groups.append(_group(_pd(comp, v[j], x), e.tree, tex, d.part))
    comp = (lambda i: f"{name}_{i + 1}") if rows > 1 or d.part.grad else (lambda i: name)
    symbolic = tex.mat([[_pd(comp(i), v[j], x) for j in range(len(v))] for i in range(rows)])
    lhs = f"{tex.nabla} {name}({x})" if d.part.grad else f"J_{{{d.part.of}}}({x})"
    tail = f" = {tex.nabla}^2 {d.part.of}({x})" if d.data.get("equals_hessian") else ""
    middle = f" = {symbolic}" if len(v) <= WIDE and rows <= WIDE else ""
    return {
        "groups": groups,
        "equals_hessian": d.data.get("equals_hessian", False),
        "answer": [f"{lhs}{middle} = {tex.mat(d.result)}{tail}"],
        "equation": [lhs, symbolic, tex.mat(d.result) + tail] if middle else None,
        "answer_short": [f"{lhs} = {tex.mat(d.result)}{tail}"],
    }


def _view_partial(d: Derivation, tex: _Tex, problem: Problem) -> dict[str, Any]:
    order = d.part.order
    groups, current = [], d.part.of
    for k, e in enumerate(d.entries):
        groups.append(_group(f"{tex.d(order[k])} {current}", e.tree, tex, d.part))
        current = tex.paren(e.tree.result)
    sym = partial_symbol(d.part, tex)
    return {"groups": groups, "answer": [f"{sym} = {tex(d.result)}"], "answer_short": [f"{sym} = {tex(d.result)}"]}


def _add_factored(view: dict[str, Any], d: Derivation, tex: _Tex) -> None:
    """simplify: factor -- append the result with common factors pulled out, as one more step."""
    if d.part.ask not in ("gradient", "hessian", "jacobian", "partial"):
        return
    result = d.result
    if d.part.ask == "partial":
        factored = factor_common(result)
        shown = tex(factored) if factored != result else None
    elif d.part.ask == "gradient":
        rows = [factor_common(e) for e in result]
        shown = tex.col(rows) if rows != list(result) else None
    else:
        rows = [[factor_common(e) for e in row] for row in result]
        shown = tex.mat(rows) if rows != [list(r) for r in result] else None
    if shown:
        view["answer"] = view["answer"][:-1] + [view["answer"][-1] + f" = {shown}"]
        if view.get("equation"):
            view["equation"] = view["equation"][:-1] + [view["equation"][-1] + f" = {shown}"]
        view["answer_short"] = view["answer_short"][:-1] + [view["answer_short"][-1] + f" = {shown}"]


def partial_symbol(part: Part, tex: _Tex) -> str:
    """d^n f / dx_k ... dx_1 for a partial taken in ``part.order`` (first variable first)."""
    order = part.order
    if len(order) == 1:
        return f"\\frac{{\\partial {part.of}}}{{\\partial {tex(order[0])}}}"
    den = " ".join(f"\\partial {tex(v)}" for v in reversed(order))
    return f"\\frac{{\\partial^{len(order)} {part.of}}}{{{den}}}"


def _view_evaluate(d: Derivation, tex: _Tex, problem: Problem) -> dict[str, Any]:
    x, at = tex.args, tex.point(d.part)
    name = f"{tex.nabla} {d.part.of}" if d.part.grad else d.part.of
    groups = [_group(_pd(d.part.of, tex(v), x), e.tree, tex, d.part) for v, e in zip(problem.variables, d.entries)]
    exprs = d.data["exprs"]
    values = d.result if d.data["vector"] else [d.result]
    if d.part.decimals is not None and all(_rounded(v, 0) is not None for v in values):
        shown: list[Any] = [_rounded(v, d.part.decimals) for v in values]
        approx = "\\approx"
    else:
        shown, approx = values, "="
    value_tex = tex.col(shown) if d.data["vector"] else (shown[0] if isinstance(shown[0], str) else tex(shown[0]))
    sym = tex.col(exprs) if d.data["vector"] else tex(exprs[0])
    lhs = f"{name}({at})"
    return {
        "groups": groups,
        "answer": [f"{name}({x}) = {sym}", f"{lhs} {approx} {value_tex}"],
        "answer_short": [f"{lhs} {approx} {value_tex}"],
    }


def _rounded(value: sp.Expr, decimals: int) -> str | None:
    """``value`` rounded to ``decimals`` places from 50 significant digits (exact values
    first, then rounded); None when it is not a number (it holds a constant such as a)."""
    from decimal import Decimal, InvalidOperation

    number = sp.N(value, 50)
    if not number.is_Number or not number.is_finite:
        return None
    try:
        exact = Decimal(str(number))
        return format(exact.quantize(Decimal(1).scaleb(-decimals)), "f")
    except InvalidOperation:  # more digits than Decimal's context holds: keep it exact
        return None


def _view_taylor(d: Derivation, tex: _Tex, problem: Problem) -> dict[str, Any]:
    f, x, data = d.part.of, tex.args, d.data
    single = len(problem.variables) == 1
    groups = []
    for e in d.entries:
        if len(e.index) == 1 and not single:
            groups.append(_group(_pd(f, tex(problem.variables[e.index[0]]), x), e.tree, tex, d.part))
        elif len(e.index) == 2:
            i, j = e.index
            v = [tex(s) for s in problem.variables]
            groups.append(_group(_second(f, v[i], v[j], x), e.tree, tex, d.part))
        else:
            k = e.index[0] + 1
            heading = f"{f}^{{({k})}}({x})" if k > 2 else f + "'" * k + f"({x})"
            groups.append(_group(heading, e.tree, tex, d.part))
    answer = []
    if single:
        terms = [f"{f}(x)"] + [f"\\frac{{{f}^{{({k})}}(x)}}{{{k}!}} \\epsilon^{{{k}}}" if k > 1 else f"{f}'(x) \\epsilon" for k in range(1, data["order"] + 1)]
        answer.append(f"{f}(x + \\epsilon) \\approx " + " + ".join(terms))
    else:
        general = f"{f}(x + \\epsilon) \\approx {f}(x) + {tex.nabla} {f}(x)^T \\epsilon"
        if data["order"] >= 2:
            general += f" + \\frac{{1}}{{2}} \\epsilon^T {tex.nabla}^2 {f}(x) \\epsilon"
        answer.append(general)
    general_values = {
        "f": f,
        "nabla": tex.nabla,
        "gradient": tex.col(data["gradient"]),
        "hessian": tex.mat(data["hessian"]) if data.get("hessian") else None,
    }
    at_lines = []
    if d.part.at:
        at = tex.point(d.part)
        at_lines.append(f"{f}({at}) = {tex(data['value'])}")
        if single:
            at_lines.append(f"{f}'({at}) = {tex(data['gradient_at'][0])}")
            for k, val in enumerate(data.get("derivatives_at", []), start=2):
                at_lines.append(f"{f}^{{({k})}}({at}) = {tex(val)}")
        else:
            at_lines.append(f"{tex.nabla} {f}({at}) = {tex.col(data['gradient_at'])}")
            if data.get("hessian_at"):
                at_lines.append(f"{tex.nabla}^2 {f}({at}) = {tex.mat(data['hessian_at'])}")
        vars_ = ", ".join(tex(v) for v in problem.variables)
        answer.append(f"{f}({vars_}) \\approx {tex(d.result)}")
    return {
        "groups": groups,
        "intro": _taylor_intro(data["order"], single, bool(general_values["hessian"]), tex.words),
        "general": general_values,
        "at_lines": at_lines,
        "answer": answer,
        "answer_short": answer[-1:],
    }


def _view_directional(d: Derivation, tex: _Tex, problem: Problem) -> dict[str, Any]:
    f, x, at = d.part.of, tex.args, tex.point(d.part)
    groups = [_group(_pd(f, tex(v), x), e.tree, tex, d.part) for v, e in zip(problem.variables, d.entries)]
    grad_at = tex.col(d.data["gradient_at"])
    readings = []
    for name, r in d.result.items():
        dname = re.sub(r"^([A-Za-z]+)(\d+)$", r"\1_\2", name)
        products = " + ".join(f"{tex.paren(g)} \\cdot {tex.paren(sp.Integer(c) if c.is_Integer else c)}" for g, c in zip(d.data["gradient_at"], r["direction"]))
        rel = {"increase": ">", "decrease": "<", "constant": "="}.get(r["trend"], "?")
        readings.append({
            "name": dname,
            "direction": tex.mat([r["direction"]]) + "^T",
            "products": products,
            "slope": tex(r["slope"]),
            "relation": rel,
            "trend": r["trend"],
            "reading": tex.words(f"directional.trend.{r['trend']}"),
            "reading_short": tex.words(f"directional.trend_short.{r['trend']}"),
        })
    return {
        "groups": groups,
        "f": f,
        "intro": tex.words("directional.intro", gradient_at=f"{tex.nabla} {f}({at}) = {grad_at}", f=f),
        "intro_short": tex.words("directional.intro_short", gradient_at=f"{tex.nabla} {f}({at}) = {grad_at}"),
        "gradient_at": f"{tex.nabla} {f}({at}) = {grad_at}",
        "readings": readings,
        "answer": [f"{tex.nabla} {f}({at}) = {grad_at}"],
        "answer_short": [f"{tex.nabla} {f}({at}) = {grad_at}"],
    }


def _view_text(d: Derivation, tex: _Tex, problem: Problem) -> dict[str, Any]:
    return {"groups": [], "answer": [], "answer_short": []}


def _taylor_intro(order: int, single: bool, hessian: bool, words: Words) -> Sentence:
    word = words(f"taylor.order_{order}") if order <= 3 else words("taylor.order_n", n=str(order))
    key = "taylor.intro" if single else ("taylor.intro_hessian" if hessian else "taylor.intro_gradient")
    return words(key, order=word)


def _prompt(parts: list[Part], problem: Problem, tex: _Tex) -> Sentence:
    """The generated question: "Let f(x) = .... What is the gradient of f at the point (..)?"."""
    words = tex.words
    names = []
    for p in parts:
        if p.of and p.of not in names:
            names.append(p.of)
    defs = []
    for name in names:
        func = problem.functions[name]
        args = ", ".join(tex(v) for v in problem.variables)
        body = tex.col(list(func.exprs)) if func.vector else tex(func.exprs[0])
        defs.append(Sentence((Run("math", f"{name}({args}) = {body}"),)))
    asks = [
        words("prompt.partial", symbol=partial_symbol(p, tex)) if p.ask == "partial"
        else words(f"prompt.{p.ask}", f=f"\\nabla {p.of}" if p.grad else p.of)
        for p in parts
    ]
    asked = join(asks, words("prompt.and"))
    at = next((p for p in parts if p.at), None)
    if at is not None:
        asked = words("prompt.at", ask=asked, point=tex.point(at))
    return words("prompt.question", n=len(asks), functions=join(defs, words("prompt.and")), asks=asked)


def build_view(solution: Solution, words: Words | None = None) -> dict[str, Any]:
    problem = solution.problem
    words = words or load_words(problem.lang)
    tex = _Tex(problem, words)
    questions: list[dict[str, Any]] = []
    for d in solution.derivations:
        if not questions or questions[-1]["id"] != d.part.id:
            questions.append({"id": d.part.id, "parts": [], "derivations": []})
        q = questions[-1]
        tex.question = d.part.id
        view = globals()[f"_view_{d.part.ask}"](d, tex, problem)
        view.setdefault("equation", None)  # lhs = matrix of partials = result, when shown
        if d.part.simplify == "factor":
            _add_factored(view, d, tex)
        view.update(
            ask=d.part.ask,
            detail=d.part.detail,
            of=d.part.of,
            grad=d.part.grad,
            answer_prose=Prose(d.part.answer) if d.part.answer else None,
            notes=Prose(d.part.notes) if d.part.notes else None,
        )
        q["parts"].append(view)
        q["derivations"].append(d)
    for q in questions:
        given = next((d.part.prompt for d in q["derivations"] if d.part.prompt), None)
        q["prompt"] = Prose(given) if given else _prompt([d.part for d in q["derivations"]], problem, tex)
        del q["derivations"]
    header = [problem.course, problem.section, problem.date, problem.author]
    return _mark_math({
        "id": problem.id,
        "title": problem.title,
        "course": problem.course,
        "section": problem.section,
        "date": problem.date,
        "author": problem.author,
        "header": [h for h in header if h],
        "intro": Prose(problem.intro) if problem.intro else None,
        "variables": [tex(v) for v in problem.variables],
        "questions": questions,
        "fallbacks": solution.fallbacks(),
        "heading": words("document.title", id=problem.id, title=problem.title),
        "lang": words.lang,
    })


TEXT_KEYS = frozenset({"id", "title", "course", "section", "date", "author", "header", "ask", "detail", "of", "rule", "trend", "lang", "seen_in"})


def _mark_math(value: Any, key: str = "") -> Any:
    """Mark every string of the view as Markup (LaTeX math, safe for the .tex templates)
    except the plain-text fields in TEXT_KEYS, which the templates escape."""
    if isinstance(value, dict):
        return {k: _mark_math(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_math(v, key) for v in value]
    if isinstance(value, str) and not isinstance(value, Markup) and key not in TEXT_KEYS:
        return Markup(value)
    return value
