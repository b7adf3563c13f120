"""Vectors and matrices (issue 11): the shaped grammar, shape errors at their line, the
differential engine's results in a TA's form, and every step and result checked against
SymPy's entrywise derivative of the expanded scalar expression on random concrete sizes
(an expansion written here, independent of the engine's own checker)."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from solgen.derive.calculus import solve
from solgen.errors import SpecError
from solgen.formats.json import to_json
from solgen.input.problem import parse_problem
from solgen.math.shaped import (Add, Call, Had, Ident, Index, Mul, Node, Num, Ones, Pow, Ref, Sum, Sym, T, latex,
                               text)
from solgen.derive.shaped_diff import Differ, Unsupported
from solgen.input.shaped_problem import read_back

# -- an independent expansion: a tree on concrete sizes -> a SymPy matrix -----------------


def expand(node: Node, sizes: dict[str, int], env: dict[str, sp.Matrix], idx: dict[str, int] | None = None) -> sp.Matrix:
    idx = idx or {}
    n = lambda s: int(s) if s.is_Integer else sizes[str(s)]  # noqa: E731
    if isinstance(node, Sym):
        return sp.Matrix([[sizes[node.name]]]) if node.kind == "size" else env[node.name]
    if isinstance(node, Num):
        if not node.is_scalar:
            return sp.zeros(n(node.shape[0]), n(node.shape[1]))
        return sp.Matrix([[node.value]])
    if isinstance(node, Ones):
        return sp.ones(n(node.shape[0]), 1)
    if isinstance(node, Ident):
        return sp.eye(n(node.shape[0]))
    if isinstance(node, Ref):
        return expand(node.body, sizes, env, idx)
    if isinstance(node, Add):
        out = expand(node.terms[0], sizes, env, idx)
        for t in node.terms[1:]:
            out = out + expand(t, sizes, env, idx)
        return out
    if isinstance(node, Mul):
        scalar, chain = sp.Integer(1), []
        for f in node.factors:
            v = expand(f, sizes, env, idx)
            if f.is_scalar:
                scalar *= v[0, 0]
            else:
                chain.append(v)
        out = chain[0] if chain else sp.Matrix([[1]])
        for v in chain[1:]:
            out = out[0, 0] * v if out.shape == (1, 1) else (v[0, 0] * out if v.shape == (1, 1) else out * v)
        return scalar * out
    if isinstance(node, Pow):
        return sp.Matrix([[expand(node.base, sizes, env, idx)[0, 0] ** node.exp]])
    if isinstance(node, T):
        return expand(node.arg, sizes, env, idx).T
    if isinstance(node, Had):
        return expand(node.a, sizes, env, idx).multiply_elementwise(expand(node.b, sizes, env, idx))
    if isinstance(node, Call):
        a = expand(node.arg, sizes, env, idx)
        fns = {"exp": sp.exp, "log": sp.log, "tanh": sp.tanh, "sigmoid": lambda x: 1 / (1 + sp.exp(-x)), "sin": sp.sin,
               "cos": sp.cos, "sqrt": sp.sqrt, "abs": sp.Abs, "sign": sp.sign, "softplus": lambda x: sp.log(1 + sp.exp(x))}
        if node.fn in fns:
            return a.applyfunc(fns[node.fn])
        if node.fn == "norm":
            return sp.Matrix([[sp.sqrt(sum(x**2 for x in a))]])
        if node.fn == "softmax":
            tot = sum(sp.exp(x) for x in a)
            return a.applyfunc(lambda x: sp.exp(x) / tot)
        if node.fn == "logsumexp":
            return sp.Matrix([[sp.log(sum(sp.exp(x) for x in a))]])
        if node.fn == "trace":
            return sp.Matrix([[a.trace()]])
        if node.fn == "det":
            return sp.Matrix([[a.det()]])
        if node.fn == "inv":
            return a.inv()
        if node.fn == "diag":
            return sp.diag(*list(a))
    if isinstance(node, Sum):
        total = sp.zeros(n(node.shape[0]), n(node.shape[1]))
        for i in range(1, n(node.hi) + 1):
            total += expand(node.body, sizes, env, {**idx, node.index: i})
        return total
    if isinstance(node, Index):
        base = expand(node.base, sizes, env, idx)
        i = (int(node.index) if node.index.isdigit() else idx[node.index]) - 1
        return sp.Matrix([[base[i, 0]]]) if node.base.is_vector else base[i, :].T
    raise TypeError(type(node).__name__)


def concrete(shapes: dict, sizes: dict[str, int], scalars: list[str], var: str, rng: random.Random) -> tuple[dict, list]:
    """Random rationals for every name but the variable, whose entries are symbols."""
    def size(s):  # noqa: ANN001
        return int(s) if s.is_Integer else sizes[str(s)]

    env = {}
    for name, (r, c) in shapes.items():
        if name == var:
            continue
        env[name] = sp.Matrix(size(r), size(c), lambda i, j: sp.Rational(rng.choice([-1, 1]) * rng.randint(2, 9), rng.randint(2, 7)))
    for name in scalars:
        env[name] = sp.Matrix([[sp.Rational(rng.randint(2, 9), rng.randint(2, 5))]])
    ws = sp.symbols(f"w0:{size(shapes[var][0])}", real=True)
    env[var] = sp.Matrix(ws)
    return env, list(ws)


def _num(m: sp.Matrix, point: dict) -> list[complex]:
    return [complex(sp.N(x.subs(point), 30)) for x in m]


def assert_same(a: sp.Matrix, b: sp.Matrix, point: dict) -> None:
    assert a.shape == b.shape
    for x, y in zip(_num(a, point), _num(b, point)):
        assert abs(x - y) <= 1e-9 * (1 + abs(x) + abs(y)), (x, y)


def verify_entrywise(src: dict[str, str], shapes: dict, var: str, fname: str, draws: int = 2,
                     scalars: tuple[str, ...] = ("lambda",), sums_to_one: tuple[str, ...] = ()) -> tuple[Node, Node]:
    """Every step of d(f), the gradient and the Hessian of f against SymPy on random sizes."""
    from solgen.input.shaped import Scope, parse

    m, d = sp.symbols("m d")
    shapes = {k: (v[0], v[1] if len(v) > 1 else sp.Integer(1)) for k, v in shapes.items()}
    scope = Scope(shapes, var, {"m", "d"}, None)
    for name, s in src.items():
        scope.functions[name] = parse(s, scope)
    f = scope.functions[fname]
    differ = Differ(Sym(var, shapes[var], "var"), frozenset(), frozenset(sums_to_one))
    step = differ.d(f)
    grad = differ.coefficient(step.result, True)
    step2 = differ.d(grad)
    hess = differ.coefficient(step2.result, False)
    for k in range(draws):
        rng = random.Random(k)
        sizes = {"m": 3 + k, "d": 2 + k}
        env, ws = concrete(shapes, sizes, list(scalars), var, rng)
        for name in sums_to_one:
            onehot = sp.zeros(len(env[name]), 1)
            onehot[rng.randrange(len(onehot))] = 1
            env[name] = onehot
        dws = sp.symbols(f"dw0:{len(ws)}", real=True)
        env["d" + var] = sp.Matrix(dws)
        point = {w: sp.Rational(rng.randint(-9, 9), 10) for w in ws}
        for s in list(step.walk()) + list(step2.walk()):  # every node (a term of a sum at i = 2)
            e, r = expand(s.expr, sizes, env, {"i": 2}), expand(s.result, sizes, env, {"i": 2})
            jv = sp.Matrix(e.shape[0], e.shape[1], lambda i, j: sum(sp.diff(e[i, j], w) * dw for w, dw in zip(ws, dws)))
            dpoint = {**point, **{dw: sp.Rational(rng.randint(-9, 9), 7) for dw in dws}}
            assert_same(r, jv, dpoint)
        L = expand(f, sizes, env)[0, 0]
        g = sp.Matrix([sp.diff(L, w) for w in ws])
        assert_same(expand(grad, sizes, env), g, point)
        H = sp.Matrix(len(ws), len(ws), lambda i, j: sp.diff(L, ws[i], ws[j]))
        assert_same(expand(hess, sizes, env), H, point)
    return grad, hess


M, DD = sp.symbols("m d")
RIDGE_SHAPES = {"w": [DD], "X": [M, DD], "y": [M]}


def test_ridge_gradient_and_hessian_in_a_tas_form():
    grad, hess = verify_entrywise({"L": "norm(X w - y)^2 + lambda * w^T w"}, RIDGE_SHAPES, "w", "L")
    assert latex(grad) == r"2 X^T (X w - y) + 2 \lambda w"
    assert latex(hess) == r"2 X^T X + 2 \lambda I"


def test_logistic_gradient_and_hessian():
    grad, hess = verify_entrywise({"p": "sigmoid(X w)", "J": "-(y^T log(p) + (1 - y)^T log(1 - p))"},
                                  RIDGE_SHAPES, "w", "J", scalars=())
    assert latex(grad) == "X^T (p - y)"
    assert latex(hess) == r"X^T \operatorname{diag}(p \odot (1 - p)) X"


def test_general_quadratic_is_not_symmetrised():
    grad, hess = verify_entrywise({"f": "w^T A w + b^T w"}, {"w": [DD], "A": [DD, DD], "b": [DD]}, "w", "f", scalars=())
    assert latex(grad) == "(A + A^T) w + b"
    assert latex(hess) == "A + A^T"


def test_softmax_cross_entropy_needs_y_summing_to_one():
    shapes = {"z": [DD], "y": [DD]}
    grad, hess = verify_entrywise({"s": "softmax(z)", "L": "-y^T log(s)"}, shapes, "z", "L", scalars=(), sums_to_one=("y",))
    assert latex(grad) == "s - y"
    assert latex(hess) == r"\operatorname{diag}(s) - s s^T"


def test_logsumexp_gradient_is_softmax():
    grad, _ = verify_entrywise({"L": "logsumexp(z) - y^T z"}, {"z": [DD], "y": [DD]}, "z", "L", scalars=())
    assert latex(grad) == r"\operatorname{softmax}(z) - y"


def test_a_sum_over_examples():
    grad, hess = verify_entrywise({"L": "sum(i, 1, m, (y[i] - x[i]^T w)^2)"}, RIDGE_SHAPES, "w", "L", scalars=())
    assert latex(grad) == r"-2 \sum_{i=1}^{m} (y_i - x_i^T w) x_i"
    assert latex(hess) == r"2 \sum_{i=1}^{m} x_i x_i^T"


@pytest.mark.parametrize("src", ["tanh(w)^T tanh(w)", "norm(A w)", "exp(b^T w)^2 + trace(A) * w^T w",
                                 "hadamard(w, w)^T b", "(b^T w)^3", "1/m * norm(X w - y)^2",
                                 "sum(i, 1, m, log(1 + exp(-y[i] * x[i]^T w)))"])
def test_other_rules_check_entrywise(src):
    verify_entrywise({"f": src}, {"w": [DD], "A": [DD, DD], "b": [DD], "X": [M, DD], "y": [M]}, "w", "f", scalars=())


# -- problem files: shapes, errors at their line ----------------------------------------

RIDGE = """id: ridge
variables: [w]
shapes: {w: [d], X: [m, d], y: [m]}
constants: [lambda]
functions:
  L: "norm(X w - y)^2 + lambda * w^T w"
