"""Property tests for the derivative engine: random expressions, every step checked.

Two generators feed the properties:

* ``sympy_exprs`` builds expressions with SymPy constructors (our own generated
  expressions, so SymPy is fine here), depth <= 4, over x1, x2, x3 (real symbols);
* ``text_exprs`` builds expression *text* in the problem-file grammar and sends it
  through ``parse_expression``, so unevaluated sums and undistributed products (what
  real problems produce) are exercised too.

Families covered: + - * /, integer / rational / negative powers (exponents in
[-4, 5]), symbolic exponents (x1**x2, f**g), sqrt and cube roots, exp, 2**f and 3**f,
log, the six trig functions, asin acos atan acot, sinh cosh tanh, asinh atanh, Abs,
erf, products of 3+ factors and chains nested three deep.

Properties (one test each, for each generator):

1. every node of the step tree verifies against ``sympy.diff``;
2. the root result equals ``sympy.diff(expr, var)``;
3. no ``FallbackRule`` anywhere in the tree;
4. house LaTeX of every node's expr and result prints, with no ``\\left(..\\right)``
   around a bare atom;
5. results are clean: no multiplication by 1, no exponent 1, no "+ -", and a result
   that is a sum has no zero terms.

Generated cases where SymPy itself cannot differentiate (raises, or answers with an
unevaluated ``Derivative``/``Subs``), or where the expression is constant or
contains nan/zoo/oo, are skipped with ``assume``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from solgen.derive.check import equal, verify
from solgen.derive.diff import diff_steps
from solgen.parse import ParseError, parse_expression
from solgen.texmath import latex

X1, X2, X3 = (sp.Symbol(name, real=True) for name in ("x1", "x2", "x3"))
VARIABLES = (X1, X2, X3)
SYMBOLS = {s.name: s for s in VARIABLES}

MAX_DEPTH = 4

# Families temporarily left out of the generators because of a known solgen bug; each
# entry names the bug and has a strict xfail example test below. Empty = everything.
KNOWN_BUG_FAMILIES: frozenset[str] = frozenset()

# -- SymPy-constructor generator -----------------------------------------------------------

UNARY_FUNCS: dict[str, object] = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "cbrt": sp.cbrt,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "sec": sp.sec,
    "csc": sp.csc,
    "cot": sp.cot,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "acot": sp.acot,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "asinh": sp.asinh,
    "atanh": sp.atanh,
    "abs": sp.Abs,
    "erf": sp.erf,
    "exp2": lambda u: sp.Pow(2, u),
    "exp3": lambda u: sp.Pow(3, u),
}

# Constant exponents, all in [-4, 5]: integers, negatives, roots and other rationals.
CONST_EXPONENTS = [
    sp.Integer(n) for n in (-4, -3, -2, -1, 2, 3, 4, 5)
] + [sp.Rational(p, q) for p, q in ((1, 2), (1, 3), (-1, 2), (-1, 3), (3, 2), (2, 3), (-3, 2), (5, 2), (-4, 3))]

NUMBERS = [sp.Integer(n) for n in (1, 2, 3, 5, -1, -2)] + [sp.Rational(1, 2), sp.Rational(-3, 4), sp.Rational(5, 3)]


def _allowed(names):
    return sorted(n for n in names if n not in KNOWN_BUG_FAMILIES)


sym_leaf = st.sampled_from(VARIABLES)
num_leaf = st.sampled_from(NUMBERS)
leaf = st.one_of(sym_leaf, sym_leaf, num_leaf)  # symbols twice as likely as numbers
unary_func = st.sampled_from(_allowed(UNARY_FUNCS)).map(UNARY_FUNCS.__getitem__)


def _chain3(f, g, h, a):
    return f(g(h(a)))


@lru_cache(maxsize=None)
def sympy_exprs(depth: int = MAX_DEPTH) -> st.SearchStrategy[sp.Expr]:
    """A SymPy expression of nesting depth <= ``depth``."""
    if depth == 0:
        return leaf
    sub = sympy_exprs(depth - 1)
    families = {
        "add": st.builds(lambda a, b: a + b, sub, sub),
        "sub": st.builds(lambda a, b: a - b, sub, sub),
        "mul": st.builds(lambda a, b: a * b, sub, sub),
        "div": st.builds(lambda a, b: a / b, sub, sub),
        "const_pow": st.builds(sp.Pow, sub, st.sampled_from(CONST_EXPONENTS)),
        "sym_pow": st.builds(sp.Pow, sub, sub),  # x1**x2, f(x)**g(x)
        "unary": st.builds(lambda f, a: f(a), unary_func, sub),
        "product3": st.lists(sub, min_size=3, max_size=4).map(lambda fs: sp.Mul(*fs)),
        "neg": st.builds(lambda a: -a, sub),
    }
    if depth >= 3:
        deep = sympy_exprs(depth - 3)
        families["chain3"] = st.builds(_chain3, unary_func, unary_func, unary_func, deep)
    return st.one_of(leaf, *(families[k] for k in _allowed(families)))


# -- text generator ----------------------------------------------------------------------

TEXT_FUNCS = [
    "exp", "log", "sqrt", "sin", "cos", "tan", "sec", "csc", "cot", "asin", "acos", "atan", "acot",
    "sinh", "cosh", "tanh", "asinh", "atanh", "abs", "erf",
]
TEXT_EXPONENTS = ["2", "3", "4", "5", "-1", "-2", "-3", "-4", "(1/2)", "(1/3)", "(-1/2)", "(3/2)", "(2/3)", "0.5", "(-4/3)"]
TEXT_NUMBERS = ["1", "2", "3", "5", "0.5", "1.5"]
_ATOM_RE = re.compile(r"[A-Za-z0-9.]+\Z")

text_sym = st.sampled_from(["x1", "x2", "x3"])
text_leaf = st.one_of(text_sym, text_sym, st.sampled_from(TEXT_NUMBERS))
text_func = st.sampled_from([f for f in TEXT_FUNCS if f not in KNOWN_BUG_FAMILIES])
pow_op = st.sampled_from(["^", "**"])


def _p(s: str) -> str:
    """Parenthesise ``s`` unless it is a bare name or number."""
    return s if _ATOM_RE.match(s) else f"({s})"


@lru_cache(maxsize=None)
def text_exprs(depth: int = MAX_DEPTH) -> st.SearchStrategy[str]:
    """Expression text of nesting depth <= ``depth`` in the problem-file grammar."""
    if depth == 0:
        return text_leaf
    sub = text_exprs(depth - 1)
    families = {
        "add": st.builds(lambda a, b: f"{a} + {_p(b)}", sub, sub),
        "sub": st.builds(lambda a, b: f"{a} - {_p(b)}", sub, sub),
        "mul": st.builds(lambda a, b: f"{_p(a)}*{_p(b)}", sub, sub),
        "div": st.builds(lambda a, b: f"{_p(a)}/{_p(b)}", sub, sub),
        "const_pow": st.builds(lambda a, op, n: f"{_p(a)}{op}{n}", sub, pow_op, st.sampled_from(TEXT_EXPONENTS)),
        "sym_pow": st.builds(lambda a, op, b: f"{_p(a)}{op}{_p(b)}", sub, pow_op, sub),
        "exp_base": st.builds(lambda n, op, a: f"{n}{op}{_p(a)}", st.sampled_from(["2", "3"]), pow_op, sub),
        "unary": st.builds(lambda f, a: f"{f}({a})", text_func, sub),
        "product3": st.lists(sub, min_size=3, max_size=4).map(lambda fs: "*".join(_p(f) for f in fs)),
        "neg": st.builds(lambda a: f"-{_p(a)}", sub),
        "implicit": st.builds(lambda n, a: f"{n}{_p(a)}" if not a[0].isdigit() else f"{n}*{_p(a)}",
                              st.sampled_from(["2", "3"]), sub),  # 2x1, 3(x1 + x2)
    }
    if depth >= 3:
        deep = text_exprs(depth - 3)
        families["chain3"] = st.builds(lambda f, g, h, a: f"{f}({g}({h}({a})))", text_func, text_func, text_func, deep)
    return st.one_of(text_leaf, *(families[k] for k in _allowed(families)))


# -- cases: (expr, var, sympy's derivative) --------------------------------------------------

_BAD = (sp.nan, sp.zoo, sp.oo, -sp.oo)


def _usable(expr: sp.Expr) -> bool:
    evaluated = expr.doit()  # re-evaluates the parser's unevaluated sums: x1 - x1 -> 0
    return not evaluated.has(*_BAD) and bool(evaluated.free_symbols & set(VARIABLES))


def _reference(expr: sp.Expr, var: sp.Symbol) -> sp.Expr:
    """``sympy.diff(expr, var)``, or reject the case when SymPy cannot do it."""
    try:
        d = sp.diff(expr, var)
    except Exception:  # noqa: BLE001 - any SymPy failure means "skip this case"
        assume(False)
        raise  # unreachable
    assume(not d.has(*_BAD, sp.Derivative, sp.Subs))
    return d


@st.composite
def sympy_cases(draw):
    expr = draw(sympy_exprs())
    assume(isinstance(expr, sp.Expr) and _usable(expr))
    var = draw(st.sampled_from(sorted(expr.free_symbols & set(VARIABLES), key=str)))
    return expr, var, _reference(expr, var)


@st.composite
def text_cases(draw):
    text = draw(text_exprs())
    try:
        expr = parse_expression(text, SYMBOLS)
    except ParseError as err:
        # The generator only writes valid text, but constant sub-expressions such as
        # (3^5)^(2^3) can exceed the parser's size budgets, which is correct refusal.
        assume("too large" not in str(err))
        raise
    assume(_usable(expr))
    var = draw(st.sampled_from(sorted(expr.free_symbols & set(VARIABLES), key=str)))
    return expr, var, _reference(expr, var)


cases = st.one_of(sympy_cases(), text_cases())

# -- checks shared by the property tests and the explicit examples ----------------------------

_BARE_ATOM_IN_LEFT = re.compile(
    r"\\left\(\s*(?:-?\d+(?:\.\d+)?|[A-Za-z](?:_\{?[A-Za-z0-9]+\}?)?|\\[A-Za-z]+)\s*\\right\)"
)
_TIMES_ONE = re.compile(r"(?<![\w.])1\*(?!\*)")  # a factor 1: "1*x1", not "x1*x2" or "21*x"
_POWER_ONE = re.compile(r"\*\*1(?![\d./])")  # "x**1)", "x**1 ", "x**1" at the end
_POWER_ONE_PAREN = re.compile(r"\*\*\(1\)")


def tree_of(expr: sp.Expr, var: sp.Symbol):
    return diff_steps(expr, var, variables=VARIABLES)


def describe(node) -> str:
    return (
        f"{type(node).__name__}: d/d{node.var} [{node.expr}]\n"
        f"  result   = {node.result}\n  expected = {sp.diff(node.expr, node.var)}"
    )


def latex_problems(tree) -> list[str]:
    out = []
    for node in tree.walk():
        for what in ("expr", "result"):
            tex = latex(getattr(node, what))
            assert isinstance(tex, str) and tex
            m = _BARE_ATOM_IN_LEFT.search(tex)
            if m:
                out.append(f"{type(node).__name__}.{what}: {m.group(0)!r} in {tex}")
    return out


def cleanliness_problems(tree) -> list[str]:
    out = []
    for node in tree.walk():
        result = node.result
        text = str(result)
        where = f"{type(node).__name__} d/d{node.var} [{node.expr}] -> {text}"
        if _TIMES_ONE.search(text):
            out.append(f"factor 1: {where}")
        if _POWER_ONE.search(text) or _POWER_ONE_PAREN.search(text):
            out.append(f"exponent 1: {where}")
        if "+ -" in text:
            out.append(f"'+ -': {where}")
        if isinstance(result, sp.Add) and any(arg == 0 for arg in result.args):
            out.append(f"zero term: {where}")
    return out


# -- properties ------------------------------------------------------------------------------

COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@settings(max_examples=1500, **COMMON)
@given(cases)
def test_every_node_verifies(case):
    expr, var, _ = case
    tree = tree_of(expr, var)
    bad = verify(tree)
    assert bad == [], "\n".join(describe(node) for node in bad)


@settings(max_examples=500, **COMMON)
@given(cases)
def test_root_equals_sympy_diff(case):
    expr, var, expected = case
    tree = tree_of(expr, var)
    assert equal(tree.result, expected), f"d/d{var} [{expr}]: got {tree.result}, expected {expected}"


@settings(max_examples=500, **COMMON)
@given(cases)
def test_no_fallback(case):
    expr, var, _ = case
    tree = tree_of(expr, var)
    fallbacks = [f"d/d{n.var} [{n.expr}]" for n in tree.walk() if type(n).__name__ == "FallbackRule"]
    assert not tree.contains_fallback(), f"FallbackRule at {fallbacks}"


@settings(max_examples=500, **COMMON)
@given(cases)
def test_latex_prints_without_left_around_atoms(case):
    expr, var, _ = case
    problems = latex_problems(tree_of(expr, var))
    assert problems == [], "\n".join(problems)


@settings(max_examples=500, **COMMON)
@given(cases)
def test_results_are_clean(case):
    expr, var, _ = case
    problems = cleanliness_problems(tree_of(expr, var))
    assert problems == [], "\n".join(problems)
