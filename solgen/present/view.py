"""Solution -> view model: plain dicts the templates read, with all math already LaTeX
and every sentence a ``words.Sentence`` from the language's catalog.

The view model is format-blind: math is LaTeX, sentences are runs that each format's
writer renders, prose keeps its source (``formats/inline.py`` renders both per format).
Step trees are flattened into lines with a ``depth``, the step's ``equation`` (LaTeX) and
its ``reason`` (a sentence), so wording lives in the catalog and layout in the templates.
Each ask's ``present`` (``asks/<ask>.py``) builds its part's view with the helpers here
(``group``, ``pd``, ``second``, ``add_factored``): ``groups`` (step trees with headings)
and ``answer`` (display-math lines).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import field
from typing import Any

import sympy as sp

from markupsafe import Markup

from solgen.math.record import record
from solgen.derive.calculus import Solution
from solgen.derive.rules import Rule
from solgen.input import askspec
from solgen.input.problem import Part, Problem
from solgen.math.functions import tex_name
from solgen.math.named import names_in, unfold
from solgen.math.printer import HousePrinter, column, matrix, terminating_decimal
from solgen.present import blocks
from solgen.present.formula import RELATIONS, Formula, Side, chain
from solgen.present.words import Run, Sentence, Words, join, load_words, text
from solgen.input.expr import ParseError, tokenize
from solgen.math.tidy import tmul
from solgen.present.choices import Both, choices

DETAIL_DEPTH = {"full": 99, "standard": 1, "answer": -1}
WIDE = 2  # matrices with more columns than this show the result without the matrix of partials


@record
class Prose:
    """A prose field from the problem file (Markdown with math); formats/inline.py renders it."""

    source: str

    def __bool__(self) -> bool:
        return bool(self.source.strip())


@record
class FigureSpec:
    """What a figure shows, as data: the model (``math/figure.py``), its labels (LaTeX for
    the picture, plain text for the SVG), the SVG files' names, alt texts and descriptions.
    The writers draw it (``formats/figures.py``: pgfplots for LaTeX, SVG files for Markdown
    and HTML) into what the templates place."""

    model: Any = field(compare=False)  # math.figure.Figure
    labels: dict[str, Any] = field(compare=False)
    plain: dict[str, Any] = field(compare=False)
    svg: str
    svg_blank: str
    alt: str
    alt_blank: str
    desc: str
    desc_blank: str


class Tex:
    """LaTeX helpers bound to one problem's printer settings."""

    def __init__(self, problem: Problem, words: Words):
        self.words = words
        decimals = any(re.search(r"\d\.\d", source) for f in problem.functions.values() for source in f.source)
        self.printer = HousePrinter({"ln_notation": problem.log == "ln", "variable_order": tuple(problem.variables),
                                     "decimals": decimals, "source_names": source_names(problem)})
        self.variables = problem.variables
        self.seen: dict[tuple[sp.Expr, sp.Symbol], tuple[str, int]] = {}  # step trees shown -> (question id, depth)
        self.mixed: dict[sp.Expr, tuple[str, sp.Symbol, int]] = {}  # results shown -> (question, variable, depth)
        self.named_inner: set[tuple[str, sp.Expr]] = set()  # (question, inner function) named u already
        self._printed: dict[Any, str] = {}
        self.question = ""
        names = [v.name for v in problem.variables]
        self.vector = len(names) > 1 and all(re.fullmatch(r"x_?\d+", n) for n in names)
        self.args = "x" if self.vector else ", ".join(self(v) for v in problem.variables)
        self.nabla = r"\nabla_x" if self.vector else r"\nabla"

    def __call__(self, expr: Any) -> str:
        """The house LaTeX of ``expr``, printed once per expression (a step line uses each
        piece up to three times: as is, in parentheses, as a factor)."""
        try:
            return self._printed[expr]
        except KeyError:
            text = self._printed[expr] = self.printer.doprint(expr)
            return text
        except TypeError:  # not hashable
            return self.printer.doprint(expr)

    def poly(self, expr: sp.Expr) -> str:
        """A polynomial as one is written when solving: highest powers first (4 x^9 - 4 x,
        (x - 1)), not in the source's order."""
        printer = HousePrinter({**{k: v for k, v in self.printer._settings.items() if k in HousePrinter._default_settings},
                                "order": "lex"})
        return printer.doprint(expr)

    def value(self, expr: sp.Expr) -> str:
        """A number as a TA writes it: \\frac{\\sqrt{2}}{2}, not \\frac{1}{2} \\sqrt{2}."""
        if isinstance(expr, sp.Add) and expr.is_number and len(expr.args) <= 4:  # 1 + 7 sqrt(29)/29
            terms = sorted(expr.args, key=lambda t: (not t.is_Rational,))
            out = self.value(terms[0])
            for t in terms[1:]:
                negative = t.could_extract_minus_sign()
                out += f" - {self.value(-t)}" if negative else f" + {self.value(t)}"
            return out
        if isinstance(expr, sp.Mul) and expr.is_number:
            coeff, rest = expr.as_coeff_Mul()
            if coeff.is_Rational and coeff.q != 1 and not rest.is_Add and rest != 1:
                top = self(rest) if abs(coeff.p) == 1 else f"{abs(coeff.p)} {self(rest)}"
                return f"{'-' if coeff < 0 else ''}\\frac{{{top}}}{{{coeff.q}}}"
        return self(expr)

    def fn(self, name: str) -> str:
        """A function of the file as the documents name it: ``f2`` is ``f_2`` (as ``x1`` is
        ``x_1``), so ``\\partial f_2`` never reads as ``\\partial f`` times 2."""
        return self(sp.Symbol(name)) if re.fullmatch(r"[A-Za-z]+_?\d+", name) else name

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
        if var not in self.variables or len(self.variables) == 1:  # a chain-rule letter, or f of one variable: d/dx
            return f"\\frac{{d}}{{d{self(var)}}}"
        return f"\\frac{{\\partial}}{{\\partial {self(var)}}}"

    def mat(self, rows: list[list[Any]]) -> str:
        return matrix([[c if isinstance(c, str) else self(c) for c in row] for row in rows])

    def col(self, entries: list[Any]) -> str:
        return column([c if isinstance(c, str) else self(c) for c in entries])

    def point(self, part: Part) -> str:
        return ", ".join(self(v) for _, v in part.at)

    def function_name(self, func: type) -> str:
        """How the printer names ``func``: ``\\sin``, ``\\operatorname{artanh}`` (math/functions.py)."""
        return tex_name(func)


def as_written(values: Any, raw: Any, tex: Tex) -> str:
    """Numbers of a point (or one number) as the file wrote them: -1.2 stays -1.2, 1/10 stays
    a fraction."""
    raw = raw if isinstance(raw, dict) else {}
    decimal = any(isinstance(v, float) or (isinstance(v, str) and "." in v) for v in raw.values())
    return ", ".join((terminating_decimal(v) if decimal else None) or tex(v) for _, v in values)


_CALLS = frozenset({"sin", "cos", "tan", "exp", "log", "ln", "sqrt", "tanh", "sigmoid", "sinh", "cosh"})