parts:
  - {id: a, ask: gradient, of: L}
  - {id: b, ask: hessian, of: L}
"""


def _error(src: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_problem(src, "p.yaml")
    return info.value


def test_shape_error_names_both_shapes_and_the_line():
    err = _error(RIDGE.replace('L: "norm(X w - y)^2 + lambda * w^T w"', 'L: "y^T y"\n  M: "X y"'))
    assert err.line == 7
    assert "X (m\u00d7d)" in str(err) and "y (a vector in R^m)" in str(err)


@pytest.mark.parametrize(("change", "words"), [
    (("lambda * w^T w", "mu * w^T w"), "unknown name 'mu'"),
    (("norm(X w - y)^2", "w^2"), "cannot raise w"),
    (("norm(X w - y)^2", "norm(X)"), "norm takes a vector"),
    (("norm(X w - y)^2", "X + y"), "cannot add"),
    (("constants: [lambda]", "constants: [lambda, X]"), "declared by 'shapes' alone"),
    (("{w: [d], X: [m, d], y: [m]}", "{w: [1, d], X: [m, d], y: [m]}"), "write it as a column"),
    (("{w: [d], X: [m, d], y: [m]}", "{w: [d], X: [m, 100000], y: [m]}"), "integer size"),
    (("norm(X w - y)^2", "1^T y"), "ones(m)^T"),
    (("norm(X w - y)^2", "sum(i, 1, m, y[j])"), "index"),
    (("norm(X w - y)^2", "(" * 80 + "w^T w" + ")" * 80), "nested"),
])
def test_bad_input_is_an_error_at_its_line(change, words):
    err = _error(RIDGE.replace(*change))
    assert words in str(err)
    assert err.line is not None


def test_a_gradient_of_a_vector_is_an_error():
    err = _error(RIDGE.replace("  - {id: a, ask: gradient, of: L}", "  - {id: a, ask: gradient, of: r}").replace(
        '  L: "norm', '  r: "X w - y"\n  L: "norm'))
    assert "scalar function" in str(err) and err.line == 9


def test_cli_shape_error_is_file_line_message(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(RIDGE.replace("norm(X w - y)^2", "norm(X y)^2"))
    proc = subprocess.run([sys.executable, "-m", "solgen.cli", "check", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert f"{path}:6: error:" in proc.stderr and "Traceback" not in proc.stderr


# -- JSON: results in solgen's grammar, read back --------------------------------------

def test_json_results_read_back_to_the_same_tree():
    problem = parse_problem(RIDGE)
    doc = json.loads(to_json(solve(problem)))
    assert doc["shapes"] == {"w": ["d"], "X": ["m", "d"], "y": ["m"]}
    assert doc["symbols"] == {"lamda": "lambda"}
    assert doc["parts"][0]["result"] == "2 X^T (X w - y) + 2 lamda w"
    for part in doc["parts"]:
        back = read_back(part["result"], problem.shapes, doc["symbols"])
        assert text(back, py_names=True) == part["result"]
    grad = read_back(doc["parts"][0]["result"], problem.shapes, doc["symbols"])
    assert latex(grad) == r"2 X^T (X w - y) + 2 \lambda w"


def test_scalar_problems_have_no_shapes():
    problem = parse_problem("id: s\nvariables: [x]\nfunctions: {f: \"x^2\"}\nparts:\n  - {id: a, ask: gradient, of: f}\n")
    assert problem.shapes is None
    assert "shapes" not in json.loads(to_json(solve(problem)))


# -- property tests: random losses, every node against SymPy --------------------------

VEC_D = ["w", "A w", "A^T w + b", "sigmoid(w)", "tanh(A w)", "hadamard(w, b)", "2 w - b", "X^T y"]
VEC_M = ["X w", "X w - y", "sigmoid(X w)", "X A w"]


@st.composite
def losses(draw):  # noqa: ANN001, ANN201
    vd = st.sampled_from(VEC_D)
    vm = st.sampled_from(VEC_M)
    kind = draw(st.integers(0, 7))
    a, b2, c = draw(vd), draw(vd), draw(vm)
    return [
        f"norm({c})^2",
        f"({a})^T ({b2})",
        f"logsumexp({a})",
        f"({a})^T A ({b2}) + lambda * norm({a})^2",
        f"y^T log(sigmoid({c})) + (1 - y)^T log(1 - sigmoid({c}))",
        f"exp(b^T {a.replace(' ', ' ') if ' ' not in a else '(' + a + ')'})",
        f"sum(i, 1, m, log(1 + exp(-y[i] * x[i]^T ({a}))))",
        f"sum(i, 1, m, (y[i] - x[i]^T ({a}))^2) + lambda * norm({b2})^2",
    ][kind]


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(losses())
def test_every_node_of_random_losses_equals_the_entrywise_derivative(src):
    try:
        verify_entrywise({"f": src}, {"w": [DD], "A": [DD, DD], "b": [DD], "X": [M, DD], "y": [M]}, "w", "f", draws=1)
    except Unsupported:
        reject()  # no rule for this Hessian: said plainly by the engine, never guessed


def test_a_wrong_rule_is_caught_by_the_checker():
    """The engine's own checker refuses a step whose transpose is wrong."""
    from solgen.derive.shaped_check import check_step, draws
    from solgen.input.shaped import Scope, parse

    shapes = {"w": (DD, sp.Integer(1)), "X": (M, DD), "y": (M, sp.Integer(1))}
    scope = Scope(shapes, "w", {"m", "d"}, None)
    f = parse("norm(X w - y)^2", scope)
    wrong = parse("2 (X w - y)^T X", scope)
    dw = Sym("dw", shapes["w"], "dvar")
    from solgen.math import shaped_build as b

    ds = draws(shapes, [], ["m", "d"], {})
    assert not check_step(f, b.mul(wrong, b.transpose(b.transpose(dw)), b.num(3)), "w", "dw", ds)
    assert check_step(f, b.mul(wrong, dw), "w", "dw", ds)


