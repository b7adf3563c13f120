"""Fuzzing the parsers: random text never fails with anything but solgen's own error.

Problem files are untrusted, so whatever text reaches them, the only failures a user may
see are solgen's own errors, which the CLI prints as ``FILE:LINE: error: message``
(``solgen/cli.py`` ``_work`` treats ``SpecError``, ``DeriveError`` and ``BuildError`` as
user errors; anything else is an "internal error").

Properties:

1. ``parse_expression(text, symbols, functions, constants)`` returns a ``sympy.Expr``
   with no nan or infinity in it, or raises ``ParseError`` whose ``column`` is None or
   lies in the text; never another exception, never a hang. Text comes from arbitrary
   Unicode; from an alphabet aimed at the parser's deep paths (digits, names, operators,
   Unicode lookalikes); from token lists (function names, budget-testing numbers such as
   ``9^9^9``, ``10**10**10`` and 13-digit strings) joined by random separators; and from
   a grammar that builds nearly valid expressions, then damages some of them.
   ``parse_number`` (``at`` and ``directions`` entries) likewise: a Rational or ParseError.
2. ``parse_problem(text, path)`` returns a ``Problem`` or raises ``SpecError`` whose
   ``line`` is None or a line of the file (as editors count lines: what ``FILE:LINE``
   must point at). Inputs: random YAML-ish text, and the files in problems/ (plus one
   that uses every key) mutated by character, word and line insertions, deletions and
   replacements. ``load_problem`` on random bytes likewise.
3. A problem that loads (a mutated one, or one built around two small grammar
   expressions that asks for every kind of part) is derived with ``solve``: it succeeds
   or raises ``DeriveError``. Its subclass ``CheckError`` is accepted there (the CLI prints
   it as a plain error; for a function with no real values it is the right answer); the
   kinds of input that used to reach it are now refused at load (REFUSED_AT_LOAD).

Each example runs under a SIGALRM limit (EXAMPLE_SECONDS, or SOLVE_SECONDS for ``solve``)
that raises a BaseException, so no ``except Exception`` can swallow it: a hang fails
the test. Examples are the same on every run (conftest's derandomized profile);
``SOLGEN_HYPOTHESIS=explore`` searches new ones. Inputs that once failed are kept:
EXPRESSION_REGRESSIONS, SPEC_LINE_REGRESSIONS and ``@example``s. Run with
``--hypothesis-show-statistics`` to see how often each outcome occurs.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import traceback
from pathlib import Path

import pytest
from conftest import TookTooLong, time_limit
import sympy as sp
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from solgen.derive.calculus import DeriveError, solve
from solgen.input.expr import ParseError, parse_expression, parse_number
from solgen.input.problem import ASKS, PART_KEYS, TOP_KEYS, Problem, SpecError, load_problem, parse_problem

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_SECONDS = 5  # parsing one example
SOLVE_SECONDS = 10  # deriving one small problem (the CLI allows 20 s per file); room for a busy machine

X1, X2, X3 = (sp.Symbol(name, real=True) for name in ("x1", "x2", "x3"))
X, Y = sp.Symbol("x", real=True), sp.Symbol("y", positive=True)

# (symbols, functions, constants) as spec.py passes them; constants=None refuses unknown names.
CONTEXTS = [
    ({"x1": X1, "x2": X2, "x3": X3}, None, None),
    ({"x1": X1, "x2": X2}, {"f": X1**2 + X2}, {}),
    ({"x": X, "y": Y}, {"g": sp.sin(X) * Y}, {}),
]


# -- running one example ---------------------------------------------------------------------


def _tally(outcome: str) -> None:
    """Count outcomes (shown by --hypothesis-show-statistics), inside Hypothesis tests only."""
    if currently_in_test_context():
        event(outcome)


def _run(what: str, call, allowed: type[Exception], seconds: int = EXAMPLE_SECONDS):
    """``(call(), None)`` or ``(None, error)`` for an ``allowed`` error; anything else (or
    more than ``seconds``) fails the test. The failure is raised outside the
    ``except`` block with a short traceback, so a long exception chain from deep inside
    SymPy cannot trip up Hypothesis's reporting."""
    try:
        with time_limit(seconds):
            return call(), None
    except allowed as exc:
        return None, exc
    except TookTooLong:
        problem = f"took more than {seconds} s"
    except Exception as exc:  # noqa: BLE001 - the point of the test
        tail = "".join(traceback.format_exception(exc, limit=-6, chain=False))
        problem = f"raised {type(exc).__name__}: {str(exc)[:300]}\n{tail}"
    raise AssertionError(f"{what} {problem}")


