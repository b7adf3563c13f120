"""A grader reads a vector or matrix result back from the JSON alone: this module imports
SymPy and the JSON that `python -m solgen render --format json` wrote, nothing of solgen.
Each name of `shapes` becomes a MatrixSymbol, each size a Symbol; the `sympy` mirror of
`functions` and of each part's `result` is read with them; then, at concrete sizes and
random values, the gradient must equal the derivative of the function entry by entry, and
the Hessian the derivative of the gradient."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

ROOT = Path(__file__).resolve().parent.parent
SHAPED = ["ridge", "least-squares", "quadratic", "logistic", "softmax"]


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    out = tmp_path_factory.mktemp("grader")
    files = [str(ROOT / "problems" / f"{name}.yaml") for name in SHAPED]
    proc = subprocess.run([sys.executable, "-m", "solgen", "render", *files, "--format", "json", "--out", str(out),
                           "--no-cache", "-q"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return {name: json.loads((out / f"{name}.json").read_text()) for name in SHAPED}


def _names(doc: dict, sizes: dict[str, int]) -> tuple[dict, dict]:
    """SymPy names for the JSON's: MatrixSymbols of concrete size, and the sizes."""
    size_syms = {}
    for dims in doc["shapes"].values():
        for d in dims:
            if isinstance(d, str):
                size_syms[d] = sp.Symbol(d, integer=True, positive=True)
    names: dict = dict(size_syms)
    for name, dims in doc["shapes"].items():
        rows = size_syms.get(dims[0], dims[0]) if isinstance(dims[0], str) else dims[0]
        cols = (size_syms.get(dims[1], dims[1]) if isinstance(dims[1], str) else dims[1]) if len(dims) > 1 else 1
        names[name] = sp.MatrixSymbol(name, rows, cols)
    return names, {size_syms[k]: v for k, v in sizes.items() if k in size_syms}


def _concrete(doc: dict, names: dict, sizes: dict, rng: random.Random) -> tuple[dict, list]:
    """Random rational values for every shaped name but the variable, whose entries stay symbols."""
    var = doc["variables"][0]
    values, entries = {}, []
    for name, dims in doc["shapes"].items():
        m = names[name]
        r, c = int(m.shape[0].subs(sizes)), int(m.shape[1].subs(sizes))
        if name == var:
            entries = [sp.Symbol(f"{var}_{i}") for i in range(r)]
            values[m] = sp.ImmutableMatrix(r, c, entries)
        elif doc.get("assume", {}).get(name) in ("onehot", "probability"):
            k = rng.randrange(r)
            values[m] = sp.ImmutableMatrix(r, c, [1 if i == k else 0 for i in range(r)])
        else:
            entries_ = [sp.Rational(rng.randint(-9, 9), rng.randint(1, 4)) for _ in range(r * c)]
            values[m] = sp.ImmutableMatrix(r, c, entries_)
            if doc.get("assume", {}).get(name) in ("symmetric", "positive_definite"):
                values[m] = values[m] * values[m].T + sp.eye(r)
    return values, entries


def _explicit(text: str, names: dict, sizes: dict, values: dict) -> sp.Matrix:
    expr = sp.sympify(text, locals=names)  # solgen's output, as a grader reads it
    expr = expr.subs(sizes)
    by_name = {sym.name: val for sym, val in values.items()}  # by name: SymPy's subs can leave a size inside a shape
    expr = expr.replace(lambda a: isinstance(a, sp.MatrixSymbol) and a.name in by_name, lambda a: by_name[a.name])
    expr = expr.doit()
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: e.doit())
    if isinstance(expr, sp.MatrixExpr):
        return expr.as_explicit().applyfunc(lambda e: e.doit())
    return sp.Matrix([[expr]])


def _equal_at(a: sp.Matrix, b: sp.Matrix, entries: list, rng: random.Random) -> bool:
    assert a.shape == b.shape, (a.shape, b.shape)
    for _ in range(2):
        point = {e: sp.Rational(rng.randint(-5, 5), rng.randint(1, 3)) for e in entries}
        diff = (a - b).subs(point).evalf(30)
        if any(abs(complex(v)) > 1e-12 for v in diff):
            return False
    return True


@pytest.mark.parametrize("name", SHAPED)
def test_a_shaped_gradient_and_hessian_read_back_from_the_json_alone(docs, name):
    doc = docs[name]
    rng = random.Random(name)
    sizes = {s: rng.choice([2, 3]) for dims in doc["shapes"].values() for s in dims if isinstance(s, str)}
    names, size_subs = _names(doc, sizes)
    values, entries = _concrete(doc, names, size_subs, rng)
    checked = 0
    for part in doc["parts"]:
        if part["ask"] not in ("gradient", "hessian"):
            continue
        fn = doc["sympy"]["functions"][part["of"]]
        f = _explicit(fn, names, size_subs, values)
        assert f.shape == (1, 1)
        grad = sp.Matrix([f[0, 0].diff(e) for e in entries])
        result = _explicit(part["sympy"]["result"], names, size_subs, values)
        want = grad if part["ask"] == "gradient" else grad.jacobian(entries)
        assert _equal_at(result, want, entries, rng), (part["id"], part["sympy"]["result"])
        checked += 1
    assert checked >= 2