# -- identities ------------------------------------------------------------------------

ASIDE = RIDGE.replace("""parts:
  - {id: a, ask: gradient, of: L}
  - {id: b, ask: hessian, of: L}
""", """parts:
  - id: c
    ask: identity
    lhs: "norm(X w - y)^2"
    via: ["sum(i, 1, m, (x[i]^T w - y[i])^2)"]
    rhs: "sum(i, 1, m, (y[i] - x[i]^T w)^2)"
""")


def test_the_seeds_aside_is_a_chain_of_named_rewrites_each_equal_entrywise():
    problem = parse_problem(ASIDE)
    doc = json.loads(to_json(solve(problem)))
    part = doc["parts"][0]
    assert part["result"] == {"holds": True}
    assert [s["rule"] for s in part["steps"]] == ["norm_squared", "rows", "flip_square"]
    assert part["steps"][-1]["to"] == "sum(i, 1, m, (y[i] - x[i]^T w)^2)"
    rng = random.Random(3)
    shapes = {k: v for k, v in problem.shapes.shapes.items()}
    for step in part["steps"]:  # each `to` equals its `from`, read back and expanded by SymPy
        a = read_back(step["from"], problem.shapes, doc["symbols"])
        b = read_back(step["to"], problem.shapes, doc["symbols"])
        sizes = {"m": 4, "d": 2}
        env, ws = concrete(shapes, sizes, ["lambda"], "w", rng)
        point = {w: sp.Rational(rng.randint(-9, 9), 5) for w in ws}
        assert_same(expand(a, sizes, env), expand(b, sizes, env), point)


def test_an_identity_that_does_not_hold_is_an_error_not_a_proof():
    from solgen.errors import DeriveError

    problem = parse_problem(ASIDE.replace('rhs: "sum(i, 1, m, (y[i] - x[i]^T w)^2)"', 'rhs: "sum(i, 1, m, (y[i] + x[i]^T w)^2)"'))
    with pytest.raises(DeriveError, match="does not hold"):
        solve(problem)


def test_an_identity_with_a_wrong_shape_is_an_error_at_its_line():
    err = _error(ASIDE.replace('rhs: "sum(i, 1, m, (y[i] - x[i]^T w)^2)"', 'rhs: "X w - y"'))
    assert "another shape" in str(err) and err.line == 12