# -- expression text strategies --------------------------------------------------------------

FUNCTION_NAMES = ["sin", "cos", "tan", "exp", "log", "ln", "sqrt", "abs", "Abs", "atanh", "acos", "asec",
                  "acot", "cot", "csc", "erf", "sigmoid", "cosh", "arcsin"]
LOOKALIKES = ["\u2212", "\u00b7", "\u00d7", "\u22c5", "\u0445", "\u200b", "\u00a0", "\u2009", "\ufeff",
              "\u202e", "\uff11", "\u0661", "\u00b2", "\u0435", "\x00", "\n", "\t", "\r"]
CHARS = list("0123456789.exyEXY_abcz +-*/^(),") + ["**", "x1", "x2", "x3", "pi", " "] + LOOKALIKES
BUDGET_NUMBERS = ["9^9^9", "10**10**10", "2^2^2^2^2", "1" * 13, "9" * 12, "0" * 30 + "1", "1." + "0" * 40 + "1",
                  "999999^100", "1000001^2", "(1/0)", "(0/0)", "0^-1", "e^e^e^e", "pi^100", "100", "101",
                  "-101", "1/3", "0.5", "123456789012"]
TOKENS = CHARS + FUNCTION_NAMES + BUDGET_NUMBERS + ["f", "g", "a", "b_1", "x_1", "x1_", "x__1", "e1", "1e5", "2x",
                                                   "3x1", "2(", "sin(", "exp(exp(", ")^", "^-", "--", "+-"]
SEPARATORS = ["", " ", "  ", "\t", "*", "+", "^", ",", "(", ")", "\u00a0", "\u2212"]

arbitrary_text = st.text(max_size=80)
alphabet_text = st.text(alphabet=st.sampled_from([c for c in CHARS if len(c) == 1]), max_size=60)
char_lists = st.lists(st.sampled_from(CHARS + FUNCTION_NAMES), max_size=40).map("".join)
token_lists = st.builds(
    lambda sep, toks: sep.join(toks), st.sampled_from(SEPARATORS), st.lists(st.sampled_from(TOKENS), max_size=30)
)

# Nearly valid expressions, so the parser gets past tokenizing and into powers, calls and
# the budget checks; then, sometimes, one character is inserted, deleted or replaced.
NAMES = st.sampled_from(["x1", "x2", "x3", "x", "y", "e", "pi", "E", "a", "f", "g", "x4", "x_1"])
leaf_text = st.one_of(
    NAMES,
    NAMES,
    st.sampled_from(BUDGET_NUMBERS),
    st.integers(min_value=0, max_value=10**15).map(str),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False).map(str),
)


def _combine(children: st.SearchStrategy[str], wrong_arity: bool = True) -> st.SearchStrategy[str]:
    ops = st.sampled_from(["+", "-", "*", "/", "^", "**", " ", ""])
    forms = [
        st.builds(lambda a, op, b: f"{a}{op}{b}", children, ops, children),
        st.builds(lambda a, op, b: f"{a}{op}{b}", children, ops, children),
        st.builds(lambda f, a: f"{f}({a})", st.sampled_from(FUNCTION_NAMES), children),
        st.builds(lambda a: f"({a})", children),
        st.builds(lambda s, a: f"{s}{a}", st.sampled_from(["-", "+", "--", "\u2212"]), children),
    ]
    if wrong_arity:  # every function takes one argument
        forms.append(st.builds(lambda f, a, b: f"{f}({a}, {b})", st.sampled_from(FUNCTION_NAMES), children, children))
    return st.one_of(*forms)


