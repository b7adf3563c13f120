"""The typed expression tree of shaped (vector and matrix) expressions.

Every node is a frozen, hashable dataclass with a ``shape`` (rows, cols): sizes are SymPy
symbols (``m``, ``d``) or integers; a 1x1 node is a scalar. Nodes print themselves in two
ways: ``latex(node)`` (the house LaTeX, the TA's form) and ``text(node)`` (solgen's own
expression grammar, read back by ``matrix.parse``). ``evaluate`` computes a node on concrete
sizes and values (complex numbers, so the checker can take complex-step derivatives).

To add an operation: a node here (shape rule in its constructor in ``parse``), its two
printers, its numeric rule in ``numeric.py`` and its differential in ``diff.py``.
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from decimal import Decimal, localcontext
from solgen.math.record import record

ONE = sp.Integer(1)
SCALAR = (ONE, ONE)
# functions applied entry by entry to a vector or matrix (a scalar argument is a 1x1 case)
ELEMENTWISE = ("exp", "log", "sigmoid", "tanh", "sin", "cos", "sqrt", "abs", "softplus", "sign")
TEX_FN = {"exp": r"\exp", "log": r"\log", "sigmoid": r"\sigma", "tanh": r"\tanh", "softmax": r"\operatorname{softmax}",
          "sin": r"\sin", "cos": r"\cos", "softplus": r"\operatorname{softplus}", "sign": r"\operatorname{sign}",
          "logsumexp": r"\operatorname{logsumexp}", "trace": r"\operatorname{tr}", "det": r"\det",
          "diag": r"\operatorname{diag}"}
# names SymPy's sympify reads as something else; JSON writes them as SymPy spells them
PY_NAMES = {"lambda": "lamda"}


class Node:
    shape: tuple[sp.Expr, sp.Expr]

    @property
    def is_scalar(self) -> bool:
        return self.shape == SCALAR

    @property
    def is_vector(self) -> bool:
        return self.shape[1] == ONE and self.shape[0] != ONE

    def __str__(self) -> str:  # as JSON writes it: solgen's grammar, lambda spelled lamda
        return text(self, py_names=True)

    def _latex(self, printer: Any = None) -> str:  # SymPy's printers call this on foreign objects
        return latex(self)

    def atoms_named(self) -> set[str]:
        out: set[str] = set()
        _walk_names(self, out)
        return out


@record
class Sym(Node):
    """A declared name: the variable, a constant, a size used as a scalar, or ``dw``."""

    name: str
    shape: tuple[sp.Expr, sp.Expr]
    kind: str = "const"  # var | const | size | dvar | index


@record
class Num(Node):
    value: sp.Rational
    shape: tuple[sp.Expr, sp.Expr] = SCALAR
    decimal: bool = False  # written as a decimal (0.1): printed as one, as a TA keeps it


@record
class Ones(Node):
    shape: tuple[sp.Expr, sp.Expr]


@record
class Ident(Node):
    shape: tuple[sp.Expr, sp.Expr]


@record
class Add(Node):
    terms: tuple[Node, ...]
    shape: tuple[sp.Expr, sp.Expr]


@record
class Mul(Node):
    """A product: scalar factors (1x1) commute and are printed first; the others are a chain."""

    factors: tuple[Node, ...]
    shape: tuple[sp.Expr, sp.Expr]


@record
class Pow(Node):
    base: Node  # a scalar
    exp: sp.Rational
    shape: tuple[sp.Expr, sp.Expr] = SCALAR


@record
class T(Node):
    arg: Node
    shape: tuple[sp.Expr, sp.Expr]


@record
class Call(Node):
    """exp, log, sigmoid, tanh (entrywise), softmax, logsumexp, norm, trace, det, inv, diag."""

    fn: str
    arg: Node
    shape: tuple[sp.Expr, sp.Expr]


@record
class Had(Node):
    """The entrywise (Hadamard) product."""

    a: Node
    b: Node
    shape: tuple[sp.Expr, sp.Expr]


@record
class Ref(Node):
    """A function of the file used by name (``p`` in ``J``): printed as its name, differentiated
    through its definition."""

    name: str
    body: Node
    shape: tuple[sp.Expr, sp.Expr]


@record
class D(Node):
    """The differential d(arg), not yet worked out: the middle of a step."""

    arg: Node
    shape: tuple[sp.Expr, sp.Expr]


@record
class Grad(Node):
    """The gradient (``jacobian`` False: the shape of ``var``) or the Jacobian (rows are the
    entries of ``arg``) of ``arg`` by ``var``, read at ``var = at`` when ``at`` is given: the
    left side of a displayed answer (``\\nabla_w L(w) = ...``), never derived from."""

    arg: Node
    var: Node
    shape: tuple[sp.Expr, sp.Expr]
    jacobian: bool = False
    at: Node | None = None


@record
class Sum(Node):
    index: str
    lo: sp.Expr
    hi: sp.Expr
    body: Node
    shape: tuple[sp.Expr, sp.Expr] = SCALAR


@record
class Index(Node):
    """``x[i]``: row i of a matrix as a column (``x`` the lower case of ``X``); ``y[i]``: entry i
    of a vector; ``(X w - y)[i]`` likewise for a vector expression."""

    base: Node
    index: str
    shape: tuple[sp.Expr, sp.Expr]
    lower: bool = False  # written x[i] for the rows of X


def _walk_names(node: Node, out: set[str]) -> None:
    if isinstance(node, Sym):
        out.add(node.name)
    for child in children(node):
        _walk_names(child, out)


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Add):
        return node.terms
    if isinstance(node, Mul):
        return node.factors
    if isinstance(node, (Pow,)):
        return (node.base,)
    if isinstance(node, (T, Call, D)):
        return (node.arg,)
    if isinstance(node, Grad):
        return (node.arg,) if node.at is None else (node.arg, node.at)
    if isinstance(node, Had):
        return (node.a, node.b)
    if isinstance(node, Sum):
        return (node.body,)
    if isinstance(node, Index):
        return (node.base,)
    return ()


def size_text(size: sp.Expr) -> str:
    return str(size)


def shape_text(shape: tuple[sp.Expr, sp.Expr]) -> str:
    """``m x d``, ``R^m`` style words for errors: a vector is ``m``, a scalar ``1 x 1``."""
    r, c = shape
    if c == ONE and r != ONE:
        return f"a vector in R^{size_text(r)}"
    if shape == SCALAR:
        return "a scalar"
    return f"{size_text(r)}\u00d7{size_text(c)}"


# -- printing ----------------------------------------------------------------------------

PREC_ADD, PREC_MUL, PREC_NEG, PREC_POW, PREC_ATOM = 1, 2, 2, 4, 5


def _prec(node: Node) -> int:
    if isinstance(node, Add):
        return PREC_ADD
    if isinstance(node, Mul):
        return PREC_MUL
    if isinstance(node, Num):
        return PREC_ATOM if node.value >= 0 and node.value.is_Integer else PREC_MUL
    if isinstance(node, Had):
        return PREC_MUL
    if isinstance(node, Sum):
        return PREC_MUL
    if isinstance(node, Pow):
        return PREC_POW
    if isinstance(node, T):
        return PREC_POW
    if isinstance(node, Index) and not isinstance(node.base, Sym):
        return PREC_POW  # ((X w - y)_i)^2
    if isinstance(node, Call) and node.fn == "inv":
        return PREC_POW  # (A^{-1})^T: one superscript at a time
    return PREC_ATOM


def split_coeff(node: Mul) -> tuple[sp.Rational, list[Node]]:
    coeff, rest = sp.Integer(1), []
    for f in node.factors:
        if isinstance(f, Num):
            coeff *= f.value
        else:
            rest.append(f)
    return coeff, rest


class _Printer:
    """One printer, two dialects: ``tex`` (LaTeX) or not (solgen's grammar)."""

    def __init__(self, tex: bool, py_names: bool = False):
        self.tex, self.py_names = tex, py_names

    def name(self, name: str) -> str:
        if not self.tex:
            return PY_NAMES.get(name, name) if self.py_names else name
        return sp.latex(sp.Symbol(name))

    def wrap(self, node: Node, limit: int) -> str:
        s = self.p(node)
        if _prec(node) < limit and (self.tex or not isinstance(node, Call)):  # inv(A) is an atom in the grammar
            return f"({s})" if not self.tex or "\\frac" not in s else f"\\left({s}\\right)"
        return s

    def num(self, v: sp.Rational, decimal: bool = False) -> str:
        if v.is_Integer:
            return str(v)
        if decimal and _terminates(v.q):
            return _decimal_text(v)
        if self.tex:
            sign = "-" if v < 0 else ""
            return f"{sign}\\frac{{{abs(v.p)}}}{{{v.q}}}"
        return f"{v.p}/{v.q}"

    def fraction(self, node: Mul) -> str:
        """LaTeX of a product with negative powers: the scalars over the denominators, then the
        vectors and matrices: \\frac{2}{m} X^T r, \\frac{y_i e^{u}}{1 + e^{u}} x_i."""
        coeff, rest = split_coeff(node)
        dens = [f for f in rest if isinstance(f, Pow) and f.exp < 0]
        nums = [f for f in rest if f.is_scalar and f not in dens]
        chain = [f for f in rest if not f.is_scalar]
        top = ([self.num(abs(coeff))] if abs(coeff) != 1 or not nums else []) + \
            [self.wrap(f, PREC_MUL + 1 if len(nums) > 1 else PREC_MUL) for f in nums]
        bottom = [self.wrap(Pow(f.base, -f.exp) if f.exp != -1 else f.base, PREC_MUL + 1 if len(dens) > 1 else PREC_ADD)
                  for f in dens]
        frac = f"\\frac{{{' '.join(top)}}}{{{' '.join(bottom)}}}"
        parts = [frac]
        for f in chain:
            piece = self.wrap(f, PREC_MUL + 1)
            if isinstance(f, D) or (isinstance(f, Sym) and f.kind == "dvar"):
                piece = "\\, " + piece
            parts.append(piece)
        return ("-" if coeff < 0 else "") + " ".join(parts)

    def p(self, node: Node) -> str:  # noqa: C901 - one branch per node type
        tex = self.tex
        if isinstance(node, Sym):
            if node.kind == "dvar":
                base = node.name[1:]
                return f"d{self.name(base)}" if tex else f"d{self.name(base)}"
            return self.name(node.name)
        if isinstance(node, Num):
            return self.num(node.value, node.decimal)
        if isinstance(node, Ones):
            return r"\mathbf{1}" if tex else f"ones({size_text(node.shape[0])})"
        if isinstance(node, Ident):
            return "I" if tex else f"eye({size_text(node.shape[0])})"
        if isinstance(node, Ref):
            return self.name(node.name)
        if isinstance(node, Add):
            out = ""
            for i, t in enumerate(node.terms):
                s = "1" if isinstance(t, Ones) else "I" if isinstance(t, Ident) else self.wrap(t, PREC_ADD + 1) if isinstance(t, Add) else self.p(t)
                if i == 0:
                    out = s
                elif s.startswith("-"):
                    out += " - " + s[1:]
                else:
                    out += " + " + s
            return out
        if isinstance(node, Mul):
            if tex and any(isinstance(f, Pow) and f.exp < 0 and not (f.exp == -1 and isinstance(f.base, Sym))
                           for f in node.factors):  # 2/m stays \frac{2}{m} X^T r; 1/(1 + e^u) goes under a bar
                return self.fraction(node)
            coeff, rest = split_coeff(node)
            dens = [f.base for f in rest if isinstance(f, Pow) and f.exp == -1 and isinstance(f.base, Sym)]
            if not coeff.is_Integer:
                dens = []
            rest = [f for f in rest if not (isinstance(f, Pow) and f.exp == -1 and f.base in dens)]
            parts = []
            for i, f in enumerate(rest):
                piece = self.wrap(f, PREC_MUL + 1 if len(rest) > 1 else PREC_MUL)
                if tex and i and (isinstance(f, D) or (isinstance(f, Sym) and f.kind == "dvar")):
                    piece = "\\, " + piece  # X \, dw: the differential set apart
                parts.append(piece)
            body = " ".join(parts)
            if dens:  # 2/m X^T r, \frac{2}{m} X^T r: the number over the sizes
                den = " ".join(self.p(x) for x in dens)
                sign, c = ("-" if coeff < 0 else ""), abs(coeff)
                frac = f"{sign}\\frac{{{c}}}{{{den}}}" if tex else f"{sign}{c}/{den if len(dens) == 1 else '(' + den + ')'}"
                return f"{frac} {body}" if body else frac
            if coeff == 1:
                return body
            if coeff == -1:
                return "-" + body
            c = self.num(coeff, any(isinstance(f, Num) and f.decimal for f in node.factors))
            return f"{c} {body}" if body else c
        if isinstance(node, Pow):
            if node.exp == -1 and tex:
                return f"\\frac{{1}}{{{self.p(node.base)}}}"
            e = self.num(node.exp)
            base = self.wrap(node.base, PREC_POW + 1)
            if tex:
                return f"{base}^{{{e}}}" if len(e) > 1 else f"{base}^{e}"
            return f"{base}^{e}" if node.exp > 0 and node.exp.is_Integer else f"{base}^({e})"
        if isinstance(node, T):
            if tex and isinstance(node.arg, Call) and node.arg.fn == "inv":  # (A^{-1})^T as a TA writes it: A^{-T}
                return f"{self.wrap(node.arg.arg, PREC_POW + 1)}^{{-T}}"
            base = self.wrap(node.arg, PREC_POW + 1)
            return f"{base}^T"
        if isinstance(node, Call):
            arg = self.p(node.arg)
            if node.fn == "norm":
                return f"\\|{arg}\\|" if tex else f"norm({arg})"
            if node.fn == "inv":
                return f"{self.wrap(node.arg, PREC_POW + 1)}^{{-1}}" if tex else f"inv({arg})"
            if tex and node.fn == "sqrt":
                return f"\\sqrt{{{arg}}}"
            if tex and node.fn == "abs":
                return f"\\lvert {arg} \\rvert"
            if tex:
                return f"{TEX_FN[node.fn]}({arg})"
            return f"{node.fn}({arg})"
        if isinstance(node, Had):
            if tex:
                return f"{self.wrap(node.a, PREC_MUL + 1)} \\odot {self.wrap(node.b, PREC_MUL + 1)}"
            return f"hadamard({self.p(node.a)}, {self.p(node.b)})"
        if isinstance(node, D):
            if isinstance(node.arg, (Sym, Ref)):
                return f"d{self.name(node.arg.name)}"
            return f"d({self.p(node.arg)})"
        if isinstance(node, Grad):
            head = ("J" if tex else "jacobian") if node.jacobian else ("\\nabla" if tex else "grad")
            at = "" if node.at is None else (f"({self.p(node.at)})" if tex else f", {self.p(node.at)}")
            if tex:
                return f"{head}_{{{self.p(node.var)}}} {self.wrap(node.arg, PREC_ATOM)}{at}"
            return f"{head}({self.p(node.arg)}, {self.p(node.var)}{at})"
        if isinstance(node, Sum):
            if tex:
                return f"\\sum_{{{node.index}=1}}^{{{self.name(str(node.hi))}}} {self.wrap(node.body, PREC_MUL)}"
            return f"sum({node.index}, {node.lo}, {self.name(str(node.hi))}, {self.p(node.body)})"
        if isinstance(node, Index):
            if isinstance(node.base, Sym):
                name = node.base.name.lower() if node.lower else node.base.name
                return f"{self.name(name)}_{node.index}" if tex else f"{self.name(name)}[{node.index}]"
            base = self.wrap(node.base, PREC_ATOM)
            return f"{base}_{node.index}" if tex else f"({self.p(node.base)})[{node.index}]"
        raise TypeError(type(node).__name__)


def _terminates(q: int) -> bool:
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    return q == 1


def _decimal_text(v: sp.Rational) -> str:
    """0.2 for 1/5: the exact decimal of a rational whose denominator is 2^a 5^b."""
    with localcontext() as ctx:
        ctx.prec = 60
        return format(Decimal(int(v.p)) / Decimal(int(v.q)), "f")


_TEX, _TEXT, _PY = _Printer(True), _Printer(False), _Printer(False, py_names=True)


def latex(node: Node) -> str:
    return _TEX.p(node)


def text(node: Node, py_names: bool = False) -> str:
    """``node`` in solgen's grammar; ``py_names``: ``lambda`` written ``lamda`` (for JSON)."""
    return (_PY if py_names else _TEXT).p(node)