SHAPED = sorted(p for p in __import__("pathlib").Path(__file__).resolve().parent.parent.joinpath("problems").glob("*.yaml")
                if "shapes:" in p.read_text())


@pytest.mark.parametrize("path", SHAPED, ids=[p.stem for p in SHAPED])
def test_every_json_string_of_the_examples_reads_back(path):
    """Results, functions and every step's expr and result (or an identity's from and to)
    are in solgen's grammar: read back, each prints as it was written."""
    from solgen.input.problem import load_problem

    problem = load_problem(path)
    doc = json.loads(to_json(solve(problem)))
    strings = list(doc["functions"].values())

    def walk(step):  # noqa: ANN001
        for key in ("expr", "result", "from", "to"):
            if key in step:
                strings.append(step[key])
        for sub in step.get("substeps", []):
            walk(sub)

    for part in doc["parts"]:
        if isinstance(part["result"], str):
            strings.append(part["result"])
        elif isinstance(part["result"], dict) and "iterates" in part["result"]:  # newton: from w_0 (a name) to a closed form
            strings.extend(v for it in part["result"]["iterates"][1:] for v in it.values())
        elif isinstance(part["result"], dict) and "holds" not in part["result"]:  # one gradient per variable
            strings.extend(part["result"].values())
        for step in part["steps"]:
            walk(step)
    assert len(strings) > 3
    for s in strings:
        assert text(read_back(s, problem.shapes, doc["symbols"]), py_names=True) == s


@pytest.mark.parametrize("path", SHAPED, ids=[p.stem for p in SHAPED])
def test_every_node_of_every_example_tree_equals_the_entrywise_derivative(path):
    """The examples' step trees, node by node, against SymPy's entrywise derivative of the
    expanded expression (here, not the engine's checker), on two random sizes."""
    from solgen.input.problem import load_problem
    from solgen.derive.shaped_engine import _scalar_constants

    problem = load_problem(path)
    solution = solve(problem)
    shaped = problem.shapes
    scalars = sorted(set(shaped.constants) | {n for f in shaped.functions.values() for n in _scalar_constants(f)})
    nodes = 0
    for k in range(2):
        rng = random.Random(10 + k)
        sizes = {s: 3 + k + j for j, s in enumerate(shaped.sizes)}
        size = lambda s: int(s) if s.is_Integer else sizes[str(s)]  # noqa: E731
        for v in shaped.variables:  # each variable in turn; the others are numbers
            var = v.name
            env, _ = concrete(shaped.shapes, sizes, scalars, var, rng)
            for name, kind in shaped.assume.items():
                if kind in ("onehot", "probability"):
                    env[name] = sp.zeros(len(env[name]), 1)
                    env[name][rng.randrange(len(env[name]))] = 1
            r, c = size(v.shape[0]), size(v.shape[1])
            ws = sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{var}_{i}_{j}", real=True))
            dws = sp.Matrix(r, c, lambda i, j: sp.Symbol(f"d{var}_{i}_{j}", real=True))
            env[var], env["d" + var] = ws, dws
            point = {w: sp.Rational(rng.randint(-9, 9), 10) for w in ws}
            point.update({dw: sp.Rational(rng.randint(-9, 9), 7) for dw in dws})
            for d in solution.derivations:
                for entry in d.entries:
                    for node in entry.tree.walk():
                        if node.var.name != var:
                            continue
                        nodes += 1
                        e, res = expand(node.expr, sizes, env, {"i": 2}), expand(node.result, sizes, env, {"i": 2})
                        jv = e.applyfunc(lambda x: sum(sp.diff(x, w) * dw for w, dw in zip(ws, dws)))
                        assert_same(res, jv, point)
    assert nodes > 0 or all(d.part.ask == "identity" for d in solution.derivations)


@pytest.mark.parametrize(("change", "words"), [
    (("norm(X w - y)^2", "(w^T w)^999"), "larger than"),
    (("norm(X w - y)^2", "w^T w" + " + w^T w" * 400), "longer than"),
    (("  - {id: a, ask: gradient, of: L}", "  - {id: a, ask: gradient, of: L, at: {w: 1}}"), "needs numbers as sizes"),
    (("  - {id: a, ask: gradient, of: L}", "  - {id: a, ask: gradient, of: L, simplify: factor}"), "simplify applies"),
    (("constants: [lambda]", "constants: [lambda]\nassume: {X: onehot}"), "onehot is for a data vector"),
    (("constants: [lambda]", "constants: [lambda]\nassume: {y: convex}"), "use one of"),
    (("variables: [w]", "variables: [w, lambda]"), "needs a shape"),
    (("variables: [w]", "variables: [w, w]"), "names a variable twice"),
    (("  - {id: a, ask: gradient, of: L}", "  - {id: a, ask: gradient, of: L, wrt: X}"), "not a variable"),
    (("  - {id: a, ask: gradient, of: L}", "  - {id: a, ask: gradient, of: L, at: {w: [1, 2]}}"), "numbers as sizes"),
    (("  L: \"norm(X w - y)^2 + lambda * w^T w\"", "  L: [\"w^T w\", \"y^T y\"]"), "one expression"),
    (("norm(X w - y)^2", "import(w)"), "unknown name"),
    (("norm(X w - y)^2", "X[i]"), "i-th row is written x[i]"),
])
def test_hostile_or_wrong_input_is_a_clear_error(change, words):
    err = _error(RIDGE.replace(*change))
    assert words in str(err), str(err)
    assert err.line is not None


def test_an_identity_needs_shapes():
    src = "id: s\nvariables: [x]\nfunctions: {f: \"x^2\"}\nparts:\n  - {id: a, ask: identity, lhs: \"x\", rhs: \"x\"}\n"
    err = _error(src)
    assert "needs vectors or matrices" in str(err) and err.line == 5


def test_the_wheel_lists_every_stage_package():
    """The vector and matrix modules live in the stages (math/, input/, derive/, asks/): a
    wheel built from pyproject's package list carries every package of the source tree."""
    import re

    from conftest import ROOT

    listed = set(re.findall(r'"(solgen(?:\.[a-z_]+)*)"', (ROOT / "pyproject.toml").read_text()))
    packages = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "solgen").rglob("__init__.py")}
    assert packages <= listed, packages - listed


