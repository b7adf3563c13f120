"""What a TA hands out as it is (issue 19): the short derivation by default, each thing said
once, readable slides that never overflow, titles and words of a TA, the source's notation,
every requested value in every format, and Markdown every reader reads alike."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import PROBLEMS, ROOT, need_pdflatex, rendered, view
from solgen.formats.inline import render as render_inline

KINDS = ("handout", "worksheet", "slides", "slides-worksheet")
FORMATS = ("tex", "md", "html")
P = {p.stem: str(p) for p in PROBLEMS}


def problem(text: str, tmp_path, name: str = "p.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def fresh(path: str, fmt: str, kind: str = "handout") -> str:
    from solgen.derive.calculus import solve
    from solgen.formats.templates import render
    from solgen.input.problem import load_problem
    from solgen.present.view import build_view

    return render(build_view(solve(load_problem(path))), fmt, kind)


def pdf_pages(tex: str, tmp_path) -> tuple[int, str]:
    exe = need_pdflatex()
    (tmp_path / "doc.tex").write_text(tex)
    for _ in range(2):
        proc = subprocess.run([exe, "-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "doc.tex"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-2000:]
    log = (tmp_path / "doc.log").read_text(errors="replace")
    pages = int(re.search(r"Output written on doc.pdf \((\d+) page", log).group(1))  # type: ignore[union-attr]
    return pages, log


# -- words and titles of a TA ---------------------------------------------------------------

@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_no_document_names_the_tool_or_stands_under_a_file_id(path):
    doc = view(str(path))
    heading = str(doc["heading"])
    assert heading != doc["id"]
    if not re.fullmatch(r"\d+(\.\d+)*[A-Za-z]?", doc["id"]):  # "Problem 1.2: ..." is a book's number; "Problem aside:" is not
        assert f"Problem {doc['id']}" not in heading
    for fmt in FORMATS:
        for kind in KINDS:
            out = rendered(str(path), fmt, kind)
            assert "solgen" not in out.lower(), (fmt, kind)
            assert not re.search(r"Answer I\b|Answer II\b", out)


def test_a_word_id_is_not_a_title(tmp_path):
    titled = fresh(problem('id: gradient-picture\ntitle: "Contours and gradients"\nvariables: [x]\n'
                           'functions: {f: "x^2"}\nparts: [{id: a, ask: gradient, of: f}]\n', tmp_path), "md")
    assert titled.startswith("# Contours and gradients\n") and "gradient-picture" not in titled
    untitled = fresh(problem('id: least-squares\nvariables: [x]\nfunctions: {f: "x^2"}\n'
                             'parts: [{id: a, ask: gradient, of: f}]\n', tmp_path), "md")
    assert untitled.startswith("# Least squares\n")


# -- the default is the short derivation; nothing said twice ----------------------------------

def test_the_handout_is_the_short_derivation_and_fits_three_pages(tmp_path):
    md = rendered(P["1.2"], "md")
    assert "(the variable itself)" not in md and "(power rule)" in md and "(chain rule with $u = x_1 x_2$)" in md
    pages, _ = pdf_pages(rendered(P["1.2"], "tex"), tmp_path)
    assert pages <= 3


def test_a_question_is_printed_once_and_later_questions_refer_back():
    md = rendered(P["1.2"], "md")
    for q in view(P["1.2"])["questions"]:
        first = render_inline(q["prompt"], "md").split("\n")[0][:60]
        assert md.count(first) == 1, first
    b = md[md.index("## (b)"):md.index("## (c)")]
    d = md[md.index("## (d)"):md.index("## (g)")]
    assert "already found in (a)" in b and "(treat" not in b  # every entry of (b) is one of (a)'s second partials
    assert "already found in (a)" in d and r"\nabla_x f(x) =" not in d  # (d) does not print (a)'s gradient again
    g = md[md.index("## (g)"):md.index("## (h)")]
    assert g.count(r"\nabla_x f(1, 1) =") == 1


def test_the_neuron_names_u_once_for_its_five_partials():
    md = rendered(P["neuron"], "md")
    steps = [line for line in md.splitlines() if line.startswith("- ")]
    assert len(steps) == 5
    assert sum("chain rule with $u = w_0 x_0 + w_1 x_1 + w_2$" in s for s in steps) == 1
    assert sum("chain rule, the same $u$" in s for s in steps) == 4
    assert all(r"\sigma(w_0" not in s for s in steps)  # the steps read in u
    assert r"\approx \begin{bmatrix} -0.1966 \\ -0.3932 \\ 0.1966 \\ 0.3932 \\ -0.5898 \end{bmatrix}" in md


# -- slides readable from the back, never overflowing ----------------------------------------

@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_slides_keep_the_body_size(path):
    for kind in ("slides", "slides-worksheet"):
        tex = rendered(str(path), "tex", kind)
        assert not re.search(r"\\(footnotesize|scriptsize|tiny)\b", tex), kind


def test_full_detail_slides_split_rather_than_overflow(tmp_path):
    text = (ROOT / "problems" / "1.2.yaml").read_text(encoding="utf-8") + "options: {detail: full}\n"
    path = problem(text, tmp_path, "full.yaml")
    tex = fresh(path, "tex", "slides")
    pages, log = pdf_pages(tex, tmp_path)
    assert "Overfull \\vbox" not in log
    assert "(continued)" in tex  # a long derivation goes on to a frame of its own
    frames = tex.count("\\begin{frame}")
    assert frames <= 30, frames


def test_a_frame_does_not_open_on_its_result():
    tex = rendered(P["1.2"], "tex", "slides")
    for frame in tex.split("\\begin{frame}")[1:]:
        if "\\pause" not in frame:
            continue
        first = frame[frame.index("\\solstep"):frame.index("\\pause")]
        assert "(the terms together)" not in first and "(the result)" not in first


def test_the_seed_problem_deck_is_a_reasonable_size():
    tex = rendered(P["1.2"], "tex", "slides")
    assert tex.count("\\begin{frame}") <= 24
    md = rendered(P["1.2"], "md", "slides")
    assert md.count("\n---\n") <= 24


# -- notation of the source ---------------------------------------------------------------------

def test_factors_and_arguments_in_the_order_written(tmp_path):
    md = rendered(P["stewart-spherical"], "md")
    assert r"\rho \sin\phi \cos\theta" in md and r"\rho \cos\phi \cos\theta" in md
    assert r"\cos\theta \cos\phi" not in md and r"\sin(\phi)" not in md
    src = problem('id: "c"\ntitle: "c"\nvariables: [x, y]\nconstants: [C, D]\nfunctions:\n'
                  '  g: "cos(y - x) + exp(x)*cos(y) + (C + D*0 - 6)^2"\nparts: [{id: a, ask: gradient, of: g}]\n', tmp_path)
    md = fresh(src, "md")
    assert r"\cos(y - x)" in md and r"\cos(x - y)" not in md and r"\sin(x - y)" not in md
    assert r"e^x \cos y" in md and r"\cos y e^x" not in md and r"-e^x \sin y" in md
    assert "(C - 6)^2" in md and "+ 0" not in md


def test_a_function_of_one_variable_has_f_prime_and_its_own_name(tmp_path):
    md = rendered(P["stewart-one-variable"], "md")
    assert "f'(x) = 2 x \\ln(x) + x" in md and r"\partial" not in md and r"\log" not in md
    assert r"f''(x)" in md and "f^{(2)}" not in md
    src = problem('id: "f"\ntitle: "f"\nvariables: [x]\nfunctions: {f2: "x^3"}\nparts: [{id: a, ask: gradient, of: f2}]\n', tmp_path)
    md = fresh(src, "md")
    assert "f_2'(x) = 3 x^2" in md and "f2" not in md


def test_headings_have_no_argument_list():
    md = rendered(P["neuron"], "md")
    assert r"\frac{\partial f}{\partial w_0}" in md and r"\partial f(w_0" not in md


def test_ln_in_matrix_mode(tmp_path):
    src = problem('id: "l"\ntitle: "Log loss"\noptions: {log: ln}\nvariables: [w]\nshapes: {w: [d], X: [m, d], y: [m]}\n'
                  'functions:\n  p: "sigmoid(X w)"\n  J: "-(y^T log(p) + (1 - y)^T log(1 - p))"\n'
                  'parts: [{id: a, ask: gradient, of: J}]\n', tmp_path)
    for fmt in FORMATS:
        out = fresh(src, fmt)
        assert "\\log" not in out and "\\ln" in out, fmt


# -- every value asked for, in every format -------------------------------------------------------

def test_values_at_a_point_in_every_format():
    for fmt in FORMATS:
        out = rendered(P["mml-5.15"], fmt)
        assert "14" in out and "12" in out and "15.091" in out, fmt
    tex = rendered(P["mml-5.15"], "tex")
    assert r"\nabla f(1, 2) = \begin{bmatrix} 6 \\ 14 \end{bmatrix}" in tex
    assert r"\nabla^2 f(1, 2) = \begin{bmatrix} 2 & 2 \\ 2 & 12 \end{bmatrix}" in tex
    tex = rendered(P["1.2"], "tex")
    assert r"f(0, 1) = 1" in tex


def test_an_estimate_prints_decimals_beside_the_exact_value():
    md = rendered(P["stewart-one-variable"], "md")
    assert r"f(1.1) \approx 0.115" in md and r"f(1.1) = \frac{121}{100} \ln\left(\frac{11}{10}\right) \approx 0.1153" in md


def test_problem_decks_keep_the_intro(tmp_path):
    for fmt in FORMATS:
        out = rendered(P["softmax"], fmt, "slides")
        assert "one-hot label" in out, fmt


# -- Markdown every reader reads alike ---------------------------------------------------------------

INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:[^$\\]|\\.)+?)\$(?!\$)")


@pytest.mark.parametrize("path", PROBLEMS, ids=[p.stem for p in PROBLEMS])
def test_inline_math_is_github_safe(path):
    for kind in KINDS:
        md = rendered(str(path), "md", kind)
        for line in md.splitlines():
            if line.strip().startswith("$$"):
                continue
            for m in INLINE.finditer(line):
                bad = re.findall(r"\\[^A-Za-z\s]", m.group(1))
                assert not bad, (kind, m.group(0)[:120])
        if kind.startswith("slides"):
            front = md.split("---", 2)[1]
            assert "katex" not in front and "math:" not in front


def test_softmax_reasons_use_the_files_names(tmp_path):
    src = problem('id: "sm"\ntitle: "Softmax of x"\nvariables: [x1, x2]\nfunctions:\n'
                  '  p1: "exp(x1)/(exp(x1) + exp(x2))"\n  p2: "exp(x2)/(exp(x1) + exp(x2))"\n  L: "-log(p1)"\n'
                  'parts: [{id: a, ask: gradient, of: L}]\n', tmp_path)
    md = fresh(src, "md")
    assert r"\frac{\partial p_i}{\partial x_j} = p_i(\delta_{ij} - p_j)" in md and "z_j" not in md
    assert r"\left(-\frac{1}{p_1}\right) \cdot p_1 (1 - p_1) = p_1 - 1" in md


def test_a_question_refers_to_itself_as_above(tmp_path):
    md = rendered(P["3.1"], "md")
    b = md[md.index("## (b)"):]
    assert "found above" in b and "found in (b)" not in b