def source_names(problem: Problem) -> tuple[tuple[str, str | None, tuple[str, ...], int], ...]:
    """The names of the file's functions in the order written, each call with the first
    name inside its parentheses (the printer keeps functions in a product in this order)."""
    out: list[tuple[str, str | None, tuple[str, ...], int]] = []
    term = 0  # which term of which function a name stands in
    for func in problem.functions.values():
        for source in func.source:
            try:
                toks = tokenize(str(source))
            except ParseError:
                continue
            level = 0
            for k, tok in enumerate(toks):
                if tok.kind == "OP":
                    level += {"(": 1, ")": -1}.get(tok.text, 0)
                    if level == 0 and tok.text in "+-":  # a new term of the sum
                        term += 1
                if tok.kind != "NAME":
                    continue
                called = k + 1 < len(toks) and toks[k + 1].text == "("
                names: list[str] = []
                if called:  # the names inside its parentheses, in the order written
                    depth = 0
                    for t in toks[k + 1:]:
                        depth += {"(": 1, ")": -1}.get(t.text, 0) if t.kind == "OP" else 0
                        if depth == 0:
                            break
                        if t.kind == "NAME" and t.text not in _CALLS:
                            names.append(t.text)
                out.append((tok.text, names[0] if names else None, tuple(names), term) if called else (tok.text, None, (), term))
            term += 1
    return tuple(out)


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


def _step_fields(node: Rule, tex: Tex) -> dict[str, Any]:
    """The LaTeX of every field of ``node`` a template may use; its ``equation`` is the
    step line as a ``Formula`` (``_equation``)."""
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
        f["held"] = [tex(s) for s in node.held]
    if hasattr(node, "func"):
        f["func"] = tex.function_name(node.func)
    if node.name() == "chain":
        f["outer"] = tex(node.outer_step.expr)  # type: ignore[attr-defined]
        f["outer_d"] = tex(node.outer_step.result)  # type: ignore[attr-defined]
        f["outer_at"] = tex(node.outer_at_inner)  # type: ignore[attr-defined]
        f["inner_d"] = tex(node.inner_step.result)  # type: ignore[attr-defined]
        f["inner_d_p"] = tex.paren(node.inner_step.result)  # type: ignore[attr-defined]
    if node.name() == "quotient":
        f["num_d"] = tex.paren(node.num_step.result)  # type: ignore[attr-defined]
        f["den_d"] = tex.paren(node.den_step.result)  # type: ignore[attr-defined]
    if node.name() == "named":  # p of the file: d/dx of its definition, said again with p
        f["name"] = tex(sp.Symbol(node.expr.source_name))
        f["definition"] = tex(node.definition)  # type: ignore[attr-defined]
        f["lhs"] = f"\\frac{{\\partial {f['name']}}}{{\\partial {f['var']}}}"
        f["via"] = tex(node.step.result)  # type: ignore[attr-defined]
    if node.name() == "log_diff":
        f["log_form"] = tex(node.step.expr)  # type: ignore[attr-defined]
        f["log_d"] = tex.paren(node.step.result)  # type: ignore[attr-defined]
    f["equation"] = _equation(node, tex, f)
    if "name" in f:  # softmax in the file's letters: s_i and z_j, or p_i and x_j
        f["stem"] = re.sub(r"_.*$", "", str(f["name"]))
        f["var_letter"] = re.sub(r"_.*$", "", str(f["var"]))
    reason = "rule.named_softmax" if getattr(node, "kind", "") == "softmax" else "rule." + f["rule"]
    f["reason"] = tex.words(reason, count=len(f.get("held", ())), **f)
    return f


# A step line is built from pieces that each carry their LaTeX and what it means (a
# ``Side``), joined by the functions below: each writes the LaTeX and the expression of
# the joined piece together, so the printed middle form and the form ``check`` verifies
# are the same (a ``+`` turned into ``-`` here changes both, and the check sees it).

def _form(expr: Any) -> Any:
    """What a side means, as SymPy reads it back: the file's named functions opened."""
    return unfold(expr) if isinstance(expr, sp.Basic) else expr


def _derivative(expr: Any, var: sp.Symbol) -> sp.Expr:
    """d(expr)/d(var), unevaluated: the side a step line starts with."""
    return sp.Derivative(_form(expr), var)


def _piece(tex: Tex, expr: sp.Expr, how: str = "") -> Side:
    """``expr`` as a piece: as printed (``how=""``), in parentheses (``"paren"``), or as a
    factor of a product (``"factor"``)."""
    printed = tex.paren(expr) if how == "paren" else tex.factor(expr) if how == "factor" else tex(expr)
    return Side(printed, _form(expr))


def _d_piece(tex: Tex, expr: sp.Expr, var: sp.Symbol, bracket: bool = False) -> Side:
    """``\\frac{d}{dx} (expr)`` as a piece (in square brackets inside a product)."""
    printed = f"{tex.d(var)} {tex.paren(expr)}"
    return Side(f"\\left[{printed}\\right]" if bracket else printed, _derivative(expr, var))


def _both(a: Side, b: Side, printed: str, form: Any) -> Side:
    """A piece made of ``a`` and ``b``: no form when either has none."""
    return Side(printed, None if a.form is None or b.form is None else form)


def _join(pieces: list[Side], op: str = "+", signs: bool = True) -> Side:
    """Terms joined by ``op`` (``+`` or ``-``); with ``signs``, ``a + -b`` is written ``a - b``."""
    printed = f" {op} ".join(p.tex for p in pieces)
    if signs:
        printed = printed.replace("+ -", "- ")
    forms = [p.form for p in pieces]
    if any(x is None for x in forms):
        return Side(printed, None)
    form = sp.Add(*forms, evaluate=False) if op == "+" else sp.Add(forms[0], *[-x for x in forms[1:]], evaluate=False)
    return Side(printed, form)


def _product(pieces: list[Side], sep: str = " ") -> Side:
    """Factors side by side (``sep`` between them)."""
    forms = [p.form for p in pieces]
    return Side(sep.join(p.tex for p in pieces), None if any(x is None for x in forms) else sp.Mul(*forms, evaluate=False))


def _cdot(a: Side, b: Side) -> Side:
    return _both(a, b, f"{a.tex} \\cdot {b.tex}", sp.Mul(a.form, b.form, evaluate=False))


def _times(a: Side, b: Side) -> Side:
    """Two factors side by side, with a dot where juxtaposition would misread (x \\cdot 2x)."""
    right = b.tex
    if right[:1].isdigit() or right[:1] in "(-" or right.startswith(("\\frac", "\\left")):
        return _cdot(a, b)
    return _both(a, b, f"{a.tex} {b.tex}", sp.Mul(a.form, b.form, evaluate=False))


def _minus(a: Side, b: Side) -> Side:
    return _both(a, b, f"{a.tex} - {b.tex}", sp.Add(a.form, -b.form, evaluate=False))


def _over(top: Side, bottom: Side) -> Side:
    return _both(top, bottom, f"\\frac{{{top.tex}}}{{{bottom.tex}}}", sp.Mul(top.form, sp.Pow(bottom.form, -1), evaluate=False))