def test_detail_answer_shows_no_steps_and_detail_standard_one_level():
    from solgen.present.view import build_view

    for detail, most in (("answer", None), ("standard", 1)):
        problem = parse_problem(RIDGE.replace("  - {id: b, ask: hessian, of: L}", f"  - {{id: b, ask: hessian, of: L, detail: {detail}}}")
                                .replace("  - {id: a, ask: gradient, of: L}\n", ""))
        view = build_view(solve(problem))
        lines = [ln for g in view["questions"][0]["parts"][0]["groups"] for ln in g["lines"]]
        if most is None:
            assert lines == []
        else:
            assert lines and max(ln["depth"] for ln in lines) == most
        assert view["questions"][0]["parts"][0]["answer"] == [r"\nabla^2_{w} L(w) = 2 X^T X + 2 \lambda I"]


def test_decimals_stay_decimals():
    problem = parse_problem(RIDGE.replace("lambda * w^T w", "0.1 * w^T w").replace("constants: [lambda]\n", ""))
    doc = json.loads(to_json(solve(problem)))
    assert doc["parts"][0]["result"] == "2 X^T (X w - y) + 0.2 w"
    assert doc["parts"][1]["result"] == "2 X^T X + 0.2 eye(d)"
    back = read_back(doc["parts"][0]["result"], problem.shapes)
    assert latex(back) == "2 X^T (X w - y) + 0.2 w"
    assert latex(read_back("1/2 * w^T w", problem.shapes)) == r"\frac{1}{2} w^T w"


def test_a_file_of_identities_alone_needs_no_functions():
    from solgen.derive.calculus import solve

    problem = parse_problem("id: id1\nvariables: [w]\nshapes: {A: [n, n], B: [n, n], w: [n]}\nparts:\n"
                            "  - {id: a, ask: identity, lhs: \"trace(A B)\", rhs: \"trace(B A)\"}\n")
    (proof,) = solve(problem).derivations
    assert proof.answer == {"holds": True}
    with pytest.raises(SpecError, match="'functions' must map names"):  # a gradient still needs its function
        parse_problem("id: g\nvariables: [w]\nshapes: {w: [n]}\nparts:\n  - {id: a, ask: gradient, of: L}\n")


# -- entrywise functions (issue 20): never a constant ------------------------------------

def verify_jacobian(src: str, shapes: dict, var: str, sizes_list: list[dict[str, int]], positive: bool = False) -> Node:
    """Every step of d(f) and the Jacobian of a vector function f against SymPy's entrywise
    Jacobian of the expanded expression, on each of the given sizes."""
    from solgen.input.shaped import Scope, parse

    shapes = {k: (v[0], v[1] if len(v) > 1 else sp.Integer(1)) for k, v in shapes.items()}
    sizes_names = {str(s) for v in shapes.values() for s in v if s.is_Symbol}
    scope = Scope(shapes, var, sizes_names, None)
    f = parse(src, scope)
    differ = Differ(Sym(var, shapes[var], "var"), frozenset(), frozenset())
    step = differ.d(f)
    jac = differ.coefficient(step.result, False)
    for k, sizes in enumerate(sizes_list):
        rng = random.Random(k)
        env, ws = concrete(shapes, sizes, [], var, rng)
        dws = sp.symbols(f"dw0:{len(ws)}", real=True)
        env["d" + var] = sp.Matrix(dws)
        point = {w: sp.Rational(rng.randint(1, 9) if positive else rng.choice([-1, 1]) * rng.randint(1, 9), 10) for w in ws}
        if positive:
            for name in env:
                if name not in (var, "d" + var):
                    env[name] = env[name].applyfunc(abs)
        for s in step.walk():
            e, r = expand(s.expr, sizes, env), expand(s.result, sizes, env)
            jv = sp.Matrix(e.shape[0], e.shape[1], lambda i, j: sum(sp.diff(e[i, j], w) * dw for w, dw in zip(ws, dws)))
            assert_same(r, jv, {**point, **{dw: sp.Rational(rng.randint(-9, 9), 7) for dw in dws}})
        value = expand(f, sizes, env)
        assert_same(expand(jac, sizes, env), value.jacobian(ws), point)
    return jac


ENTRY_SHAPES = {"x": [sp.Symbol("n")], "A": [sp.Symbol("n"), sp.Symbol("n")], "b": [sp.Symbol("n")]}
ENTRY_SIZES = [{"n": 2}, {"n": 3}, {"n": 4}]


def test_sin_of_an_affine_map_is_entrywise_and_its_jacobian_is_diag_cos_times_a():
    jac = verify_jacobian("sin(A x + b)", ENTRY_SHAPES, "x", ENTRY_SIZES)
    assert latex(jac) == r"\operatorname{diag}(\cos(A x + b)) A"
    assert text(jac) == "diag(cos(A x + b)) A"


@pytest.mark.parametrize(("src", "positive"), [("cos(x)", False), ("sqrt(A x + b)", True), ("abs(A x)", False),
                                               ("softplus(A x + b)", False), ("tanh(x) + exp(x)", False),
                                               ("sin(b^T x) x", False), ("log(A x)", True)])
def test_every_entrywise_function_checks_against_the_entrywise_jacobian(src, positive):
    verify_jacobian(src, ENTRY_SHAPES, "x", ENTRY_SIZES, positive)


@pytest.mark.parametrize("src", ["sin(w)^T sin(w)", "sum(i, 1, m, cos(x[i]^T w))", "y^T sin(X w)"])
def test_entrywise_functions_in_scalar_losses_check_entrywise(src):
    verify_entrywise({"f": src}, {"w": [DD], "X": [M, DD], "y": [M]}, "w", "f", scalars=())


def test_a_function_of_a_vector_is_never_read_as_a_constant():
    src = RIDGE.replace("norm(X w - y)^2 + lambda * w^T w", "ones(m)^T atan(X w)")
    err = _error(src)
    assert "atan is not one of the functions of vectors and matrices" in str(err) and err.line == 6
    problem = parse_problem(RIDGE.replace("norm(X w - y)^2 + lambda * w^T w", "ones(m)^T cos(X w - y)"), "p.yaml")
    assert isinstance(problem.functions["L"].exprs[0].factors[1], Call)


def test_inverse_transposed_prints_one_superscript():
    from solgen.input.shaped import Scope, parse

    n = sp.Symbol("n")
    scope = Scope({"x": (n, sp.Integer(1)), "S": (n, n)}, "x", {"n"}, None)
    grad = Differ(Sym("x", (n, sp.Integer(1)), "var"), frozenset(), frozenset())
    node = parse("x^T inv(S) x", scope)
    g = grad.coefficient(grad.d(node).result, True)
    assert latex(g) == r"(S^{-1} + S^{-T}) x"
    assert "^{-1}^" not in latex(parse("inv(S)^T x", scope))
    assert text(parse("inv(S)^T x", scope)) == "inv(S)^T x"


# -- matrix variables (issue 20): dL = tr(G^T dW) gives the gradient G, shaped like W -----