grammar_text = st.recursive(leaf_text, _combine, max_leaves=25)


@st.composite
def damaged(draw, base: st.SearchStrategy[str]) -> str:
    text = draw(base)
    for _ in range(draw(st.integers(0, 2))):
        i = draw(st.integers(0, len(text)))
        what = draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = draw(st.sampled_from(TOKENS))
        if what == "insert":
            text = text[:i] + piece + text[i:]
        elif what == "delete":
            text = text[:i] + text[i + 1:]
        else:
            text = text[:i] + piece + text[i + 1:]
    return text

# Inputs that once failed with something other than ParseError (or hung): kept for ever.
EXPRESSION_REGRESSIONS = [
    "2^(0/0)",  # TypeError: Invalid NaN comparison (exponent nan)
    "(0/0)^2",  # the same, base nan
    "x1^(0/0)",
    "(0/0)^x1",
    "sin(1/0)^2",  # nan from a function of zoo
    "2^sin(exp(exp(99)))",  # evaluating the constant exponent hung (sin of e^(10^43))
    "abs(sin(exp(exp(99))))",  # the same hang inside SymPy's Abs (deciding the sign)
    "sin(exp(exp(99)))+1",
    "exp(exp(exp(99)))+1",  # hung: a value with a 10^43-digit exponent
    "2^sinh(exp(exp(99)))",  # OverflowError: too many digits in integer
    "sin(sqrt(-1)*exp(exp(99)))+1",  # the same, sin(i y) = i sinh(y)
    "asin(0+0*x2)",  # ZeroDivisionError: SymPy's primitive() of an unevaluated 0 + 0
    "atan(0 + 0)",
    "tan(0*x1+0)",
    "acos((0/0)+x2)",  # parsed to acos(x2 + nan); deriving it: RecursionError in SymPy's assumptions
    "x1 + 1/0",  # parsed to x1 + zoo; deriving acos(x2 + 1/0): CheckError ("internal check failed")
    "x1 + log(0)",
    "x1 + atanh(1)",  # x1 + oo
]


def _check_expression(text: str, ctx) -> None:
    symbols, functions, constants = ctx
    constants = None if constants is None else dict(constants)
    result, exc = _run(
        f"parse_expression({text!r})",
        lambda: parse_expression(text, dict(symbols), dict(functions) if functions else None, constants),
        ParseError,
    )
    if exc is not None:
        _tally("ParseError")
        assert str(exc), f"{text!r}: ParseError without a message"
        col = exc.column
        assert col is None or (type(col) is int and 1 <= col <= len(text) + 1), f"{text!r}: column {col!r}"
        return
    _tally("parsed")
    assert isinstance(result, sp.Expr), f"{text!r} gave {type(result).__name__} {result!r}, not a sympy.Expr"
    assert not result.has(*UNDEFINED), f"{text!r} gave {result}: division by zero or log(0) should be a ParseError"


UNDEFINED = (sp.nan, sp.zoo, sp.oo, -sp.oo)
COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.mark.parametrize("text", EXPRESSION_REGRESSIONS)
@pytest.mark.parametrize("ctx", range(len(CONTEXTS)))
def test_expression_regressions(text, ctx):
    _check_expression(text, CONTEXTS[ctx])


@settings(max_examples=1000, **COMMON)
@given(st.one_of(arbitrary_text, alphabet_text), st.sampled_from(CONTEXTS))
def test_expression_random_characters(text, ctx):
    _check_expression(text, ctx)


@settings(max_examples=1000, **COMMON)
@given(st.one_of(char_lists, token_lists), st.sampled_from(CONTEXTS))
def test_expression_random_tokens(text, ctx):
    _check_expression(text, ctx)


@settings(max_examples=1000, **COMMON)
@given(st.one_of(grammar_text, damaged(grammar_text)), st.sampled_from(CONTEXTS))
@example("9^9^9", CONTEXTS[0])
@example("10**10**10", CONTEXTS[0])
@example("1" * 2000, CONTEXTS[0])
@example("1" * 2001, CONTEXTS[0])
@example("(" * 300 + "x1" + ")" * 300, CONTEXTS[0])
@example("-" * 1999 + "1", CONTEXTS[1])
@example("x1^" * 500 + "2", CONTEXTS[0])
@example("+".join(["x1"] * 600), CONTEXTS[0])
def test_expression_grammar(text, ctx):
    _check_expression(text, ctx)