def _raised(base: Side, exponent: Side) -> Side:
    return _both(base, exponent, f"{base.tex}^{{{exponent.tex}}}", sp.Pow(base.form, exponent.form, evaluate=False))


def _middle(node: Rule, tex: Tex, f: dict[str, Any]) -> Side | None:
    """How ``node``'s rule computes its result, as one piece (None: the rule says it at once)."""
    rule, var = f["rule"], node.var
    if rule == "constant_multiple":
        return _cdot(_piece(tex, node.constant, "factor"), _d_piece(tex, node.other, var))  # type: ignore[attr-defined]
    if rule == "sum":
        return _join([_d_piece(tex, s.expr, var) for s in node.substeps])
    if rule == "power":
        n = node.exponent  # type: ignore[attr-defined]
        power = _raised(_piece(tex, var), _minus(_piece(tex, n), Side("1", sp.Integer(1))))
        return _product([_piece(tex, n, "paren"), power], " \\, ")
    if rule == "product":
        factors = node.factors  # type: ignore[attr-defined]
        terms = [_product([_d_piece(tex, fac, var, bracket=True) if j == i else _piece(tex, fac, "paren")
                           for j, fac in enumerate(factors)]) for i in range(len(node.substeps))]
        return _join(terms, signs=False)
    if rule == "quotient":  # u' v - u v' over v^2, written as a TA writes it
        num_d, den_d = node.num_step.result, node.den_step.result  # type: ignore[attr-defined]
        u, v = node.numerator, node.denominator  # type: ignore[attr-defined]
        lead = _piece(tex, num_d, "paren" if isinstance(num_d, sp.Add) else "")
        top_left = _piece(tex, v) if num_d == 1 else _times(lead, _piece(tex, v, "factor"))
        top_right = _piece(tex, den_d, "factor") if u == 1 else _times(_piece(tex, u, "factor"), _piece(tex, den_d, "factor"))
        return _over(_minus(top_left, top_right), _piece(tex, sp.Pow(v, 2)))
    if rule == "chain":
        u, inner, outer = node.u, node.inner, node.outer_step.expr  # type: ignore[attr-defined]
        at = Side(f"\\left.\\frac{{d}}{{d{f['u']}}} {f['outer']}\\right|_{{{f['u']} = {f['inner']}}}",
                  sp.Subs(_derivative(outer, u), u, _form(inner)))
        return _cdot(at, _d_piece(tex, inner, var))
    if rule == "log_diff":
        step = node.step  # type: ignore[attr-defined]
        log_d = Side(f"{f['d']} \\left({f['log_form']}\\right)", _derivative(step.expr, var))
        return _cdot(_piece(tex, node.expr), log_d)
    if rule == "named" and f["via"] != f["result"]:
        return _piece(tex, node.step.result)  # type: ignore[attr-defined]
    return None


def _equation(node: Rule, tex: Tex, f: dict[str, Any]) -> Formula:
    """The step as one line of math: what is asked = how the rule computes it = the result."""
    lhs = Side(f["lhs"], _derivative(node.expr, node.var))
    if f["rule"] in ("constant", "variable"):
        value = sp.Integer(0 if f["rule"] == "constant" else 1)
        return chain(lhs, "=", Side(str(value), value))
    result = Side(f["result"], _form(node.result))
    middle = _middle(node, tex, f)
    if middle is None:
        return chain(lhs, "=", result)
    return chain(lhs, "=", middle, "=", result)


def flatten(tree: Rule, tex: Tex, max_depth: int = 99) -> list[dict[str, Any]]:
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


_QUIET = ("constant_multiple", "sum", "variable", "constant")  # rules that say less than the rule under them


def _short_middle(node: Rule, tex: Tex) -> Side | None:
    """The one middle form a TA writes for ``node`` in a short derivation: the chain rule's
    outer derivative at the inner function times the inner derivative, the product rule's
    terms with each derivative worked out, a constant times the derivative of the rest."""
    name = node.name()
    if name == "chain":
        inner_d = node.inner_step.result  # type: ignore[attr-defined]
        outer = _piece(tex, node.outer_at_inner, "factor")  # type: ignore[attr-defined]
        return None if inner_d == 1 else _cdot(outer, _piece(tex, inner_d, "factor"))
    if name == "product":
        factors = list(node.factors)  # type: ignore[attr-defined]
        shown = tex.printer._in_source_order(tex.printer._in_variable_order(sp.Mul(*factors, evaluate=False)))
        order = sorted(range(len(factors)), key=lambda k: list(shown.args).index(factors[k]) if factors[k] in shown.args else k)
        terms = []
        for i, step in enumerate(node.substeps):
            d = step.result
            if d == 0:
                continue
            pieces = [_piece(tex, d if k == i else factors[k], "factor") for k in order if not (k == i and d == 1)]
            term = pieces[0] if pieces else Side("1", sp.Integer(1))
            for piece in pieces[1:]:
                term = _times(term, piece)
            terms.append(term)
        return _join(terms) if len(terms) > 1 else None
    if name == "constant_multiple" and node.substeps and node.substeps[0].name() == "chain":
        chain_ = node.substeps[0]  # c f(g(x)): (c f'(g)) times g', as a TA multiplies it out
        inner_d = chain_.inner_step.result  # type: ignore[attr-defined]
        if inner_d not in (0, 1) and width(tex(chain_.inner)) <= LONG_INNER:  # type: ignore[attr-defined]
            outer = tmul(node.constant, chain_.outer_at_inner)  # type: ignore[attr-defined]
            return _cdot(_piece(tex, outer, "factor"), _piece(tex, inner_d, "factor"))
    if name == "constant_multiple":
        rest = node.step.result  # type: ignore[attr-defined]
        if rest == 0 or rest == 1 or node.constant == -1:  # type: ignore[attr-defined]
            return None
        c, other = node.constant, node.other  # type: ignore[attr-defined]
        shown = tex.printer._in_source_order(sp.Mul(c, other, evaluate=False))
        if shown.args and shown.args[0] == other and c.free_symbols:  # e^x \cos y: the held factor stays second
            return _cdot(_piece(tex, rest, "factor"), _piece(tex, c, "factor"))
        return _cdot(_piece(tex, c, "factor"), _piece(tex, rest, "factor"))
    if name in ("quotient", "named", "log_diff"):
        return None  # their full middle is already the short one (_equation)
    return None


def _short_reason(node: Rule, tex: Tex) -> Sentence:
    r"""The rule that does the work in ``node``'s subtree: a constant multiple or a sum says
    less than the rule under it (``2 \log x`` is the derivative of the logarithm)."""
    while node.name() == "constant_multiple" and node.substeps and node.substeps[0].name() not in ("variable",):
        node = node.substeps[0]
    reason: Sentence = _step_fields(node, tex)["reason"]
    outer = getattr(node, "outer_step", None) if node.name() == "chain" else None
    if outer is not None and outer.name() in _NAMED_OUTER:  # sigma' = sigma(1 - sigma): the known derivative is the point
        reason = join([_step_fields(outer, tex)["reason"], reason], Sentence((Run("text", "; "),)))
    inner = getattr(node, "inner_step", None) if node.name() == "chain" else None
    if inner is not None and inner.name() == "named" and getattr(inner, "kind", "") == "softmax":
        reason = join([reason, _step_fields(inner, tex)["reason"]], Sentence((Run("text", "; "),)))
    return reason