def verify_matrix_gradient(src: dict[str, str], shapes: dict, variables: list[str], fname: str,
                           sizes_list: list[dict[str, int]], onehot: tuple[str, ...] = ()) -> dict[str, Node]:
    """For each variable: every step of d(f) and the gradient against SymPy's derivative of
    the expanded f by each entry of the variable, on each of the given sizes."""
    from solgen.derive.shaped_diff import MatrixReadOff
    from solgen.input.shaped import Scope, parse

    shapes = {k: (v[0], v[1] if len(v) > 1 else sp.Integer(1)) for k, v in shapes.items()}
    sizes_names = {str(s) for v in shapes.values() for s in v if s.is_Symbol}
    scope = Scope(shapes, variables[0], sizes_names, None, variables=frozenset(variables))
    for name, s in src.items():
        scope.functions[name] = parse(s, scope)
    f = scope.functions[fname]
    out = {}
    for var in variables:
        differ = Differ(Sym(var, shapes[var], "var"), frozenset(), frozenset(onehot))
        step = differ.d(f)
        grad = MatrixReadOff(differ).gradient(step.result) if shapes[var][1] != 1 else differ.coefficient(step.result, True)
        assert grad.shape == shapes[var]
        out[var] = grad
        for k, sizes in enumerate(sizes_list):
            rng = random.Random(k)
            size = lambda s: int(s) if s.is_Integer else sizes[str(s)]  # noqa: E731
            env = {}
            for name, (r, c) in shapes.items():
                env[name] = sp.Matrix(size(r), size(c), lambda i, j: sp.Rational(rng.choice([-1, 1]) * rng.randint(2, 9), rng.randint(2, 7)))
            for name in onehot:
                env[name] = sp.zeros(len(env[name]), 1)
                env[name][rng.randrange(len(env[name]))] = 1
            r, c = size(shapes[var][0]), size(shapes[var][1])
            ws = sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{var}_{i}_{j}", real=True))
            dws = sp.Matrix(r, c, lambda i, j: sp.Symbol(f"d{var}_{i}_{j}", real=True))
            env[var], env["d" + var] = ws, dws
            point = {w: sp.Rational(rng.randint(-9, 9), 10) for w in ws}
            dpoint = {**point, **{dw: sp.Rational(rng.randint(-9, 9), 7) for dw in dws}}
            for s in step.walk():
                e, res = expand(s.expr, sizes, env, {"i": 2}), expand(s.result, sizes, env, {"i": 2})
                jv = e.applyfunc(lambda x: sum(sp.diff(x, w) * dw for w, dw in zip(ws, dws)))
                assert_same(res, jv, dpoint)
            L = expand(f, sizes, env)[0, 0]
            assert_same(expand(grad, sizes, env), ws.applyfunc(lambda w: sp.diff(L, w)), point)
    return out


K, H, N = sp.symbols("k h n")


def test_a_linear_layers_gradients_are_s_minus_y_times_x_transposed_and_s_minus_y():
    g = verify_matrix_gradient({"z": "W x + b", "s": "softmax(z)", "L": "-y^T log(s)"},
                               {"W": [K, DD], "b": [K], "x": [DD], "y": [K]}, ["W", "b"], "L",
                               [{"k": 2, "d": 3}, {"k": 3, "d": 2}], onehot=("y",))
    assert text(g["W"]) == "(s - y) x^T" and text(g["b"]) == "s - y"


def test_a_two_layer_networks_gradients_check_entrywise():
    g = verify_matrix_gradient({"a": "sigmoid(W x)", "L": "norm(V a - y)^2"},
                               {"W": [H, DD], "V": [K, H], "x": [DD], "y": [K]}, ["W", "V"], "L",
                               [{"h": 2, "d": 3, "k": 2}, {"h": 3, "d": 2, "k": 1}])
    assert text(g["V"]) == "2 (V a - y) a^T"
    assert latex(g["W"]) == r"2 \operatorname{diag}(a \odot (1 - a)) V^T (V a - y) x^T"


@pytest.mark.parametrize(("src", "want"), [("trace(A W)", "A^T"), ("log(det(W))", r"W^{-T}"),
                                           ("x^T inv(W) y", r"-W^{-T} x y^T W^{-T}"), ("norm(W x - y)^2", "2 (W x - y) x^T"),
                                           ("trace(W^T A W)", "(A + A^T) W"), ("det(W)", r"\det(W) W^{-T}"),
                                           ("sum(i, 1, m, (t[i] - u[i]^T W z)^2)", None)])
def test_matrix_variable_gradients_check_entrywise(src, want):
    g = verify_matrix_gradient({"f": src}, {"W": [N, N], "A": [N, N], "x": [N], "y": [N], "z": [N], "U": [M, N], "t": [M]},
                               ["W"], "f", [{"n": 2, "m": 3}, {"n": 3, "m": 2}])
    if want:
        assert latex(g["W"]) == want


MATRIX_NET = """id: net
variables: [W, V]
shapes: {W: [h, d], V: [k, h], x: [d], y: [k]}
functions:
  a: "sigmoid(W x)"
  L: "norm(V a - y)^2"
parts:
  - {id: a, ask: gradient, of: L}
  - {id: b, ask: gradient, of: L, wrt: V}
"""


def test_json_gives_one_result_per_variable_or_the_one_wrt_names():
    doc = json.loads(to_json(solve(parse_problem(MATRIX_NET, "net.yaml"))))
    first, second = doc["parts"]
    assert set(first["result"]) == {"W", "V"} and second["result"] == "2 (V a - y) a^T"
    problem = parse_problem(MATRIX_NET, "net.yaml")
    for name, s in first["result"].items():
        node = read_back(s, problem.shapes, doc["symbols"])
        assert node.shape == problem.shapes.shapes[name]


@pytest.mark.parametrize(("change", "words"), [
    (("  - {id: b, ask: gradient, of: L, wrt: V}", "  - {id: b, ask: hessian, of: L}"), "say which with wrt"),
    (("  - {id: b, ask: gradient, of: L, wrt: V}", "  - {id: b, ask: hessian, of: L, wrt: V}"), "four indices"),
    (("  - {id: b, ask: gradient, of: L, wrt: V}", "  - {id: b, ask: gradient, of: L, wrt: x}"), "not a variable"),
])
def test_matrix_variable_misuse_is_an_error_at_its_line(change, words):
    err = _error(MATRIX_NET.replace(*change))
    assert words in str(err) and err.line == 9