number_like = st.one_of(
    st.integers(),
    st.floats(),
    st.booleans(),
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from(list("0123456789./-+ e\u2212\u00a0")), max_size=30),
    st.builds(lambda a, b: f"{a}/{b}", st.integers(-10**14, 10**14), st.integers(-1, 10**14)),
)


@settings(max_examples=500, **COMMON)
@given(number_like)
@example("1/0")
@example(float("nan"))
@example(10**13)
@example("0." + "0" * 5000 + "1")
def test_parse_number(value):
    """A point or direction entry (``at``, ``directions``): a Rational or ParseError."""
    result, exc = _run(f"parse_number({value!r})", lambda: parse_number(value), ParseError)
    if exc is None:
        assert isinstance(result, sp.Rational), f"{value!r} gave {result!r}"


# -- problem files ---------------------------------------------------------------------------

# Uses every top-level key, option and kind of part, so mutations reach every validator.
FULL_PROBLEM = """\
id: "t-1"
title: "Every key"
course: "C"
section: "S"
date: 2024-01-02
author: "A"
intro: "Intro text."
variables: [x1, x2]
assume: {x1: real, x2: positive}
options: {log: ln, detail: standard, simplify: none}
functions:
  f: "x1^2 + exp(x1*x2) + 2*log(x2) + a"
  g: ["x1*x2", "x1 + x2^2"]
  h: "f + 1/2*x1"
parts:
  - {id: a, ask: gradient, of: f, decimals: 3}
  - {id: b, ask: hessian, of: h, detail: answer}
  - {id: c, ask: jacobian, of: grad f}
  - {id: d, ask: jacobian, of: g, simplify: factor}
  - {id: e, ask: partial, of: f, order: [x1, x2]}
  - {id: f, ask: taylor, of: f, order: 1, at: {x1: 0, x2: "1/2"}}
  - {id: g, ask: directional, of: f, at: {x1: 1, x2: 1}, directions: {d1: [1, 1], d2: [-0.5, "1/2"]}}
  - {id: h, ask: evaluate, of: g, at: {x1: 1, x2: 2}}
  - id: i
    ask: text
    prompt: "Why?"
    answer: >-
      Because.
    notes: |
      Notes.
"""

BASE_PROBLEMS = [FULL_PROBLEM] + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "problems").glob("*.yaml"))]

KEYWORDS = list(TOP_KEYS) + list(PART_KEYS) + list(ASKS) + ["grad f", "grad g", "real", "positive", "ln", "factor",
                                                             "full", "x1", "x2", "f", "g"]
YAML_PIECES = [
    ":", ": ", "- ", "-", "{", "}", "[", "]", ",", "'", '"', "#", "&a ", "*a", "!!python/object:os.system ",
    "!!binary ", "!!set ", "!!float ", "!!int ", "? ", "|", ">", "---\n", "...\n", "%YAML 1.1\n", "\t", "\n", "\r",
    "  ", "\\", "\ufeff", "\x00", "\x85", "\u2028", "\u2029", "\ud7ff", "\x7f", "<<: ", "~", "null", "true", "no",
    "on", "1e999", ".nan", ".inf", "0x1F", "0o17", "1_000", "1:20:30", "2024-13-45", "9" * 40, "x3", "0/0", "1/0",
    "9^9^9", "sin(", "exp(exp(99))", "\u0445", "\u2212",
] + KEYWORDS


