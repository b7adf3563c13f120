"""What the speed-ups must not change: the checker's kept values are the values it would
compute afresh, and a cached re-render serves its outputs without importing SymPy.
(Timings are bench/run.py's: never asserted here.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gc
import resource

import mpmath
import pytest
import sympy as sp

from solgen.derive import check
from solgen.math import lazy, numeric

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
        "import sys\n"
        "from solgen.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit as e:\n    code = e.code\n"
        "print(sorted(m for m in ('sympy', 'jinja2', 'yaml', 'markdown_it', 'mpmath') if m in sys.modules), code)\n"
    )
    second = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "(unchanged)" in second.stdout
    assert second.stdout.strip().splitlines()[-1] == "[] 0"
    assert (tmp_path / "out" / "1.2.tex").read_text() == tex  # the removed output is served again


def test_the_command_ends_with_its_status_its_files_and_its_exit_handlers(tmp_path):
    """``solgen`` skips Python's teardown (cli.run): what a normal exit does first still
    happens (atexit handlers, flushed output), and the exit status is the command's."""
    good = tmp_path / "1.2.yaml"
    good.write_bytes((ROOT / "problems" / "1.2.yaml").read_bytes())
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nvariables: [x]\nfunctions:\n  f: \"x^\"\nparts:\n  - id: a\n    ask: gradient\n    of: f\n")
    for path, status in ((good, 0), (bad, 1)):
        probe = (
            "import atexit, sys\n"
            "atexit.register(lambda: print('exit handler ran'))\n"
            f"sys.argv = ['solgen', 'render', {str(path)!r}, '--no-cache', '--out', {str(tmp_path / 'out')!r}]\n"
            "from solgen.cli import run\nrun()\nprint('not reached')\n"
        )
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
        assert done.returncode == status, done.stderr
        assert done.stdout.splitlines()[-1] == "exit handler ran"
        assert "not reached" not in done.stdout
    assert (tmp_path / "out" / "1.2.tex").read_text().rstrip().endswith(r"\end{document}")
    assert f"{bad}:4: error:" in done.stderr
    assert "Traceback" not in done.stderr


def test_imports_run_with_the_collector_paused_and_it_resumes(tmp_path, monkeypatch):
    """lazy.load pauses the cyclic collector while it imports (nested loads resume it only
    at the outermost), and leaves it as it found it, even when the import fails."""
    (tmp_path / "gc_probe_a.py").write_text("import gc\nfrom solgen.math import lazy\nSEEN = gc.isenabled()\n"
                                            "INNER = lazy.load('probe_b')\nAFTER_INNER = gc.isenabled()\n")
    (tmp_path / "gc_probe_b.py").write_text("import gc\nSEEN = gc.isenabled()\n")
    (tmp_path / "gc_probe_bad.py").write_text("raise ImportError('no')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(lazy.MODULES, "probe_a", "gc_probe_a")
    monkeypatch.setitem(lazy.MODULES, "probe_b", "gc_probe_b")
    monkeypatch.setitem(lazy.MODULES, "probe_bad", "gc_probe_bad")
    assert gc.isenabled()
    try:
        a = lazy.load("probe_a")
        assert (a.SEEN, a.INNER.SEEN, a.AFTER_INNER) == (False, False, False)
        assert gc.isenabled()
        assert lazy.load("probe_a") is a  # loaded once
        try:
            lazy.load("probe_bad")
        except ImportError:
            pass
        assert gc.isenabled()
        gc.disable()  # a caller that paused it itself: left paused
        monkeypatch.setitem(lazy.MODULES, "probe_c", "gc_probe_b")
        sys.modules.pop("gc_probe_b")
        lazy.load("probe_c")
        assert not gc.isenabled()
    finally:
        gc.enable()
        for name in ("gc_probe_a", "gc_probe_b", "gc_probe_bad"):
            sys.modules.pop(name, None)


def test_a_worker_freezes_what_it_imports(tmp_path, monkeypatch):
    """In a worker (lazy.freeze_imports) what an import made is frozen: the collector
    never scans it again during the render."""
    (tmp_path / "gc_probe_frozen.py").write_text("OBJECTS = [[i] for i in range(1000)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(lazy.MODULES, "probe_frozen", "gc_probe_frozen")
    monkeypatch.setattr(lazy, "_freeze", False)
    before = gc.get_freeze_count()
    try:
        lazy.freeze_imports()
        lazy.load("probe_frozen")
        assert gc.get_freeze_count() >= before + 1000
    finally:
        gc.unfreeze()
        sys.modules.pop("gc_probe_frozen", None)


def _leaf() -> int:
    return 1


def _calls_at_depth(depth: int, calls: int) -> int:
    """Page faults of ``calls`` calls made ``depth`` frames down (a fresh chunk of the frame
    stack, mapped on each call that crosses into it, is a page fault)."""
    if depth:
        return _calls_at_depth(depth - 1, calls)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        _leaf()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def _worst_depth() -> int:
    return max(_calls_at_depth(d, 2000) for d in range(300))  # more than a chunk's worth of these frames


def test_frames_under_roomy_never_cross_into_a_new_chunk_per_call():
    """CPython 3.11 to 3.14 unmap a frame-stack chunk when its first frame returns, so a loop
    calling across a chunk's end maps one per call (workers.roomy). Under ``roomy`` the
    render's frames share one chunk: no depth pays a fault per call."""
    from solgen.build import workers

    if not workers._CHUNKED:
        pytest.skip("this Python keeps its frames without 16 KiB chunks")
    assert _worst_depth() >= 1000  # the pathology is real here: some depth maps a chunk per call
    assert workers.roomy(_worst_depth) < 100
    assert workers.roomy(lambda a, b=0: (a, b), 1, b=2) == (1, 2)
    with pytest.raises(ZeroDivisionError):
        workers.roomy(lambda: 1 / 0)


def test_a_json_render_without_prose_math_never_imports_markdown_it(tmp_path):
    """markdown-it (a tenth of the bare imports) is loaded by the first parse of prose: a
    JSON render of a file whose prose has no formula never needs it; one with a formula
    still checks it (a refused command is still warned about at its line)."""
    plain = tmp_path / "plain.yaml"
    plain.write_text("id: plain\ntitle: Plain\nvariables: [x, y]\nfunctions:\n  f: \"x^2*y\"\n"
                     "parts:\n  - id: a\n    ask: gradient\n    of: f\n    prompt: Find the gradient of f.\n")
    mathy = tmp_path / "mathy.yaml"
    mathy.write_text(plain.read_text().replace("plain", "mathy").replace("of f.", r"of $f \evil$."))
    for path, imported in ((plain, False), (mathy, True)):
        probe = (
            "import sys\nfrom solgen.cli import main\n"
            f"try:\n    main(['render', {str(path)!r}, '--format', 'json', '--no-cache', '--debug', "
            f"'--out', {str(tmp_path / 'out')!r}])\nexcept SystemExit as e:\n    code = e.code\n"
            "print('markdown_it' in sys.modules, code)\n"
        )
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().splitlines()[-1] == f"{imported} 0"
    assert "mathy.yaml:10: warning:" in done.stderr and r"\evil" in done.stderr
    assert (tmp_path / "out" / "plain.json").exists()
