"""Figures (``ask: figure``): what a TA would check on the picture. The arrow points along
the computed gradient, at the stated scale; the contour through the point passes through
it; the tangent is orthogonal to the gradient; the worksheet has no gradient; slides
reveal the layers one at a time; the SVG is valid and says what it shows; a window
outside the domain leaves gaps, not a crash; bad input is an error at its line; nothing
from the file is executed; plain renders never load numpy."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from conftest import ROOT, need_pdflatex, rendered, solved
from solgen.formats.inline import render as render_inline
from solgen.cli import main
from solgen.errors import SpecError
from solgen.input.problem import parse_problem

P12 = str(ROOT / "problems" / "1.2.yaml")
SVG_NS = "{http://www.w3.org/2000/svg}"
E = math.e


class SvgSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "svg"


def _figures(path: str = P12):
    return [r for r in solved(path).derivations if r.part.ask == "figure"]


def _view_parts(path: str = P12):
    from conftest import view

    return [p for q in view(path)["questions"] for p in q["parts"] if p["ask"] == "figure"]


def _angle(v: tuple[float, float], w: tuple[float, float]) -> float:
    dot = v[0] * w[0] + v[1] * w[1]
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / (math.hypot(*v) * math.hypot(*w))))))


def _problem(parts: str, variables: str = "[x1, x2]", function: str = "x1^2 + exp(x1*x2) + 2*log(x2)",
             assume: str = "{x2: positive}") -> str:
    return (f'id: "t"\nvariables: {variables}\nassume: {assume}\nfunctions:\n  f: "{function}"\nparts:\n{parts}')


# -- the model: arrows, contours, tangent -------------------------------------------------

def test_gradient_arrow_is_the_derived_gradient_at_its_stated_scale():
    for r in _figures():
        fig = r.model
        (arrow,) = fig.layer("gradient").arrows
        g = tuple(float(c) for c in r.gradient_at)
        assert g == pytest.approx((2 + E, 2 + E))
        assert arrow.start == pytest.approx((1.0, 1.0))
        drawn = (arrow.end[0] - arrow.start[0], arrow.end[1] - arrow.start[1])
        assert _angle(drawn, g) < 0.01
        assert math.hypot(*drawn) == pytest.approx(fig.scale * math.hypot(*g))
        (x0, x1), (y0, y1) = fig.window
        assert x0 <= arrow.end[0] <= x1 and y0 <= arrow.end[1] <= y1  # fits in the picture


def test_contour_through_the_point_passes_through_it():
    for r in _figures():
        fig = r.model
        through = [c for c in fig.layer("contours").contours if c.through_point]
        assert len(through) == 1 and through[0].level == pytest.approx(float(r.value))
        span = fig.window[0][1] - fig.window[0][0]
        nearest = min(math.dist(v, fig.point) for line in through[0].lines for v in line)
        assert nearest < 0.01 * span
        levels = [c.level for c in fig.layer("contours").contours]
        assert len(levels) >= 5  # a picture, not one line


def test_every_contour_vertex_is_on_its_level():
    """The prepared data really are level curves of f (to the grid's accuracy)."""
    r = _figures()[0]
    expr = solved(P12).problem.functions["f"].exprs[0]
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    span = r.model.window[0][1] - r.model.window[0][0]
    for c in r.model.layer("contours").contours[::3]:
        for line in c.lines[:1]:
            for v in line[:: max(1, len(line) // 5)]:
                value = float(expr.subs({syms[0]: v[0], syms[1]: v[1]}))
                grad = [float(sp.diff(expr, s).subs({syms[0]: v[0], syms[1]: v[1]})) for s in syms]
                # off the level by at most (grid step + rounding) times the slope
                assert abs(value - c.level) <= math.hypot(*grad) * span / 60 + 1e-6


def test_tangent_is_orthogonal_to_the_gradient_and_directions_keep_their_signs():
    r = _figures()[0]
    ((s, e),) = r.model.layer("tangent").segments
    g = tuple(float(c) for c in r.gradient_at)
    assert _angle((e[0] - s[0], e[1] - s[1]), g) == pytest.approx(90, abs=0.01)
    assert ((s[0] + e[0]) / 2, (s[1] + e[1]) / 2) == pytest.approx(r.model.point)
    signs = {layer.key: layer.sign for layer in r.model.layers if layer.name == "direction"}
    assert signs == {"d1": "+", "d2": "-", "d3": "0"}  # taken from the directional part (g)
    for layer in r.model.layers:
        if layer.name == "direction":
            (a,) = layer.arrows
            vec = dict(r.part.directions or [(n, v) for n, v, _ in r.directions])[layer.key]
            assert _angle((a.end[0] - a.start[0], a.end[1] - a.start[1]), tuple(float(c) for c in vec)) < 0.01


def test_field_arrows_point_along_the_gradient_at_their_feet():
    r = _figures()[1]
    layer = r.model.layer("field")
    assert layer is not None and len(layer.arrows) > 20
    expr = solved(P12).problem.functions["f"].exprs[0]
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    grads = [sp.diff(expr, s) for s in syms]
    for a in layer.arrows[::7]:
        at = {syms[0]: a.start[0], syms[1]: a.start[1]}
        g = tuple(float(d.subs(at)) for d in grads)
        assert _angle((a.end[0] - a.start[0], a.end[1] - a.start[1]), g) < 1.0


def test_default_window_stays_inside_the_domain():
    fig = _figures()[0].model
    (x0, x1), (y0, y1) = fig.window
    assert y0 > 0  # log(x2) needs x2 > 0
    assert x0 < 1 < x1 and y0 < 1 < y1
    assert not fig.gaps


def test_a_window_outside_the_domain_leaves_gaps_not_a_crash(tmp_path):
    src = _problem("  - {id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, window: {x1: [-1, 2], x2: [-1, 2]}}\n",
                   function="x1 + log(x2)", assume="{}")
    problem = parse_problem(src)
    from solgen.derive.calculus import solve

    (r,) = solve(problem).derivations
    assert r.model.gaps
    for c in r.model.layer("contours").contours:
        for line in c.lines:
            assert min(y for _, y in line) > -0.05  # no contour where log(x2) has no value
    from solgen.present.view import build_view
    from solgen.formats.templates import render

    assert "fig gradient" in render(build_view(solve(problem)), "tex")


def test_no_field_arrow_where_f_has_no_value():
    """The gradient of log(x1 - x2) is 1/(x1 - x2), -1/(x1 - x2): it has values where the log
    has none (x2 > x1); the field draws no arrow there."""
    from solgen.derive.calculus import solve

    src = _problem("  - {id: a, ask: figure, of: f, at: {x1: 2, x2: 1}, window: {x1: [0, 3], x2: [0, 3]}, "
                   "show: [contours, field]}\n", function="log(x1 - x2) + x2^2", assume="{}")
    (r,) = solve(parse_problem(src)).derivations
    arrows = r.model.layer("field").arrows
    assert len(arrows) > 10 and all(a.start[1] < a.start[0] for a in arrows)
    assert r.model.gaps


def test_grid_values_match_sympy_and_are_nan_off_the_domain():
    import numpy as np

    from solgen.math.grid import values

    x, y = sp.symbols("x y", real=True)
    expr = sp.sqrt(x) * sp.sin(y) + sp.atan(x * y) / (1 + y**2) + sp.Abs(x - y) ** sp.Rational(1, 3) + sp.exp(-x) * sp.log(y)
    xs, ys = np.array([0.5, 2.0, -1.0]), np.array([1.5, 0.25, 2.0])
    got = values(expr, {x: xs, y: ys})
    for i in range(2):
        assert got[i] == pytest.approx(float(expr.subs({x: xs[i], y: ys[i]})), rel=1e-12)
    assert math.isnan(got[2])  # sqrt(-1): no real value, a gap
    assert values(x ** sp.Rational(1, 3), {x: np.array([-8.0])})[0] == pytest.approx(-2.0)


# -- the writers -----------------------------------------------------------------------------

def _tikz_arrow(tex: str, style: str) -> tuple[float, ...]:
    m = re.search(rf"\\draw\[{style}\] \(([-\d.]+),([-\d.]+)\) -- \(([-\d.]+),([-\d.]+)\)", tex)
    assert m, style
    return tuple(float(v) for v in m.groups())


def test_tex_arrow_points_along_the_gradient():
    """In the picture's units (the window's longer side is 10, both axes alike), the arrow
    starts at the point and is the gradient at the stated 1/10 scale."""
    part = _view_parts()[0]
    (x_lo, x_hi), (y_lo, _) = _figures()[0].model.window
    unit = 10 / (x_hi - x_lo)
    from solgen.formats.figures import draw

    x0, y0, x1, y1 = _tikz_arrow(str(draw(part["figure"]).tikz), "fig gradient")
    assert (x0 / unit + x_lo, y0 / unit + y_lo) == pytest.approx((1.0, 1.0), abs=1e-3)
    assert _angle((x1 - x0, y1 - y0), (2 + E, 2 + E)) < 0.05
    assert math.hypot(x1 - x0, y1 - y0) / unit == pytest.approx(0.1 * math.hypot(2 + E, 2 + E), rel=1e-3)
    assert "drawn at 1/10 of its length" in rendered(P12, "md")  # the scale is stated


def _svg(path: Path) -> ET.Element:
    root = ET.fromstring(path.read_text(encoding="utf-8"))  # well-formed XML, or this raises
    assert root.tag == SVG_NS + "svg"
    return root


def _svg_arrow(root: ET.Element, kind: str) -> tuple[float, float]:
    (line,) = [el for el in root.iter(SVG_NS + "line") if el.get("class") == kind]
    return float(line.get("x2")) - float(line.get("x1")), -(float(line.get("y2")) - float(line.get("y1")))  # y up


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["render", P12, "--all", "-f", "md", "-f", "html", "-f", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_svg_files_beside_the_documents_with_alt_text(written):
    md = (written / "1.2.md").read_text(encoding="utf-8")
    html = (written / "1.2.html").read_text(encoding="utf-8")
    for name in ("1.2-fig-g.svg", "1.2-fig-h.svg"):
        assert (written / name).is_file()
        assert f"]({name})" in md and f'src="{name}"' in html  # a relative path
    m = re.search(r'<img src="1\.2-fig-g\.svg" alt="([^"]*)"', html)
    alt = m.group(1)
    assert "x1^2 + exp(x1*x2) + 2*log(x2)" in alt and "(1, 1)" in alt and "(2 + e, 2 + e), about (4.718, 4.718)" in alt
    root = _svg(written / "1.2-fig-g.svg")
    assert root.find(SVG_NS + "title").text == alt.replace("&#34;", '"')
    assert root.get("aria-label") == root.find(SVG_NS + "title").text


def test_svg_is_valid_self_contained_and_its_arrow_points_along_the_gradient(written):
    for path in written.glob("*.svg"):
        text = path.read_text(encoding="utf-8")
        root = _svg(path)
        assert not list(root.iter(SVG_NS + "script")) and "href=\"http" not in text and "<foreignObject" not in text
        for el in root.iter():
            assert not any(k.startswith("on") for k in el.attrib), (path.name, el.tag)
    root = _svg(written / "1.2-fig-g.svg")
    assert _angle(_svg_arrow(root, "gradient"), (2 + E, 2 + E)) < 0.5
    assert _angle(_svg_arrow(root, "tangent"), (2 + E, 2 + E)) == pytest.approx(90, abs=0.5)


def test_worksheets_leave_the_gradient_to_draw(written):
    for name in ("1.2-fig-g-worksheet.svg", "1.2-fig-h-worksheet.svg"):
        root = _svg(written / name)
        classes = {el.get("class") for el in root.iter()}
        assert "contour" in classes and "point" in classes
        assert not classes & {"gradient", "tangent", "field"}
    worksheet = (written / "1.2-worksheet.html").read_text(encoding="utf-8")
    assert 'src="1.2-fig-g-worksheet.svg"' in worksheet and 'src="1.2-fig-g.svg"' not in worksheet
    assert "Draw the gradient" in worksheet
    tex = rendered(P12, "tex", "worksheet")
    assert "fig gradient]" not in tex and "fig tangent]" not in tex and "fig field]" not in tex
    assert "\\draw[fig through]" in tex and "Draw the gradient" in tex
    slides_ws = rendered(P12, "tex", "slides-worksheet")
    assert "fig gradient]" not in slides_ws and "\\draw[fig through]" in slides_ws


def test_slides_reveal_the_layers_one_at_a_time():
    tex = rendered(P12, "tex", "slides")
    (frame,) = [f for f in tex.split("\\begin{frame}")[1:] if f.startswith("{(g) Answer}") and "fig gradient" in f]
    reveals = re.findall(r"\\only<(\d+)->\{%\n\\draw\[fig (\w+)\]", frame)
    order = {kind: int(n) for n, kind in reveals if kind != "direction"}
    directions = [int(n) for n, kind in reveals if kind == "direction"]
    assert order == {"gradient": 2, "tangent": 3}
    assert directions == [6, 5, 4] or sorted(directions) == [4, 5, 6]
    assert "\\only<" not in frame[: frame.index("\\draw[fig through]")]  # the contours from the start


def test_handout_puts_the_figure_beside_its_answer():
    tex = rendered(P12, "tex")
    block = tex[tex.rindex("\\begin{minipage}[c]{0.64\\linewidth}"):]  # (h): the field picture
    assert block.index("\\nabla_x f(1, 1) =") < block.index("\\end{minipage}\\hfill\n\\begin{minipage}[c]{0.33\\linewidth}") \
        < block.index("\\begin{tikzpicture}")
    g = tex[tex.index("{\\large\\bfseries (g)}"):tex.index("{\\large\\bfseries (h)}")]
    assert g.count("\\nabla_x f(1, 1) =") == 1  # (g) says the gradient at the point once, with the readings


def test_pandoc_makes_a_pdf_with_the_figures(written, tmp_path):
    """`pandoc 1.2.md -o 1.2.pdf` in the output folder puts the SVGs in (through rsvg-convert)."""
    from conftest import need_tool

    exe = need_tool("pandoc")
    need_tool("rsvg-convert")
    proc = subprocess.run([exe, "1.2.md", "-o", str(tmp_path / "1.2.pdf")], cwd=written, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Could not" not in proc.stderr, proc.stderr  # no image left out
    text = subprocess.run([need_tool("pdftotext"), str(tmp_path / "1.2.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Contour lines of f" in text  # the figure's caption: its alt text


def test_json_gives_the_data_the_figure_was_drawn_from(written):
    doc = json.loads((written / "1.2.json").read_text(encoding="utf-8"))
    (g, h) = [p for p in doc["parts"] if p["ask"] == "figure"]
    result = g["result"]
    assert {"point", "gradient", "levels", "directions", "window"} <= set(result)
    assert result["point"] == {"x1": "1", "x2": "1"}
    assert [sp.sympify(v) for v in result["gradient"]] == [2 + sp.E, 2 + sp.E]
    assert result["directions"] == {"d1": ["1", "1"], "d2": ["-1", "-1"], "d3": ["1", "-1"]}
    assert min(abs(level - (1 + E)) for level in result["levels"]) < 1e-9  # one level through the point
    assert result["window"]["x2"][0] > 0
    assert h["result"]["window"] == {"x1": [-1.0, 1.5], "x2": [0.25, 2.5]}  # as the file gives it


def test_taylor_layer_compiles_and_matches_the_approximation(tmp_path):
    exe = need_pdflatex()
    src = _problem("  - {id: a, ask: figure, of: f, at: {x1: 0, x2: 1}, show: [contours, taylor, gradient, field], order: 2}\n"
                   "  - {id: b, ask: figure, of: f, at: {x1: 0, x2: 1}, show: [taylor, directions], directions: {d: [1, 0]}}\n")
    from solgen.derive.calculus import solve
    from solgen.formats.templates import render
    from solgen.present.view import build_view

    solution = solve(parse_problem(src))
    quad, lin = solution.derivations
    assert quad.model.taylor_order == 2 and lin.model.taylor_order == 1
    # f(0, 1) = 1, gradient (1, 2), Hessian [[3, 1], [1, -2]]: T2 at a vertex of its level-1 contour
    through = [c for c in lin.model.layer("taylor").contours if c.through_point][0]
    for x, y in through.lines[0]:
        assert 1 + x + 2 * (y - 1) == pytest.approx(1, abs=1e-2)  # the linear one: the tangent line
    t2 = [c for c in quad.model.layer("taylor").contours if c.through_point][0]
    for x, y in t2.lines[0][::5]:
        dy = y - 1
        assert 1 + x + 2 * dy + 0.5 * (3 * x * x + 2 * x * dy - 2 * dy * dy) == pytest.approx(1, abs=2e-2)
    view = build_view(solution)
    for kind in ("handout", "slides"):
        (tmp_path / "doc.tex").write_text(render(view, "tex", kind), encoding="utf-8")
        proc = subprocess.run([exe, "-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "doc.tex"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-2000:]
        assert "fig taylor" in (tmp_path / "doc.tex").read_text()


def test_slice_shows_f_along_a_direction_with_its_taylor_approximations():
    """slice: d1 draws f(x + t d1) against t; T1 is the tangent line at t = 0 (slope
    gradient^T d1 = 4 + 2e), T2 adds t^2/2 d1^T H d1, and near t = 0 it is the closer one."""
    from solgen.derive.calculus import solve

    problem = parse_problem(_problem("  - {id: g, ask: directional, of: f, at: {x1: 1, x2: 1}, directions: {d1: [1, 1]}}\n"
                                     "  - {id: g, ask: figure, of: f, at: {x1: 1, x2: 1}, slice: d1}\n"))
    r = solve(problem).derivations[1]
    fig = r.model
    assert not fig.equal and fig.window[0][0] < 0 < fig.window[0][1]
    (f_curve,) = fig.layer("contours").contours[0].lines
    t1, t2 = [c.lines[0] for c in fig.layer("taylor").contours]
    slope = 4 + 2 * E
    f0 = 1 + E
    for t, v in t1:
        assert v == pytest.approx(f0 + slope * t, abs=1e-3)
    near = [i for i, (t, _) in enumerate(f_curve) if 0 < abs(t) < 0.15]
    far = [i for i, (t, _) in enumerate(f_curve) if abs(t) > 0.4]
    assert max(abs(f_curve[i][1] - t1[i][1]) for i in near) < max(abs(f_curve[i][1] - t1[i][1]) for i in far)
    assert all(abs(f_curve[i][1] - t2[i][1]) <= abs(f_curve[i][1] - t1[i][1]) + 1e-3 for i in near)
    for t, v in f_curve[:: 40]:  # f itself, along the line
        assert v == pytest.approx((1 + t) ** 2 + math.exp((1 + t) ** 2) + 2 * math.log(1 + t), abs=2e-3)
    assert r.answer["window"].keys() == {"t"} and r.slice == "d1"


@pytest.mark.parametrize(
    ("part", "message"),
    [
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, slice: d, directions: {d: [1, 0]}, show: [gradient]}", "show may list contours and taylor only"),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, slice: d, directions: {d: [1, 0]}, window: {t: [1, 2]}}", "outside the window"),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, slice: [1, 0]}", "slice names a direction"),
    ],
)
def test_bad_slices_are_errors_at_their_line(part: str, message: str):
    with pytest.raises(SpecError) as err:
        parse_problem(_problem(f"  - {part}\n"))
    assert message in str(err.value) and err.value.line == 7


def test_slice_of_an_unknown_direction_is_an_error():
    from solgen.derive.calculus import solve
    from solgen.errors import DeriveError

    problem = parse_problem(_problem("  - {id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, slice: d9, directions: {d: [1, 0]}}\n"))
    with pytest.raises(DeriveError, match="slice: d9 is not one of the directions"):
        solve(problem)


# -- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("part", "message", "line"),
    [
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, show: [contours, gradiant]}", "unknown layer 'gradiant' in show; did you mean 'gradient'?", 7),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, window: {x1: [2, 0], x2: [0.5, 2]}}", "low (2) must be less than high (0)", 7),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, window: {x1: [0, 2]}}", "window gives no range for x2", 7),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, window: {x1: [0, 2], x2: [2, 3]}}", "outside the window", 7),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, window: {x1: 3, x2: [0.5, 2]}}", "must be [low, high]", 7),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, window: {x1: [0, 2], x2: [0.5, \"exp(\"]}}", "window x2", 7),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, order: 2}", "order is the taylor layer's", 7),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, show: [contours], directions: {d: [1, 1]}}", "show does not list 'directions'", 7),
        ("{id: a, ask: figure, of: f}", "needs a point 'at'", 7),
        ("{id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, detail: full}", "'detail' does not apply to a figure part", 7),
    ],
)
def test_bad_figure_parts_are_errors_at_their_line(part: str, message: str, line: int):
    with pytest.raises(SpecError) as err:
        parse_problem(_problem(f"  - {part}\n"))
    assert message in str(err.value) and err.value.line == line