@st.composite
def mutated_problems(draw) -> str:
    text = draw(st.sampled_from(BASE_PROBLEMS))
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["insert", "delete", "replace", "dup_line", "del_line", "swap_lines", "word"]))
        if what in ("insert", "delete", "replace"):
            i = draw(st.integers(0, len(text)))
            piece = draw(st.one_of(st.sampled_from(YAML_PIECES), st.text(max_size=3)))
            if what == "insert":
                text = text[:i] + piece + text[i:]
            elif what == "delete":
                text = text[:i] + text[i + draw(st.integers(1, 8)):]
            else:
                text = text[:i] + piece + text[i + 1:]
        elif what == "word":
            # swap a known word for another (a key, an ask, a variable): past the YAML, into validation
            old = draw(st.sampled_from(KEYWORDS))
            new = draw(st.sampled_from(YAML_PIECES))
            text = text.replace(old, new, 1)
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if what == "dup_line":
                lines.insert(j, lines[i])
            elif what == "del_line":
                del lines[i]
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    return text


yaml_ish = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(list("abxyz0123456789:-{}[],'\"#&*!?|>%@`~ \t\n.=")), max_size=200),
    st.builds(lambda sep, toks: sep.join(toks), st.sampled_from(["", " ", "\n", "\n  ", ": ", ", "]),
              st.lists(st.sampled_from(YAML_PIECES), max_size=40)),
)

def _problem_with(f: str, g: str) -> str:
    """A problem that asks everything of a scalar f and a vector [f, g] (x1, x2)."""
    f, g = (json.dumps(t, ensure_ascii=False) for t in (f, g))
    return (
        'id: "p"\nvariables: [x1, x2]\nassume: {x2: positive}\n'
        f"functions:\n  f: {f}\n  v: [{f}, {g}]\n"
        "parts:\n"
        "  - {id: a, ask: gradient, of: f}\n"
        "  - {id: b, ask: hessian, of: f}\n"
        "  - {id: c, ask: jacobian, of: v}\n"
        "  - {id: d, ask: partial, of: f, order: [x2, x1]}\n"
        "  - {id: e, ask: taylor, of: f, order: 2, at: {x1: 1, x2: 1}}\n"
        "  - {id: g, ask: directional, of: f, at: {x1: 0, x2: 2}, directions: {d1: [1, -1]}}\n"
        "  - {id: h, ask: evaluate, of: v, at: {x1: '1/2', x2: 3}}\n"
    )


small_expressions = st.recursive(
    st.sampled_from(["x1", "x2", "x1", "x2", "a", "e", "pi", "0", "1", "2", "1/2", "0.5", "-1", "(1/0)", "(0/0)"]),
    lambda children: _combine(children, wrong_arity=False),
    max_leaves=6,
)
problems_from_grammar = st.builds(_problem_with, small_expressions, small_expressions)


def _file_lines(text: str) -> int:
    """Lines as an editor counts them (\\n, \\r\\n or \\r end a line)."""
    return len(re.findall(r"\r\n?|\n", text)) + 1


def _check_spec_error(exc: SpecError, text: str) -> None:
    """What the CLI shows: FILE:LINE: error: message, LINE a line of the file (or none)."""
    assert str(exc), "SpecError without a message"
    line = exc.line
    assert line is None or (type(line) is int and 1 <= line <= _file_lines(text)), (
        f"SpecError line {line!r} for a {_file_lines(text)}-line file: {exc}"
    )


def _load(text: str) -> Problem | None:
    problem, exc = _run(f"parse_problem({text!r})", lambda: parse_problem(text, "fuzz.yaml"), SpecError)
    if exc is not None:
        _tally("SpecError")
        _check_spec_error(exc, text)
        return None
    _tally("loaded")
    assert isinstance(problem, Problem)
    return problem


# (text, the line FILE:LINE must show): YAML also ends lines at U+0085, U+2028 and U+2029,
# which made solgen point past the end of the file.
SPEC_LINE_REGRESSIONS = [
    ("\x85\x85:", 1),
    ("a: 1\u2028b: [\n", 2),
    ("id: x\n\x85foo: 1", 2),
    ("id: x\r\ntitle: *a", 2),
    ("id: x\rtitle: *a", 2),
    ("id: x\u2029\u2029\ntitle: [1\n", 2),  # an unclosed [ is reported where it opens
]


@pytest.mark.parametrize(("text", "line"), SPEC_LINE_REGRESSIONS)
def test_spec_error_line_is_a_line_of_the_file(text, line):
    with pytest.raises(SpecError) as info:
        parse_problem(text, "fuzz.yaml")
    _check_spec_error(info.value, text)
    assert info.value.line == line, str(info.value)