def test_wrt_in_a_scalar_problem_is_an_error():
    src = "id: s\nvariables: [x, y]\nfunctions: {f: \"x*y\"}\nparts:\n  - {id: a, ask: gradient, of: f, wrt: x}\n"
    assert "'wrt' picks one of several" in str(_error(src))


# -- at: on integer sizes, identities, sums, literal indices ---------------------------------

AT = """id: at
variables: [w]
shapes: {w: [3], A: [3, 3]}
constants: [c]
functions:
  L: "w^T A w + c * sin(w)^T sin(w)"
parts:
  - {id: a, ask: gradient, of: L, at: {w: [1, 2, 0], A: [[1, 0, 0], [0, 2, 0], [1, 1, 1]], c: 0}}
  - {id: b, ask: hessian, of: L, at: {w: [0, 0, 0], A: [[1, 0, 0], [0, 2, 0], [1, 1, 1]], c: "1/2"}}
"""


def test_at_on_integer_sizes_gives_the_value_of_the_symbolic_answer():
    doc = json.loads(to_json(solve(parse_problem(AT, "at.yaml"))))
    a, b = doc["parts"]
    A = sp.Matrix([[1, 0, 0], [0, 2, 0], [1, 1, 1]])
    w = sp.Matrix([1, 2, 0])
    assert [sp.sympify(x) for x in a["value"]] == list((A + A.T) * w)
    H = A + A.T + sp.eye(3)  # c * 2 diag(cos^2 - sin^2) at w = 0 with c = 1/2
    assert [[sp.sympify(x) for x in row] for row in b["value"]] == H.tolist()


def test_at_needs_every_name_and_the_right_lengths():
    assert "give A, c too" in str(_error(AT.replace("A: [[1, 0, 0], [0, 2, 0], [1, 1, 1]], c: 0}}", "}}")))
    assert "a list of 3 numbers" in str(_error(AT.replace("w: [1, 2, 0]", "w: [1, 2]")))
    assert "3 rows of 3 numbers" in str(_error(AT.replace("A: [[1, 0, 0], [0, 2, 0], [1, 1, 1]], c: 0", "A: [[1, 0], [0, 2]], c: 0")))


IDENT = """id: ident
variables: [w]
shapes: {w: [d], X: [m, d], y: [m]}
parts:
  - {id: a, ask: identity, lhs: "norm(X w - y)^2", rhs: "(X w - y)^T (X w - y)"}
  - {id: b, ask: identity, lhs: "(a + c)^2", rhs: "a^2 + 2 a c + c^2"}
"""


