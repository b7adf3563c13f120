"""What the speed-ups must not change: the checker's kept values are the values it would
compute afresh, and a cached re-render serves its outputs without importing SymPy.
(Timings are bench/run.py's: never asserted here.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import mpmath
import sympy as sp

from solgen.derive import check
from solgen.math import numeric

ROOT = Path(__file__).resolve().parent.parent


def _fresh(fn, *args):
    numeric._MEMOS.clear()
    numeric._DEPENDS.clear()
    return fn(*args)


def test_kept_values_are_the_values_computed_afresh():
    x1, x2, x3 = sp.symbols("x1:4", real=True)
    exprs = [
        sp.exp(x1 * x2) + sp.log(1 + x1**2) + sp.sin(x1 + x2 + x3),
        x2 * sp.exp(x1 * x2) + 2 * x1 / (1 + x1**2) + sp.cos(x1 + x2 + x3),
        sp.sqrt(x1 + x3) * sp.atan(x2) - x3**3 / (x1 + 2),
    ]
    points = check._sample_points({x1, x2, x3}, seed=3)
    # first pass with memos shared between every expression, variable and point
    warm = [(numeric.value(e, p), numeric.slope(e, v, p)) for e in exprs for v in (x1, x2, x3) for p in points]
    fresh = [(_fresh(numeric.value, e, p), _fresh(numeric.slope, e, v, p)) for e in exprs for v in (x1, x2, x3) for p in points]
    assert warm == fresh  # the same numbers, bit for bit
    for e in exprs:  # and they are the expression's values and slopes
        for p in points[:2]:
            want = complex(e.xreplace(p).evalf(50))
            assert abs(numeric.value(e, p) - want) <= 1e-12 * max(1, abs(want))
            for v in (x1, x2, x3):
                want = complex(sp.diff(e, v).xreplace(p).evalf(50))
                assert abs(numeric.slope(e, v, p) - want) <= 1e-12 * max(1, abs(want))


def test_a_moved_point_reuses_only_parts_that_do_not_depend_on_the_moved_variable():
    x, y = sp.symbols("x y", real=True)
    expr = sp.exp(y) * sp.sin(x) + y**2
    point = {x: sp.Rational(1, 3), y: sp.Rational(1, 2)}
    with mpmath.workdps(60):
        exact = mpmath.cos(mpmath.mpf(1) / 3) * mpmath.exp(mpmath.mpf(1) / 2)
    for _ in range(2):  # the second time every part comes from the memos
        assert abs(numeric.slope(expr, x, point) - complex(exact)) < 1e-15
        assert abs(numeric.slope(expr, y, point) - complex(mpmath.sin(mpmath.mpf(1) / 3) * mpmath.exp(0.5) + 1)) < 1e-15


def test_a_wrong_derivative_is_still_refused():
    x1, x2 = sp.symbols("x1 x2", real=True)
    f = sp.exp(x1 * x2) + sp.sin(x1 + x2)
    right = sp.diff(f, x1)
    for _ in range(2):  # memos warm or not: the same verdicts
        assert check.matches_slope(right, f, x1) is True
        assert check.matches_slope(right + sp.Rational(1, 10**9) * x2, f, x1) is False
        assert check.matches_slope(sp.diff(f, x2), f, x1) is False


def test_a_cached_rerender_does_not_import_sympy(tmp_path):
    problem = tmp_path / "1.2.yaml"
    problem.write_bytes((ROOT / "problems" / "1.2.yaml").read_bytes())
    env = {**os.environ, "SOLGEN_CACHE_DIR": str(tmp_path / "cache")}
    args = ["render", str(problem), "--format", "tex", "--out", str(tmp_path / "out")]
    first = subprocess.run([sys.executable, "-m", "solgen.cli", *args], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    tex = (tmp_path / "out" / "1.2.tex").read_text()
    (tmp_path / "out" / "1.2.tex").unlink()
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['solgen', *{args!r}]\n"
        "try:\n    runpy.run_module('solgen.cli', run_name='__main__')\nexcept SystemExit as e:\n    code = e.code\n"
        "print(sorted(m for m in ('sympy', 'jinja2', 'yaml', 'markdown_it', 'mpmath') if m in sys.modules), code)\n"
    )
    second = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "(unchanged)" in second.stdout
    assert second.stdout.strip().splitlines()[-1] == "[] 0"
    assert (tmp_path / "out" / "1.2.tex").read_text() == tex  # the removed output is served again