@settings(max_examples=1000, **COMMON)
@given(yaml_ish)
@example("a: *b")
@example("!!python/object/apply:os.system ['true']")
@example("[" * 5000)
@example("- " * 2000 + "x")
@example("\ufeffid: x")
@example("!!float : 1")  # IndexError in PyYAML
@example("a: !!bool maybe")  # KeyError in PyYAML
@example("a: " + ":".join(["1"] * 200) + ".5")  # OverflowError in PyYAML: a YAML 1.1 base-60 float
def test_problem_random_text(text):
    _load(text)


@settings(max_examples=1000, **COMMON)
@given(mutated_problems())
def test_problem_mutated(text):
    _load(text)


@settings(max_examples=300, **COMMON)
@given(st.binary(max_size=300))
@example(b"\xff\xfe")
@example(b"id: \xe9")
def test_load_problem_random_bytes(data):
    fd, name = tempfile.mkstemp(suffix=".yaml")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        problem, exc = _run(f"load_problem() of {data!r}", lambda: load_problem(name), SpecError)
        if exc is not None:
            _check_spec_error(exc, data.decode("utf-8", "replace"))
        else:
            assert isinstance(problem, Problem)
    finally:
        os.unlink(name)


@settings(max_examples=400, **COMMON)
@given(st.one_of(mutated_problems(), problems_from_grammar))
@example(_problem_with("x1", "acos((0/0)+x2)"))  # was RecursionError in solve()
@example(_problem_with("x1", "arcsin((0)+0*x2)"))  # was ZeroDivisionError in parse_problem()
@example(_problem_with("sin(exp(exp(99)))*x1", "x2"))  # was a hang
def test_loaded_problem_derives_or_derive_error(text):
    problem = _load(text)
    if problem is None:
        return
    solution, exc = _run(f"solve() of\n{text}\n", lambda: solve(problem), DeriveError, SOLVE_SECONDS)
    if exc is None:
        _tally("solved")
        assert solution is not None
        return
    _tally(type(exc).__name__)  # DeriveError, or CheckError: a step failed its check (solgen's bug)
    assert str(exc)
    assert exc.line is None or (type(exc.line) is int and 1 <= exc.line <= _file_lines(text)), exc.line


# Problems whose derivation once failed its own check (CheckError), found by
# test_loaded_problem_derives_or_derive_error: base 0 (or less) with a variable exponent,
# and constants that are not real. They are now refused when the file is read, with the
# line of the function and a message that says what is wrong.
REFUSED_AT_LOAD = [
    ("0^x1", "a base of 0 or less raised to a variable power is not a real function"),
    ("0^x1 + x1", "a base of 0 or less raised to a variable power is not a real function"),
    ("(1-1)^x1", "a base of 0 or less raised to a variable power is not a real function"),
    ("(-2)^x1", "a base of 0 or less raised to a variable power is not a real function"),
    ("sin(x1^atanh(2))", "atanh() here is not a real number"),
    ("100^x1^acos(-2)", "acos() here is not a real number"),
    ("sqrt(-1)*x1", "sqrt() here is not a real number"),
    ("x1 + 1/sqrt(-1)", "sqrt() here is not a real number"),
    ("x1 + 2^(1/2)/(-1)^(1/2)", "this power is not a real number"),
]


@pytest.mark.parametrize("f, message", REFUSED_AT_LOAD)
def test_no_real_function_is_refused_at_load(f, message):
    with pytest.raises(SpecError) as info:
        parse_problem(_problem_with(f, "x2"), "fuzz.yaml")
    assert message in str(info.value)
    assert info.value.line == 5  # the line of f


@pytest.mark.parametrize("f", ["(3-2)^x1", "pi^x1", "2^x1 + sqrt(2)*x2", "(x1 + 2)^(1/2)"])
def test_positive_constant_bases_still_load_and_derive(f):
    solve(parse_problem(_problem_with(f, "x2"), "fuzz.yaml"))