_NAMED_OUTER = frozenset({"sigmoid", "known_derivative", "named", "abs"})


LONG_INNER = 8  # an inner function longer than this is named u once and written u after


def _through_u(node: Rule, tex: Tex, f: dict[str, Any], depth: int) -> dict[str, Any]:
    """The chain rule through a long inner function, as a TA writes it: u is named once in
    the question, and the line reads in u (d/dw_0 sigma(u) = sigma(u)(1 - sigma(u)) x_0).
    Its forms read in u too, with u the inner function (``where``)."""
    u, inner_d = node.u, node.inner_step.result  # type: ignore[attr-defined]
    outer_d = node.outer_step.result  # type: ignore[attr-defined]
    outer_expr, inner = node.outer_step.expr, node.inner  # type: ignore[attr-defined]
    lhs = Side(f"{f['d']} {tex.paren(outer_expr)}", _derivative(_form(outer_expr).subs(u, _form(inner)), node.var))
    in_u = _piece(tex, tmul(inner_d, outer_d))
    middle = _piece(tex, outer_d) if inner_d == 1 else _cdot(_piece(tex, outer_d, "factor"), _piece(tex, inner_d, "factor"))
    where = {u: _form(inner)}
    equation = chain(lhs, "=", middle, "=", in_u, where=where) if middle.tex.replace(" \\cdot ", " ") != in_u.tex \
        else chain(lhs, "=", in_u, where=where)
    key = (tex.question, node.inner)  # type: ignore[attr-defined]
    outer = node.outer_step  # type: ignore[attr-defined]
    if key in tex.named_inner:  # u and its outer derivative were named on an earlier line
        return {**f, "equation": equation, "reason": tex.words("rule.chain_same", u=tex(u)), "depth": depth}
    tex.named_inner.add(key)
    reason = _step_fields(node, tex)["reason"]
    if outer.name() in _NAMED_OUTER:
        reason = join([_step_fields(outer, tex)["reason"], reason], Sentence((Run("text", "; "),)))
    return {**f, "equation": equation, "reason": reason, "depth": depth}


def _short_line(node: Rule, tex: Tex, depth: int) -> dict[str, Any]:
    """One line for a term: what is asked = the middle a TA writes = the result, its rule named."""
    f = _step_fields(node, tex)
    if node.name() == "chain" and width(tex(node.inner)) > LONG_INNER and node.inner_step is not None:  # type: ignore[attr-defined]
        return _through_u(node, tex, f, depth)
    if node.name() in ("quotient", "named", "log_diff", "constant", "variable"):
        equation = f["equation"]
    else:
        middle = _short_middle(node, tex)
        same = middle is not None and middle.tex.replace(" \\cdot ", " ") == f["result"]
        lhs, result = Side(f["lhs"], _derivative(node.expr, node.var)), Side(f["result"], _form(node.result))
        equation = chain(lhs, "=", middle, "=", result) if middle is not None and not same else chain(lhs, "=", result)
    return {**f, "equation": equation, "reason": _short_reason(node, tex), "depth": depth}


def short(tree: Rule, tex: Tex, heading: str) -> list[dict[str, Any]]:
    """The short derivation a TA writes: a line per term naming its rule, then the sum;
    a derivative that is not a sum is one line."""
    if tree.name() != "sum":
        return [_short_line(tree, tex, 0)]
    lines = [_short_line(s, tex, 0) for s in tree.substeps]
    together = _join([_piece(tex, s.result) for s in tree.substeps if s.result != 0])
    total = _piece(tex, tree.result)
    asked = Side(heading, _derivative(tree.expr, tree.var))
    count = sum(1 for s in tree.substeps if s.result != 0)
    equation = chain(asked, "=", together, "=", total) if together.tex != total.tex and count > 1 else chain(asked, "=", total)
    lines.append({"rule": "sum", "equation": equation, "reason": tex.words("steps.together"), "depth": 0,
                  "result": total.tex, "total": True})
    return lines


SLIDE_LINE = 52  # about how many characters of math fit a slide's line (Beamer 16:9 at 11pt)
SLIDE_ROOM = 14.0  # how many plain lines fit under a slide's title, with room to spare