def test_identities_with_the_norm_definition_and_with_scalars_alone_render(tmp_path):

    path = tmp_path / "ident.yaml"
    path.write_text(IDENT)
    out = subprocess.run([sys.executable, "-m", "solgen.cli", "render", str(path), "--out", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    tex = (tmp_path / "out" / "ident.tex").read_text()
    assert r"\|v\|^2 = v^T v" in tex
    doc = json.loads(to_json(solve(parse_problem(IDENT, "ident.yaml"))))
    assert doc["parts"][0]["steps"][0]["rule"] == "norm_def"
    bad = IDENT.replace("a^2 + 2 a c + c^2", "a^2 + c^2")
    from solgen.errors import SolgenError
    with pytest.raises(SolgenError, match="does not hold"):
        solve(parse_problem(bad, "ident.yaml"))


def test_the_sum_form_logistic_hessian():
    grad, hess = verify_entrywise({"L": "sum(i, 1, m, log(1 + exp(x[i]^T w)) - y[i] x[i]^T w)"}, RIDGE_SHAPES, "w", "L",
                                  scalars=())
    grad, hess = verify_entrywise({"L": "sum(i, 1, m, w^T x[i] + exp(w^T x[i]))"}, RIDGE_SHAPES, "w", "L", scalars=())
    assert latex(hess) == r"\sum_{i=1}^{m} \exp(w^T x_i) x_i x_i^T"
    assert latex(grad) == r"\sum_{i=1}^{m} (x_i + \exp(w^T x_i) x_i)"


def test_a_literal_index_and_a_size_named_e():
    src = RIDGE.replace("{w: [d], X: [m, d], y: [m]}", "{w: [E], X: [m, E], y: [m]}").replace(
        "norm(X w - y)^2 + lambda * w^T w", "(y[1] - x[1]^T w)^2 + lambda * w^T w")
    doc = json.loads(to_json(solve(parse_problem(src, "p.yaml"))))
    assert doc["parts"][0]["result"] == "-2 (y[1] - x[1]^T w) x[1] + 2 lamda w"
    grad, _ = verify_entrywise({"L": "(y[1] - x[1]^T w)^2 + (y[2] - x[2]^T w)^2"}, RIDGE_SHAPES, "w", "L", scalars=())
    assert "index 4 is past" in str(_error(RIDGE.replace("{w: [d], X: [m, d], y: [m]}", "{w: [d], X: [3, d], y: [3]}")
                                            .replace("norm(X w - y)^2", "y[4]")))


# -- taylor and partial of a shaped function ------------------------------------------------

TAYLOR = RIDGE.replace("  - {id: a, ask: gradient, of: L}\n  - {id: b, ask: hessian, of: L}\n",
                       "  - {id: a, ask: taylor, of: L}\n  - {id: b, ask: taylor, of: L, order: 1}\n")


def test_the_quadratic_model_of_a_quadratic_loss_is_the_loss_itself():
    """L is quadratic, so its second-order model around any w_0 equals L everywhere (checked
    with SymPy on random sizes); the first-order model matches L at w_0 and its gradient."""
    problem = parse_problem(TAYLOR, "t.yaml")
    doc = json.loads(to_json(solve(problem)))
    shapes = {**problem.shapes.shapes, "w_0": problem.shapes.shapes["w"]}
    from solgen.input.shaped import Scope, parse

    scope = Scope(shapes, "w", {"m", "d"}, None)
    model2 = parse(doc["parts"][0]["result"].replace("lamda", "lambda"), scope)
    model1 = parse(doc["parts"][1]["result"].replace("lamda", "lambda"), scope)
    L = problem.functions["L"].exprs[0]
    for k in range(2):
        rng = random.Random(k)
        sizes = {"m": 3 + k, "d": 2 + k}
        env, ws = concrete(shapes, sizes, ["lambda"], "w", rng)
        point = {w: sp.Rational(rng.randint(-9, 9), 10) for w in ws}
        assert_same(expand(model2, sizes, env), expand(L, sizes, env), point)
        at_w0 = {**env, "w": env["w_0"]}
        assert_same(expand(model1, sizes, at_w0), expand(L, sizes, at_w0), point)


def test_taylor_at_a_point_is_sympys_polynomial_in_the_entries():
    src = """id: t
variables: [w]
shapes: {w: [2], A: [2, 2]}
functions:
  f: "log(1 + exp(w^T A w))"
parts:
  - {id: a, ask: taylor, of: f, at: {w: [1, 0], A: [[1, 0], [0, 2]]}}
"""
    doc = json.loads(to_json(solve(parse_problem(src, "t.yaml"))))
    w1, w2, t = sp.symbols("w1 w2 t")
    f = sp.log(1 + sp.exp(w1**2 + 2 * w2**2))
    point = {w1: 1, w2: 0}
    # the second-order Taylor polynomial: f along w0 + t (w - w0), to t^2, at t = 1
    along = f.subs({w1: 1 + t * (w1 - 1), w2: t * w2}, simultaneous=True)
    want = sum(sp.diff(along, t, k).subs(t, 0) / sp.factorial(k) for k in range(3))
    got = sp.sympify(doc["parts"][0]["result"])
    for x, y in [(sp.Rational(1, 3), sp.Rational(-1, 2)), (2, 1)]:
        assert abs(sp.N((got - want).subs({w1: x, w2: y}), 30)) < 1e-20
    assert point  # the point is the file's


def test_partial_of_a_shaped_function_says_what_to_write():
    err = _error(RIDGE.replace("  - {id: b, ask: hessian, of: L}", "  - {id: b, ask: partial, of: L, order: [w]}"))
    assert "ask for the gradient" in str(err) and err.line == 9


# -- the shaped grammar's space: a document or solgen's own error, never an internal one ----

ENTRYWISE_FNS = ["sin", "cos", "sqrt", "abs", "exp", "log", "tanh", "sigmoid", "softplus"]
SCALAR_FNS = ["atan", "sinh", "erf"]  # known scalar functions with no matrix form: an error
VECTORS = ["w", "X w", "X w - y", "A w + b", "W v", "b", "v", "x[1]", "A^T w", "inv(A) w", "diag(b) w", "hadamard(w, b)"]


@st.composite
def shaped_exprs(draw, depth: int = 0):  # noqa: ANN001, ANN201
    """A vector expression (or, rarely, nonsense) built from the grammar's pieces."""
    kind = draw(st.integers(0, 6 if depth < 2 else 0))
    if kind == 0:
        return draw(st.sampled_from(VECTORS))
    inner = draw(shaped_exprs(depth + 1))
    if kind in (1, 2):
        return f"{draw(st.sampled_from(ENTRYWISE_FNS))}({inner})"
    if kind == 3:
        return f"{draw(st.sampled_from(SCALAR_FNS))}({inner})"
    if kind == 4:
        return f"A ({inner})"
    if kind == 5:
        return f"({inner}) + {draw(st.sampled_from(VECTORS))}"
    return f"hadamard({inner}, {draw(st.sampled_from(VECTORS))})"


@st.composite
def shaped_files(draw):  # noqa: ANN001, ANN201
    v = draw(shaped_exprs())
    u = draw(shaped_exprs())
    scalar = draw(st.sampled_from([
        f"norm({v})^2", f"({v})^T ({u})", f"logsumexp({v})", f"b^T {draw(st.sampled_from(ENTRYWISE_FNS))}({v})",
        f"sum(i, 1, m, (y[i] - x[i]^T w)^2) + norm({v})^2", f"sum(i, 1, m, log(1 + exp(x[i]^T w)) - y[i] x[i]^T w)",
        f"trace(W) + ({v})^T b", f"log(det(W)) + w^T w", f"x[1]^T w + y[2] ({v})^T b", f"sum(i, 1, m, exp(w^T x[i])) + w^T ({v})",
    ]))
    variables = draw(st.sampled_from(["[w]", "[w, W]", "[W]", "[w, b]"]))
    sizes = draw(st.sampled_from([("d", "m"), ("3", "2"), ("E", "m")]))
    d, m = sizes
    part = draw(st.sampled_from([
        "{id: a, ask: gradient, of: L}", "{id: a, ask: hessian, of: L, wrt: w}", "{id: a, ask: jacobian, of: g, wrt: w}",
        "{id: a, ask: taylor, of: L}", "{id: a, ask: gradient, of: L, wrt: W}", "{id: a, ask: jacobian, of: grad L, wrt: w}",
        "{id: a, ask: identity, lhs: \"norm(X w - y)^2\", rhs: \"(X w - y)^T (X w - y)\"}",
        "{id: a, ask: gradient, of: L, at: {w: [1, 2, 0], X: [[1, 0, 1], [0, 1, 1]], y: [1, 2]}}",
    ]))
    return (f"id: prop\nvariables: {variables}\nshapes: {{w: [{d}], W: [{d}, {d}], A: [{d}, {d}], b: [{d}], v: [{d}], "
            f"X: [{m}, {d}], y: [{m}]}}\nfunctions:\n  g: \"{v}\"\n  L: \"{scalar}\"\nparts:\n  - {part}\n")


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(shaped_files())
def test_any_shaped_file_is_a_document_or_a_solgen_error(src):
    from solgen.errors import SolgenError
    from solgen.formats.templates import render
    from solgen.present.view import build_view

    try:
        solution = solve(parse_problem(src, "prop.yaml"))
    except SolgenError:
        return
    view_ = build_view(solution)
    for fmt in ("tex", "md", "html"):
        assert render(view_, fmt, "handout")
    assert json.loads(to_json(solution))["parts"]


def test_an_inverse_in_a_quadratic_form_compiles_with_pdflatex_and_pandoc(tmp_path):
    from conftest import need_pdflatex, need_tool
    from solgen.formats.templates import render
    from solgen.present.view import build_view

    src = "id: inv\nvariables: [x]\nshapes: {x: [n], A: [n, n]}\nfunctions:\n  f: \"x^T inv(A) x\"\nparts:\n" \
          "  - {id: a, ask: gradient, of: f}\n  - {id: b, ask: hessian, of: f}\n"
    view_ = build_view(solve(parse_problem(src, "inv.yaml")))
    tex = render(view_, "tex", "handout")
    assert r"A^{-T}" in tex and "^{-1}^" not in tex
    (tmp_path / "inv.tex").write_text(tex)
    proc = subprocess.run([need_pdflatex(), "-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "inv.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    (tmp_path / "inv.md").write_text(render(view_, "md", "handout"))
    pandoc = need_tool("pandoc")
    proc = subprocess.run([pandoc, "inv.md", "-o", "inv-md.tex", "--standalone"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([need_pdflatex(), "-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "inv-md.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