def test_a_figure_needs_two_variables():
    with pytest.raises(SpecError) as err:
        parse_problem(_problem("  - {id: a, ask: figure, of: f, at: {x: 1, y: 1, z: 1}}\n", variables="[x, y, z]",
                               function="x*y*z", assume="{}"))
    assert "two variables; this problem has 3 (x, y, z)" in str(err.value) and err.value.line == 7


def test_bad_figure_exits_1_and_writes_nothing(tmp_path):
    src = tmp_path / "bad.yaml"
    src.write_text(_problem("  - {id: a, ask: gradient, of: f}\n"
                            "  - {id: b, ask: figure, of: f, at: {x1: 1, x2: 1},\n"
                            "     show: [contours, vectors]}\n"), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(src), "-f", "md", "-f", "tex", "-o", str(out)])
    assert result.exit_code == 1
    assert f"{src}:9: error:" in result.output and "unknown layer 'vectors'" in result.output
    assert not out.exists() or not list(out.iterdir())


def test_directions_from_a_named_question():
    from solgen.derive.calculus import solve

    problem = parse_problem(_problem("  - {id: g, ask: directional, of: f, at: {x1: 1, x2: 1}, directions: {u: [0, 1], v: [1, -1]}}\n"
                                     "  - {id: k, ask: figure, of: f, at: {x1: 1, x2: 1}, directions: g}\n"))
    fig = solve(problem).derivations[1].model
    assert [(layer.key, layer.sign) for layer in fig.layers if layer.name == "direction"] == [("u", "+"), ("v", "0")]
    with pytest.raises(SpecError, match="or name a question"):
        parse_problem(_problem("  - {id: k, ask: figure, of: f, at: {x1: 1, x2: 1}, directions: 'not a name'}\n"))