def line_height(tex: str, per_line: int = SLIDE_LINE) -> float:
    """About how many plain lines ``tex`` (a step: math and its reason) takes on a slide:
    a line with a fraction or a matrix is taller, and a long one wraps."""
    rows = max(1, -(-int(width(tex)) // per_line))
    tall = 2.0 if "\\begin{bmatrix}" in tex else 1.7 if "\\frac" in tex else 1.15
    return rows * tall + 0.25


def slide_lines(lines: list[dict[str, Any]], heading: str, tex: Tex, heading_form: Any = None) -> list[dict[str, Any]]:
    """A derivation's lines for a deck, where each click adds one: the first line does not
    give the result away (its result comes as the last line, ``heading = result``, with
    ``heading_form`` what the heading means)."""
    if not lines or lines[-1].get("total"):
        return lines
    first = lines[0]
    end = f" = {first['result']}"
    equation = first["equation"]
    if first.get("total") or not equation.endswith(end) or equation.count(" = ") < 2:
        return lines
    forms = getattr(equation, "forms", ())
    if forms:  # the same chain without its last side
        opened_eq: Any = Formula(str(equation)[: -len(end)], forms[:-1], equation.relations[:-1], equation.where, equation.shapes)
        result_form = forms[-1]
        where = equation.where
    else:
        opened_eq, result_form, where = equation[: -len(end)], None, {}
    opened = {**first, "equation": opened_eq}
    together = _line(Side(heading, heading_form), Side(first["result"], result_form), where)
    total = {"rule": "total", "equation": together, "reason": tex.words("steps.together" if
             first["rule"] == "sum" else "steps.so_result"), "depth": 0, "result": first["result"], "total": True}
    return [opened, *lines[1:], total]


def frames(lines: list[dict[str, Any]], room: float = SLIDE_ROOM, first_room: float | None = None) -> list[list[dict[str, Any]]]:
    """Cut a derivation's lines into frames that fit: a long one continues on the next frame."""
    out: list[list[dict[str, Any]]] = [[]]
    used, limit = 0.0, first_room if first_room is not None else room
    for line in lines:
        h = line_height(line["equation"] + _reason_width(line))
        if out[-1] and used + h > limit:
            out.append([])
            used, limit = 0.0, room
        out[-1].append(line)
        used += h
    return out if out[0] else []


def _reason_width(line: dict[str, Any]) -> str:
    """Room the reason takes beside the math, as filler characters."""
    reason = line.get("reason")
    return "x" * (len(str(reason)) + 4) if reason else ""


HEADING = 2.0  # the height of a derivative's heading set inside a frame shared with others


def pack_frames(groups: list[dict[str, Any]], room: float = SLIDE_ROOM) -> list[list[dict[str, Any]]]:
    """A part's derivations as slide frames: a long one continues on frames of its own, short
    ones share a frame while they fit (a Jacobian's nine one-line entries take a few frames,
    not nine). Each frame is a list of blocks: heading, held sentence, lines, continued."""
    out: list[list[dict[str, Any]]] = []
    used = room + 1.0
    for g in groups:
        chunks = g.get("frames") or []
        for k, chunk in enumerate(chunks):
            block = {"heading": g["heading"], "held_note": g.get("held_note") if k == 0 and g.get("held") else None,
                     "held_sentence": g.get("held_sentence") if k == 0 and g.get("held") else None,
                     "lines": chunk, "continued": k > 0}
            h = HEADING + sum(line_height(line["equation"] + _reason_width(line)) for line in chunk)
            if len(chunks) == 1 and out and used + h <= room:
                out[-1].append(block)
                used += h
            else:
                out.append([block])
                used = h if len(chunks) == 1 else room + 1.0  # a long derivation keeps its frames to itself
    return out


def fit_legend(answer: list[str], legend: list[Any], room: float = 12.0, per_line: int = 30) -> list[Any]:
    """The legend lines that fit in the text column beside a slide's picture under the
    answer lines (the handout keeps them all)."""
    used = sum(line_height(a, per_line) for a in answer)
    kept = []
    for item in legend:
        h = -(-len(str(item)) // per_line) * 1.15 + 0.3
        if used + h > room:
            break
        kept.append(item)
        used += h
    return kept


_SUMMED = frozenset({"gradient", "hessian", "jacobian", "partial", "laplacian"})  # asks whose answer shows every entry


def group(heading: str, tree: Rule, tex: Tex, part: Part, note: str | None = None) -> dict[str, Any]:
    held = [tex(v) for v in tex.variables if v != tree.var]
    key, depth = (tree.expr, tree.var), DETAIL_DEPTH[part.detail]
    shown = tex.seen.get(key)  # (question, depth) where this tree was shown before
    seen_in = shown[0] if shown and depth >= 0 and shown[1] >= depth else None
    mixed = tex.mixed.get(tree.result) if not seen_in and depth >= 0 and tree.result != 0 else None
    if mixed and mixed[0] != tex.question and mixed[1] != tree.var and mixed[2] >= depth:
        seen_in = mixed[0]  # the other mixed partial, found in an earlier question: they agree
    if not seen_in and depth >= 0:
        tex.seen[key] = (tex.question, depth)  # shown here: later parts as detailed refer back
        tex.mixed.setdefault(tree.result, (tex.question, tree.var, depth))
    asked = _derivative(tree.expr, tree.var)  # what the heading names
    first = str(heading).split(" = ")[0]
    lines = [] if seen_in or depth < 0 else short(tree, tex, first) if part.detail == "standard" \
        else flatten(tree, tex, depth)
    if lines or seen_in:  # the heading is shown
        heading = _heading(heading, asked)
    room = SLIDE_ROOM - (1.2 if held else 0.0)
    result = _piece(tex, tree.result)
    return {
        "frames": frames(slide_lines(lines, first, tex, asked), SLIDE_ROOM, room),
        # the handout ends a short derivation at its terms: the answer below adds them up
        "handout_lines": [ln for ln in lines if not ln.get("total")] if part.ask in _SUMMED else lines,
        "seen_in": seen_in,
        "derived_in": tex.words("steps.derived_in", part=text(seen_in)) if seen_in else None,
        "held_note": tex.words("steps.held", count=len(held), held=held),
        "held_sentence": tex.words("steps.held_sentence", count=len(held), held=held),
        "result": result.tex,
        "heading": heading,
        # derived in an earlier question: "heading = result" in place of the lines
        "seen_line": extend(heading if isinstance(heading, Formula) else chain(Side(heading, asked)), result) if seen_in else None,
        "var": tex(tree.var),
        "held": held,
        "note": note,
        "lines": lines,
        "fallback": tree.contains_fallback(),
    }


def _heading(heading: str, form: Any) -> str:
    """A group's heading as a ``Formula`` when it shows a relation (``\\frac{\\partial^2 f}{\\partial x^2}
    = \\frac{\\partial}{\\partial x} \\frac{\\partial f}{\\partial x}``): each side names the derivative
    the group computes (``form``). A heading given as a Formula, or naming one thing, stays."""
    if isinstance(heading, Formula) or " = " not in heading:
        return heading
    items: list[Any] = []
    for k, side in enumerate(heading.split(" = ")):
        items += ["=", Side(side, form)] if k else [Side(side, form)]
    return chain(*items)


def extend(line: Any, side: Side, relation: str = "=") -> Any:
    """``line`` (a ``Formula`` or a LaTeX string) with one more side: ``line = side``. A
    Formula keeps its forms and gets the side's; a string stays a string."""
    printed = f"{line} {RELATIONS[relation]} {side.tex}"
    if isinstance(line, Formula):
        if not line.forms:
            return Formula(printed)
        return Formula(printed, (*line.forms, side.form), (*line.relations, relation), line.where, line.shapes)
    return Markup(printed) if isinstance(line, Markup) else printed


def pd(fname: str, var: str, args: str = "") -> str:
    """\\frac{\\partial f}{\\partial x_1}: as a book writes it, without the argument list
    (``args`` is kept for callers that pass it)."""
    return f"\\frac{{\\partial {fname}}}{{\\partial {var}}}"


def second(fname: str, vi: str, vj: str, args: str = "") -> str:
    if vi == vj:
        return f"\\frac{{\\partial^2 {fname}}}{{\\partial {vi}^2}}"
    return f"\\frac{{\\partial^2 {fname}}}{{\\partial {vi} \\partial {vj}}}"


def add_factored(view: dict[str, Any], shown: str | None, form: Any = None) -> dict[str, Any]:
    """simplify: factor -- the result with common factors pulled out, as one more ``=``
    (``form``: what ``shown`` means, a SymPy expression or Matrix; a Formula answer line
    gets it as its new side)."""
    if shown:
        side = Side(shown, _form(form))
        view["answer"] = view["answer"][:-1] + [extend(view["answer"][-1], side)]
        equation = view.get("equation")
        if isinstance(equation, Formula):
            view["equation"] = extend(equation, side)
        elif equation:
            view["equation"] = equation[:-1] + [extend(str(equation[-1]), side)]
        view["answer_short"] = view["answer_short"][:-1] + [extend(view["answer_short"][-1], side)]
    return view


LINE = 72  # about how many characters of math fit a handout's line at 11pt


def width(tex: str) -> float:
    """About how wide ``tex`` sets, in characters: a fraction as wide as its wider part,
    a matrix as its widest entry per column, scripts at two thirds, a command as one."""
    tex = re.sub(r"\\(left|right|displaystyle|,|;|quad)", "", tex)
    total, i = 0.0, 0
    while i < len(tex):
        if tex.startswith("\\frac{", i):
            top, i = _group(tex, i + 5)
            bottom, i = _group(tex, i)
            total += max(width(top), width(bottom))
            continue
        if tex.startswith("\\begin{bmatrix}", i):
            end = tex.find("\\end{bmatrix}", i)
            body = tex[i + len("\\begin{bmatrix}"): end if end >= 0 else len(tex)]
            rows = [r.split("&") for r in body.split("\\\\")]
            cols = max(len(r) for r in rows)
            total += sum(max(width(r[j]) if j < len(r) else 0 for r in rows) for j in range(cols)) + 2 * cols
            i = end + len("\\end{bmatrix}") if end >= 0 else len(tex)
            continue
        ch = tex[i]
        if ch in "_^":
            if i + 1 < len(tex) and tex[i + 1] == "{":
                script, i = _group(tex, i + 1)
                total += 0.66 * width(script)
            else:
                total += 0.66
                i += 2
            continue
        if ch == "\\":
            m = re.match(r"\\[A-Za-z]+|\\.", tex[i:])
            i += len(m.group(0)) if m else 1
            total += 1
            continue
        if ch not in " {}":
            total += 1
        i += 1
    return total


def _group(tex: str, start: int) -> tuple[str, int]:
    """The braced group opening at ``start``: (its body, the index after it)."""
    depth = 0
    for k in range(start, len(tex)):
        if tex[k] == "{":
            depth += 1
        elif tex[k] == "}":
            depth -= 1
            if depth == 0:
                return tex[start + 1:k], k + 1
    return tex[start + 1:], len(tex)


def _matrix_form(forms: list[list[Any]]) -> Any:
    """A matrix (or column) of entry forms as a SymPy Matrix; None when an entry has none."""
    if not forms or any(e is None for row in forms for e in row):
        return None
    return sp.Matrix([[_form(e) for e in row] for row in forms])


def _line(lhs: Side, rhs: Side, where: Any = None) -> Any:
    """``lhs = rhs`` as a Formula, or as the plain LaTeX it was when neither side has a form."""
    if lhs.form is None and rhs.form is None:
        return f"{lhs.tex} = {rhs.tex}"
    return chain(lhs, "=", rhs, where=where)


def fitted(lhs: str, rows: list[list[Any]], tex: Tex, letter: str, symmetric: bool = False, *,
           lhs_form: Any = None, forms: list[list[Any]] | None = None, where: Any = None) -> list[Any]:
    """``lhs = matrix`` as display lines: one when it fits the line; when it is too wide, not
    shrunk but written with a letter for each long entry, the entries following one per line
    (of a symmetric matrix, those on and above the diagonal): [h_{11} h_{12}; h_{12} h_{22}],
    h_{11} = ...; short entries (0, 2 x_3) stay in place.

    Each line is a ``Formula``: ``lhs_form`` is what ``lhs`` means (a SymPy Matrix of the
    same shape, say of ``Derivative``s; then ``h_{11}`` means its entry), ``forms`` the
    entries' forms where ``rows`` holds LaTeX strings (by default an entry that is a SymPy
    expression is its own form), ``where`` a point the forms are read at."""
    shown = [[e if isinstance(e, str) else tex(e) for e in row] for row in rows]
    entry_forms = forms if forms is not None else [[None if isinstance(e, str) else e for e in row] for row in rows]
    value = _matrix_form(entry_forms)
    column = all(len(r) == 1 for r in rows)
    whole = _line(Side(lhs, lhs_form), Side(tex.col([r[0] for r in shown]) if column else tex.mat(shown), value), where)
    if width(whole) <= LINE:
        return [whole]

    def name(i: int, j: int) -> str:
        if symmetric and j < i:
            i, j = j, i
        return f"{letter}_{{{i + 1}}}" if column else f"{letter}_{{{i + 1}{j + 1}}}"

    def named(i: int, j: int) -> Any:  # what h_{ij} stands for: the entry of lhs
        return lhs_form[i, j] if isinstance(lhs_form, sp.MatrixBase) else None

    short = [[width(e) <= 6 for e in row] for row in shown]
    shape = [[shown[i][j] if short[i][j] else name(i, j) for j in range(len(row))] for i, row in enumerate(rows)]
    entries = [_line(Side(name(i, j), named(i, j)), Side(e, _form(entry_forms[i][j])), where) for i, row in enumerate(shown)
               for j, e in enumerate(row) if not short[i][j] and not (symmetric and j < i)]
    return [_line(Side(lhs, lhs_form), Side(tex.col([r[0] for r in shape]) if column else tex.mat(shape), value), where), *entries]


def stack_wide(view: dict[str, Any], lhs: str, rows: list[list[Any]], tex: Tex, letter: str,
               symmetric: bool = False, *, lhs_form: Any = None, forms: list[list[Any]] | None = None) -> dict[str, Any]:
    """A part's answer too wide for the line: its first line becomes ``fitted``'s lines
    (``lhs_form``, ``forms``: as for ``fitted``)."""
    if width(view["answer_short"][0]) <= LINE:
        return view
    lines = fitted(lhs, rows, tex, letter, symmetric, lhs_form=lhs_form, forms=forms)
    view["answer"] = [*lines, *view["answer"][1:]]
    view["answer_short"] = [*lines, *view["answer_short"][1:]]
    view["equation"] = None
    return view


def decimals_of(raw: Any) -> list[Any] | None:
    """The entries of an exact value (a list, or a list of rows) to four decimals, when some
    entry is neither whole nor a short decimal; None when it has letters or is exact enough."""
    flat = [e for row in raw for e in (row if isinstance(row, (list, tuple)) else [row])]
    if any(not isinstance(e, sp.Basic) or e.free_symbols for e in flat):
        return None
    def plain(e: sp.Expr) -> bool:
        short = terminating_decimal(e)
        return bool(e.is_Integer) or (short is not None and len(short) <= 6)

    if all(plain(e) for e in flat):
        return None

    def dec(e: sp.Expr) -> str:
        return str(e) if e.is_Integer else format(float(sp.N(e, 15)), ".4f").rstrip("0").rstrip(".")

    return [[dec(e) for e in row] if isinstance(row, (list, tuple)) else dec(row) for row in raw]


def add_value(view: dict[str, Any], lhs: str, value: str | None, raw: Any = None, tex: Tex | None = None, *,
              lhs_form: Any = None, form: Any = None, where: Any = None) -> dict[str, Any]:
    """``at`` on a symbolic ask: its value at the point, as one more answer line (with its
    decimals beside it when the exact value is not a plain number).

    The line is a ``Formula`` when ``lhs_form`` or ``form`` is given: ``lhs_form`` what
    ``lhs`` means (``Derivative(f, x)``, a Matrix of them), ``form`` the exact value
    (a number, a Matrix), ``where`` the point (``{x: 1, y: 2}``) substituted into both."""
    if value is None:
        return view
    approx = decimals_of(raw) if raw is not None and tex is not None else None
    sides: list[Any] = [Side(lhs, lhs_form), "=", Side(value, _form(form))]
    if approx is not None:
        rows = approx if isinstance(approx[0], list) else [[a] for a in approx]
        sides += ["≈", Side(matrix(rows), sp.Matrix([[sp.Float(a) for a in row] for row in rows]))]
    line: Any = chain(*sides, where=where) if lhs_form is not None or form is not None else \
        " = ".join([f"{lhs}", f"{value} \\approx {sides[-1].tex}" if approx is not None else f"{value}"])
    view["answer"] = view["answer"] + [line]
    view["answer_short"] = view["answer_short"] + [line]
    return view


def partial_symbol(part: Part, tex: Tex) -> str:
    """d^n f / dx_k ... dx_1 for a partial taken in ``part.order`` (first variable first)."""
    order = part.order
    if len(order) == 1:
        return f"\\frac{{\\partial {part.of}}}{{\\partial {tex(order[0])}}}"
    den = " ".join(f"\\partial {tex(v)}" for v in reversed(order))
    return f"\\frac{{\\partial^{len(order)} {part.of}}}{{{den}}}"


def taylor_intro(order: int, single: bool, hessian: bool, words: Words) -> Sentence:
    word = words(f"taylor.order_{order}") if order <= 3 else words("taylor.order_n", n=text(str(order)))
    key = "taylor.intro" if single else ("taylor.intro_hessian" if hessian else "taylor.intro_gradient")
    return words(key, order=word)


def _prompt(parts: list[Part], problem: Problem, tex: Tex) -> Sentence:
    """The generated question: "Let f(x) = .... What is the gradient of f at the point (..)?"."""
    words = tex.words
    names = []
    for p in parts:
        if p.of and p.of not in names:
            names.append(p.of)
    defs = []
    inner: list[Any] = []  # the file's functions these use by name (p in L): defined first, as a TA would
    for name in names:
        for used in reversed([g for e in problem.functions[name].exprs for g in names_in(e)]):
            if used.source_name not in names and used not in inner:
                inner.insert(0, used)
    for used in inner:
        args = ", ".join(tex(v) for v in used.params)
        defs.append(Sentence((Run("math", f"{tex(sp.Symbol(used.source_name))}({args}) = {tex(used.definition)}"),)))
    for name in names:
        func = problem.functions[name]
        args = ", ".join(tex(v) for v in problem.variables)
        body = tex.col(list(func.exprs)) if func.vector else tex(func.exprs[0])
        defs.append(Sentence((Run("math", f"{tex.fn(name)}({args}) = {body}"),)))
    def ask(p: Part) -> Sentence:
        of = p.of or ""
        if p.ask == "partial":
            return words("prompt.partial", symbol=partial_symbol(p, tex))
        if p.ask == "taylor":
            order = words(f"taylor.order_{p.order}") if p.order <= 3 else words("taylor.order_n", n=text(str(p.order)))
            return words("prompt.taylor", f=tex.fn(of), order=order)
        if p.ask == "critical" and problem.shapes:  # a vector variable: the closed form of grad f = 0
            return words("prompt.critical_matrix", f=tex.fn(of))
        if p.ask == "critical" and p.constraints:
            said = ", ".join(f"{tex(g)} = {tex(c)}" for g, c in p.constraints)
            return words("prompt.critical_constrained", f=tex.fn(of), constraint=said)
        if p.ask == "newton" and problem.shapes:  # a vector variable: the symbolic step from w_0
            return words("prompt.newton_matrix", f=tex.fn(of), point=f"{tex(sp.Symbol(problem.shapes.variable.name))}_0")
        if p.ask in ("newton", "descent"):  # the start is part of the ask: "starting from (..)"
            return words(f"prompt.{p.ask}", count=p.steps, n=text(str(p.steps)), f=tex.fn(of), point=as_written(p.at, p.raw.get("at"), tex),
                         rate=as_written(((None, p.rate),), {None: p.raw.get("rate")}, tex) if p.rate is not None else "")
        if p.ask == "figure" and isinstance(p.raw.get("slice"), str):  # f along a line, not its contours
            return words("prompt.figure_slice", f=tex.fn(of), name=tex(sp.Symbol(p.raw["slice"])))
        if p.wrt:  # one of several vector or matrix variables
            return words(f"prompt.{p.ask}_wrt", f=f"\\nabla {tex.fn(of)}" if p.grad else tex.fn(of), var=tex(sp.Symbol(p.wrt)))
        if p.ask == "gradient" and len(problem.variables) == 1 and not problem.shapes:
            return words("prompt.derivative", f=tex.fn(of), var=tex(problem.variables[0]))
        return words(f"prompt.{p.ask}", f=f"\\nabla {tex.fn(of)}" if p.grad else tex.fn(of) if p.of else p.of)

    def at(sentence: Sentence, p: Part) -> Sentence:
        if p.ask in ("newton", "descent"):
            return sentence
        if problem.shapes is not None:  # at x = (0, 0), A with rows (1, 2), (0, 1): each name's value, inline
            def tup(xs: Any) -> str:
                return f"({', '.join(tex(x) for x in xs)})"
            flat = [n_v for n_v in p.at if n_v[1].cols == 1]
            point = ", ".join(f"{tex(n)} = " + (tex(v[0, 0]) if v.shape == (1, 1) else tup(v)) for n, v in flat)
            out = words("prompt.at_value", ask=sentence, point=point) if flat else sentence
            mats = [words("prompt.at_rows", name=tex(n), point=", ".join(tup(v.row(i)) for i in range(v.rows)))
                    for n, v in p.at if v.cols > 1]
            return join([out, *mats], Sentence((Run("text", ", "),)), words("prompt.and")) if mats else out
        if len(problem.variables) == 1:  # "at x = 0", not "at the point (0)"
            return words("prompt.at_value", ask=sentence, point=f"{tex(p.at[0][0])} = {tex(p.at[0][1])}")
        return words("prompt.at", ask=sentence, point=tex.point(p))

    points = {p.at for p in parts}
    if len(points) == 1 and parts[0].at:  # one point for all: said once, at the end
        asked = at(join([ask(p) for p in parts], words("prompt.and")), parts[0])
    else:
        asked = join([at(ask(p), p) if p.at else ask(p) for p in parts], words("prompt.and"))
    return words("prompt.question", count=len(parts), functions=join(defs, Sentence((Run("text", ", "),)), words("prompt.and")), asks=asked)


class Prompts:
    """A question's prompt: every prompt given for its parts, each kept (a TA's prompt on
    one part speaks for the question); with none given, one generated question."""

    def __init__(self, items: list[Any]):
        self.items = items

    def __bool__(self) -> bool:
        return bool(self.items)



def _prompts(parts: list[Part], problem: Problem, tex: Tex) -> Prompts:
    given = [Prose(p.prompt) for p in parts if p.prompt]
    return Prompts(given or [_prompt(parts, problem, tex)])


def build_view(solution: Solution, words: Words | None = None, prefix: str = "") -> dict[str, Any]:
    """The view of a whole solution: each part presented by its ask, grouped into
    questions, with the header, prompts and sentences in the catalog's language. ``prefix``
    labels the questions of one problem of a file with problems: (1a, 1b, 2a, ...)."""
    problem = solution.problem
    words = words or load_words(problem.lang)
    if solution.sheet:
        return _sheet_view(solution, words)
    tex = Tex(problem, words)
    questions: list[dict[str, Any]] = []
    for d in solution.derivations:
        if not questions or questions[-1]["id"] != prefix + d.part.id:
            questions.append({"id": prefix + d.part.id, "parts": [], "derivations": []})
        q = questions[-1]
        tex.question = prefix + d.part.id
        shown = d
        if d.part.of and tex.fn(d.part.of) != d.part.of:  # f2 is written f_2 in the documents
            shown = dataclasses.replace(d, part=dataclasses.replace(d.part, of=tex.fn(d.part.of)))
        view = askspec.get(d.part.ask).present(shown, tex, problem)
        view.setdefault("equation", None)  # lhs = matrix of partials = result, when shown
        view.update(
            ask=d.part.ask,
            detail=d.part.detail,
            of=d.part.of,
            grad=d.part.grad,
            answer_prose=Prose(d.part.answer) if d.part.answer else None,
            notes=Prose(d.part.notes) if d.part.notes else None,
        )
        if d.part.choices:  # multiple choice: the options under the prompt, the letter in the solution
            view["choices"] = options = choices(problem, d, tex, words)
            key = words("choice.key", letter=text(options.key.letter))
            view["answer_prose"] = Both(view["answer_prose"], key) if view["answer_prose"] else key
        for g in view.get("groups", []):  # a group built outside ``group``: its heading = result, unformed
            if g.get("seen_in") and not g.get("seen_line"):
                g["seen_line"] = Formula(f"{g.get('heading')} = {g.get('result')}")
        seen = [g for g in view.get("groups", []) if g.get("seen_in")]
        view["from_note"] = None
        if seen:  # derived in an earlier question: said once, not a line per derivative
            view["groups"] = [g for g in view["groups"] if not g.get("seen_in")]
            places = sorted({str(g["seen_in"]) for g in seen})
            view["from_note"] = words("steps.from_above") if places == [str(d.part.id)] else \
                words("steps.from_part", count=len(places), part=text(places[0]),
                      parts=join([text(f"({p})") for p in places], words("prompt.and")))
            if not view["groups"] and isinstance(view.get("general"), dict):  # f's derivatives are those of (a)
                view["general"] = {**view["general"], "hessian": None, "lines": []}
        if view.get("groups"):  # a derivation without lines (detail: answer) shows nothing, not even its heading
            view["groups"] = [g for g in view["groups"] if g.get("lines") or "handout_lines" not in g]
        for g in view.get("groups", []):  # groups built outside ``group`` (matrix forms, partials, proofs)
            if "frames" not in g:
                g["frames"] = frames(g.get("lines", []), SLIDE_ROOM, SLIDE_ROOM - (1.2 if g.get("held") else 0.0))
        view["slide_frames"] = pack_frames(view.get("groups", []))
        if d.part.ask == "directional" and q["parts"] and q["parts"][-1]["ask"] == "figure":
            q["parts"][-1]["answer"] = []  # the handout says the gradient at the point once, with the readings
        if d.part.ask == "figure":  # beside the picture on a slide: the legend lines that fit
            view["legend_slides"] = fit_legend(view.get("answer_short", []), view.get("legend", []))
        q["parts"].append(view)
        q["derivations"].append(d)
    for q in questions:
        for part_view in q["parts"]:  # the blocks the templates print (present/blocks.py), from the finished view
            (askspec.get(part_view["ask"]).layout or blocks.default)(part_view, words)
        q["prompt"] = _prompts([d.part for d in q["derivations"]], problem, tex)
        q["prompt"].items.extend(p["choices"] for p in q["parts"] if p.get("choices"))
        del q["derivations"]
    header = [problem.course, problem.section, problem.date, problem.author]
    ln = problem.log == "ln" and bool(problem.shapes)  # the matrix printer writes \\log; the file asks \\ln
    doc: dict[str, Any] = _mark_math({
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
        "heading": doc_heading(problem.id, problem.title, words),
        "lang": words.lang,
    })
    return _as_ln(doc) if ln else doc


_LOG = re.compile(r"\\log(?![A-Za-z])")


def _as_ln(value: Any) -> Any:
    """``options: {log: ln}`` for the matrix forms too: every \\log of the view's math is \\ln."""
    if isinstance(value, dict):
        return {k: _as_ln(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_ln(v) for v in value]
    if isinstance(value, Prompts):
        return Prompts([_as_ln(item) for item in value.items])
    if isinstance(value, Sentence):
        return Sentence(tuple(Run(r.kind, _LOG.sub(r"\\ln", r.text)) if r.kind == "math" else r for r in value.runs))
    if isinstance(value, Formula):  # the same sides, written with \\ln
        return value.retex(_LOG.sub(r"\\ln", str(value)))
    if isinstance(value, Markup):
        return Markup(_LOG.sub(r"\\ln", str(value)))
    return value


NUMBERED = re.compile(r"\d+(\.\d+)*[A-Za-z]?")  # a book's or a course's number: 1.2, 14.3, 7b


def doc_heading(pid: str, title: str | None, words: Words) -> Sentence:
    """The document's title as a TA writes it: "Problem 1.2: Gradients" for a numbered
    problem, the title alone for a file named by a word (``aside``), never a bare file name
    (an untitled ``least-squares`` is "Least squares")."""
    if NUMBERED.fullmatch(pid) or (not title and re.search(r"\d", pid)):  # 1.2, and an untitled hw3 or t4
        return words("document.title", id=text(pid), title=text(title)) if title else words("document.untitled", id=text(pid))
    if title:
        return words("document.title_only", title=text(title))
    return words("document.title_only", title=text(re.sub(r"[-_]+", " ", pid).strip().capitalize() or pid))


def _sheet_view(solution: Solution, words: Words) -> dict[str, Any]:
    """A file with problems: one document, each problem headed by its id and title (and its
    intro) before its first question, the questions labelled 1a, 1b, 2a, ..."""
    sheet = solution.problem
    questions: list[dict[str, Any]] = []
    for sub in solution.sheet:
        p = sub.problem
        view = build_view(sub, words, prefix=p.label or "")
        heading = (words("document.title", id=text(p.label or ""), title=text(p.title)) if p.title
                   else words("document.untitled", id=text(p.label or "")))
        first = True
        for q in view["questions"]:
            q["problem"] = {"heading": heading, "intro": view["intro"]} if first else None
            first = False
            questions.append(q)
    header = [sheet.course, sheet.section, sheet.date, sheet.author]
    doc: dict[str, Any] = _mark_math({
        "id": sheet.id, "title": sheet.title, "course": sheet.course, "section": sheet.section, "date": sheet.date,
        "author": sheet.author, "header": [h for h in header if h],
        "intro": Prose(sheet.intro) if sheet.intro else None,
        "variables": [], "questions": questions, "fallbacks": solution.fallbacks(),
        "heading": words("document.sheet", title=text(sheet.title)) if sheet.title else words("document.untitled", id=text(sheet.id)),
        "lang": words.lang,
    })
    return doc


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