def test_directions_layer_without_directions_is_an_error(tmp_path):
    from solgen.derive.calculus import solve
    from solgen.errors import DeriveError

    problem = parse_problem(_problem("  - {id: a, ask: figure, of: f, at: {x1: 1, x2: 1}, show: [directions]}\n"))
    with pytest.raises(DeriveError, match="no directional part"):
        solve(problem)


# -- safety and speed -----------------------------------------------------------------------

def test_no_text_is_executed_to_draw():
    """The grid evaluator walks SymPy trees with a fixed table: no lambdify anywhere."""
    import ast

    root = ROOT / "solgen"
    banned = {"lambdify", "eval", "exec", "compile", "sympify", "parse_expr", "__import__"}
    for path in [*root.joinpath("figures").glob("*.py"), root / "asks" / "figure.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
            assert name not in banned, (path.name, getattr(node, "lineno", None), name)
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                assert not {a.name for a in node.names} & banned, path.name


def test_plain_renders_never_import_numpy():
    code = ("import sys\nfrom solgen.pipeline import Job, _work\n"
            f"out = _work({str(ROOT / 'problems' / '3.1.yaml')!r}, Job(formats=('tex', 'md', 'html', 'json')))\n"
            "assert out.error is None, out.error\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'contourpy', 'matplotlib')\n"
            "             or m in ('solgen.math.grid', 'solgen.math.figure', 'solgen.formats.svg', 'solgen.formats.tikz')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# -- snapshots of the SVG files -------------------------------------------------------------

@pytest.mark.parametrize("name", ["1.2-fig-g.svg", "1.2-fig-g-worksheet.svg", "1.2-fig-h.svg", "1.2-fig-h-worksheet.svg"])
def test_svg_snapshot(name, written, snapshot):
    assert (written / name).read_text(encoding="utf-8") == snapshot(extension_class=SvgSnapshot)


def test_a_function_kept_by_name_is_drawn_from_its_definition():
    """L uses p by name (p's steps and answers say p); the grid sees p's definition."""
    from solgen.math.grid import values
    import numpy as np

    problem = parse_problem(
        "id: t\nvariables: [w, b]\nfunctions:\n  p: \"sigmoid(w + b)\"\n  L: \"-log(p) + w^2\"\n"
        "parts:\n  - {id: a, ask: figure, of: L, at: {w: 0, b: 0}, show: [contours, gradient]}\n"
    )
    w, b = problem.variables
    grid = {w: np.array([0.0, 1.0, -2.0]), b: np.array([0.0, 0.5, 1.0])}
    got = values(problem.functions["L"].exprs[0], grid)
    want = -np.log(1 / (1 + np.exp(-(grid[w] + grid[b])))) + grid[w] ** 2
    assert np.allclose(got, want)
    from solgen.derive.calculus import solve

    (fig,) = solve(problem).derivations
    assert [sp.nsimplify(g) for g in fig.answer["gradient"]] == [sp.Rational(-1, 2), sp.Rational(-1, 2)]


def test_a_slice_part_is_asked_as_a_graph_along_its_direction():
    from solgen.present.view import build_view
    from solgen.derive.calculus import solve

    problem = parse_problem(_problem("  - {id: g, ask: directional, of: f, at: {x1: 1, x2: 1}, directions: {d1: [1, 1]}}\n"
                                     "  - {id: k, ask: figure, of: f, at: {x1: 1, x2: 1}, directions: g, slice: d1}\n"))
    (question,) = [q for q in build_view(solve(problem))["questions"] if q["id"] == "k"]
    prompt = render_inline(question["prompt"], "md")
    assert "the graph of $f$ along the direction $d_1$" in prompt and "contour" not in prompt
