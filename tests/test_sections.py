"""Section files (issue 13): what a TA checks in the deck, handout and worksheet of
sections/3.yaml, computed prose, and the errors a section file can make. Snapshots of every
sections/*.yaml in every format and kind, as tests/test_outputs.py has for problems."""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from conftest import ROOT, need_pdflatex
from solgen.cli import main
from solgen.pipeline import Job, _work

SECTIONS = sorted((ROOT / "sections").glob("*.yaml"))
KINDS = ("handout", "worksheet", "slides", "slides-worksheet")
FORMATS = ("tex", "md", "html")


@lru_cache(maxsize=None)
def made(path: str, fmt: str) -> dict[str, str]:
    """Every kind of the section at ``path`` in ``fmt``, by kind."""
    outcome = _work(path, Job((fmt,), KINDS, debug=True))
    assert outcome.error is None, (outcome.where, outcome.line, outcome.error, outcome.trace)
    sid = outcome.id
    return {k: outcome.files[f"{sid}{'' if k == 'handout' else '-' + k}.{fmt}"] for k in KINDS}


@lru_cache(maxsize=None)
def images() -> dict[str, bytes]:
    """The image files solgen writes beside the seed deck's documents."""
    outcome = _work(str(ROOT / "sections" / "3.yaml"), Job(("tex",), ("slides",), debug=True))
    return {n: d for n, d in outcome.files.items() if "-img-" in n}


def seed(fmt: str = "tex", kind: str = "slides") -> str:
    return made(str(ROOT / "sections" / "3.yaml"), fmt)[kind]


class TexSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "tex"


class MdSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "md"


class HtmlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "html"


SNAP = {"tex": TexSnapshot, "md": MdSnapshot, "html": HtmlSnapshot}
CASES = [(p, f, k) for p in SECTIONS for f in FORMATS for k in KINDS]


@pytest.mark.parametrize(("path", "fmt", "kind"), CASES, ids=[f"{p.stem}-{f}-{k}" for p, f, k in CASES])
def test_section_snapshot(path, fmt, kind, snapshot):
    assert made(str(path), fmt)[kind] == snapshot(extension_class=SNAP[fmt])


# -- the seed deck, as a TA reads it -------------------------------------------------------

def test_the_deck_has_the_seed_structure_in_order():
    deck = seed()
    order = ["446 Section 3", "Plans for today!", "super", "Plans for today!", "Reminders", "Aside (quick matrix proof)",
             "Derivative", "What is a derivative?", "What is a second derivative?", "different directions",
             "Calculate $f_x(x, y)$", "Calculate $f_y(x, y)$", "Gradient", "What is the gradient?",
             "Gradient in multiple dimensions", "Calculating the gradient", "Vocab", "How to calculate the gradient",
             "Jacobian", "From Gradient", "a layer", "Interpreting the Jacobian", "Hessian", "What is the Hessian?",
             "Developing Intuition", "Problems 1.2 a-b", "Solve them!", "Answers", "Approximations",
             "Linear Approximation", "Problem 1.2 c", "Problem 1.2 d", "Remember Taylor expansion?",
             "exact at } a", "close around } a", "better and better approximations", "Taylor around $x$",
             "The second order", "Problem 1.2 g", "That's it!"]
    at = 0
    for text in order:  # each one after the one before
        assert text in deck[at:], f"{text!r} missing, or not after the one before"
        at = deck.index(text, at) + len(text)
    agenda = deck[deck.index("Plans for today!"):]
    agenda = agenda[:agenda.index(r"\end{frame}")]
    assert [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"\\item (.*)", agenda)] == [
        "This", "Matrix Vector Proof", "Vector Calculus", "Approximations", "Problem 1.2"]


def test_the_vocabulary_table_is_computed():
    deck = seed()
    vocab = deck[deck.index("{Vocab}"):]
    vocab = vocab[:vocab.index(r"\end{frame}")]
    assert r"\begin{tabular}{lll}" in vocab
    assert r"$\frac{d}{dx}(x^2) = 2 x$" in vocab
    assert r"$\frac{\partial}{\partial x}(x^2 - x y) = 2 x - y$" in vocab
    assert r"$\nabla(x^2 - x y) = \begin{bmatrix} 2 x - y \\ -x \end{bmatrix}$" in vocab
    assert "`=" not in deck and "texttt{=" not in deck


def test_problems_are_asked_first_and_answered_later_with_the_seed_answers():
    deck = seed()
    asked = deck.index("{Problems 1.2 a-b}")
    answered = deck.index("{Answers}")
    assert asked < answered
    frame = deck[asked:deck.index(r"\end{frame}", asked)]
    assert "(a) Let $f(x_1, x_2) = x_1^2 + e^{x_1 x_2} + 2 \\log(x_2)$" in frame and "(b) Note that" in frame
    assert "2 x_1 + x_2 e^{x_1 x_2}" not in frame  # posed, not answered
    later = deck[answered:]
    assert "2 + x_2^2 e^{x_1 x_2}" in later  # the seed's Hessian entry, in its order
    assert "(b) Note that" in later and "equivalent" in later


def test_the_worksheet_has_the_questions_once_and_no_answers():
    sheet = seed("tex", "worksheet")
    assert sheet.count("What are the gradient and the Hessian of $f$?") == 1
    assert "2 + x_2^2 e^{x_1 x_2}" not in sheet and "Solution" not in sheet
    handout = seed("tex", "handout")
    assert "2 + x_2^2 e^{x_1 x_2}" in handout and "Solution" in handout


def test_one_preamble_for_every_tex_output():
    preamble = (ROOT / "templates" / "tex" / "preamble.tex.j2").read_text()
    first = next(line for line in preamble.splitlines() if line.startswith("\\usepackage"))
    for kind in KINDS:
        assert seed("tex", kind).count(first) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_every_section_output_compiles(kind, tmp_path):
    exe = need_pdflatex()
    (tmp_path / "doc.tex").write_text(seed("tex", kind))
    for name, data in images().items():  # the slides' pictures, beside the .tex as solgen writes them
        (tmp_path / name).write_bytes(data)
    for _ in range(2):
        proc = subprocess.run([exe, "-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "doc.tex"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "doc.pdf").stat().st_size > 1000


@pytest.mark.parametrize("kind", KINDS)
def test_markdown_math_parses(kind):
    md = MarkdownIt("commonmark").use(dollarmath_plugin).enable("table")
    tokens = md.parse(seed("md", kind))
    assert tokens
    text = seed("md", kind)
    assert "`=" not in text
    if kind == "slides":
        # a column inside a table cell: the transposed row, which GitHub's Markdown does not garble
        assert "| Gradient | $\\nabla$ | $\\nabla(x^2 - x y) = \\begin{bmatrix} 2 x - y & -x \\end{bmatrix}^T$ |" in text
        assert "\n\n---\n\n## Plans for today\\!" in text


def test_html_deck_is_math_not_tex():
    page = seed("html", "slides")
    assert "<math" in page and "<table>" in page
    assert "\\frac{\\partial}" not in re.sub(r'alttext="[^"]*"', "", page)


def test_cli_renders_a_section_into_deck_handout_and_worksheet(tmp_path):
    res = CliRunner().invoke(main, ["render", str(ROOT / "sections" / "3.yaml"), "--out", str(tmp_path), "-f", "tex", "-f", "md"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "1.2-fig-g-worksheet.svg", "1.2-fig-g.svg",  # the figure of 1.2 (g), beside the Markdown
        *sorted(f"section-3-img-{n}.{e}" for n in ("derivative", "directions", "gradient-field", "linear-approximation",
                                                   "second-derivative") for e in ("pdf", "svg")),  # the slides' pictures
        "section-3-slides.md", "section-3-slides.tex", "section-3-worksheet.md", "section-3-worksheet.tex",
        "section-3.md", "section-3.tex"]
    res = CliRunner().invoke(main, ["render", str(ROOT / "sections" / "3.yaml"), "--out", str(tmp_path / "s"), "--slides"])
    assert res.exit_code == 0 and sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        *sorted(f"section-3-img-{n}.pdf" for n in ("derivative", "directions", "gradient-field", "linear-approximation",
                                                   "second-derivative")), "section-3-slides.tex"]  # LaTeX's pictures only


def test_the_deck_pdf(tmp_path):
    need_pdflatex()
    res = CliRunner().invoke(main, ["render", str(ROOT / "sections" / "3.yaml"), "--out", str(tmp_path), "--slides", "--pdf"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "section-3-slides.pdf").read_bytes().startswith(b"%PDF")


# -- computed prose ----------------------------------------------------------------------

def compute(call: str) -> str:
    from solgen.present.words import load_words
    from solgen.asks.inline import compute as run

    return run(call, load_words("en"))


@pytest.mark.parametrize(("call", "tex"), [
    ("diff(x^2, x)", r"\frac{d}{dx}(x^2) = 2 x"),
    ("diff(x^2 - x*y, x)", r"\frac{\partial}{\partial x}(x^2 - x y) = 2 x - y"),
    ("diff(x^2 - x*y, y)", r"\frac{\partial}{\partial y}(x^2 - x y) = -x"),
    ("diff(x^2*y, x, y)", r"\frac{\partial^2}{\partial y \partial x}(x^2 y) = 2 x"),
    ("grad(x^2 - x*y, [x, y])", r"\nabla(x^2 - x y) = \begin{bmatrix} 2 x - y \\ -x \end{bmatrix}"),
    ("hessian(x^2 - x*y, [x, y])", r"\nabla^2(x^2 - x y) = \begin{bmatrix} 2 & -1 \\ -1 & 0 \end{bmatrix}"),
    ("jacobian([x*y, x + y], [x, y])", r"\mathbf{J}\begin{bmatrix} x y \\ x + y \end{bmatrix} = \begin{bmatrix} y & x \\ 1 & 1 \end{bmatrix}"),
    ("taylor(exp(x), x, 0, 2)", r"e^x \approx 1 + x + \frac{1}{2} x^2"),
    ("taylor(x^2*y, [x, y], [1, 2], 1)", r"x^2 y \approx 2 + 4 (x - 1) + (y - 2)"),
])
def test_computed_spans(call, tex):
    assert compute(call) == tex


def test_computed_spans_never_reach_sympify(monkeypatch):
    import sys

    import sympy

    module = sys.modules["sympy.core.sympify"]
    real = module.sympify

    def refuse(a, *args, **kwargs):  # SymPy sympifies numbers inside; text never may be
        if isinstance(a, str):
            raise AssertionError(f"sympify called on text {a!r}")
        return real(a, *args, **kwargs)

    monkeypatch.setattr(module, "sympify", refuse)
    monkeypatch.setattr(sympy, "sympify", refuse)
    # a name is a constant: nothing runs
    assert compute("grad(x^3 + exec, [x])") == r"\nabla(x^3 + exec) = \begin{bmatrix} 3 x^2 \end{bmatrix}"


@pytest.mark.parametrize(("call", "message"), [
    ("integrate(x, x)", "unknown computation 'integrate'"),
    ("diff(x^2 - x y, x)", "put '*' between factors"),
    ("grad(x, [x, x])", "named twice"),
    ("diff(x^, x)", "in expression 'x^'"),
    ("taylor(log(x), x, 0, 1)", "undefined at the point"),
    ("grad(x, [x)", "unclosed bracket"),
])
def test_computed_span_errors(call, message):
    from solgen.errors import SpecError

    with pytest.raises(SpecError, match=re.escape(message)):
        compute(call)


# -- errors: the section file and line, or the problem file and line ---------------------

def course(tmp_path: Path, section: str, problems: dict[str, str] | None = None) -> Path:
    (tmp_path / "sections").mkdir()
    (tmp_path / "problems").mkdir()
    for name, text in (problems or {"p.yaml": PROBLEM}).items():
        (tmp_path / "problems" / name).write_text(text)
    path = tmp_path / "sections" / "s.yaml"
    path.write_text(section)
    return path


PROBLEM = 'id: p\nvariables: [x, y]\nfunctions:\n  f: "x^2*y"\nparts:\n  - {id: a, ask: gradient, of: f}\n  - {id: b, ask: hessian, of: f}\n'


def errors_of(path: Path, tmp_path: Path) -> list[str]:
    res = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()
    return res.stderr.splitlines()


@pytest.mark.parametrize(("slides", "line", "message"), [
    ("  - {problem: ../problems/q.yaml}\n", 4, "no such problem file: ../problems/q.yaml"),
    ("  - {problem: ../problems/p.yaml, parts: [a, z]}\n", 4, "has no part 'z' (its parts: a, b)"),
    ("  - {problem: /etc/passwd.yaml}\n", 4, "is an absolute path"),
    ("  - {problem: ../problems/p.txt}\n", 4, "is not a .yaml file"),
    ("  - {problem: ../../outside.yaml}\n", 4, "leads outside the course folder"),
    ("  - {problem: ../problems/p.yaml, show: solutions}\n", 4, "'show' must be one of all, questions, answers"),
    ("  - {slide: x}\n", 4, "unknown slide 'slide'"),
    ("  - md: |\n      # A\n      `=diff(x^^2, x)`\n", 6, "`=diff(x^^2, x)`"),
    ("  - {section: s.yaml}\n", 4, "sections include each other in a cycle"),
])
def test_section_errors_name_the_section_line(tmp_path, slides, line, message):
    (tmp_path / "outside.yaml").write_text(PROBLEM)
    path = course(tmp_path, "id: s\ntitle: S\nslides:\n" + slides)
    first = errors_of(path, tmp_path)[0]
    assert first.startswith(f"{path}:{line}: error: "), first
    assert message in first, first


def test_a_cycle_through_two_sections(tmp_path):
    path = course(tmp_path, "id: s\nslides:\n  - {section: t.yaml}\n")
    (tmp_path / "sections" / "t.yaml").write_text("id: t\nslides:\n  - {md: hi}\n  - {section: s.yaml}\n")
    first = errors_of(path, tmp_path)[0]
    assert first.startswith(f"{tmp_path / 'sections' / 't.yaml'}:4: error: sections include each other in a cycle"), first


def test_an_error_in_a_problem_names_the_problem_file_and_line(tmp_path):
    bad = PROBLEM.replace('"x^2*y"', '"x^2*(y"')
    path = course(tmp_path, "id: s\nslides:\n  - {problem: ../problems/p.yaml}\n", {"p.yaml": bad})
    first = errors_of(path, tmp_path)[0]
    assert first.startswith(f"{tmp_path / 'problems' / 'p.yaml'}:4: error: in expression 'x^2*(y'"), first


def test_a_symlink_out_of_the_course_is_refused(tmp_path):
    (tmp_path / "secret.yaml").write_text("password: hunter2\n")
    (tmp_path / "course").mkdir()
    path = course(tmp_path / "course", "id: s\nslides:\n  - {problem: ../problems/link.yaml}\n")
    (tmp_path / "course" / "problems" / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    first = errors_of(path, tmp_path)[0]
    assert "leads outside the course folder" in first and "hunter2" not in first


def test_a_yaml_file_that_is_not_a_problem_is_an_error_of_that_file(tmp_path):
    path = course(tmp_path, "id: s\nslides:\n  - {problem: ../problems/p.yaml}\n", {"p.yaml": "secret: hunter2\n"})
    first = errors_of(path, tmp_path)[0]
    assert "p.yaml:1: error: unknown key 'secret'" in first


def test_an_included_section_splices_its_slides(tmp_path):
    path = course(tmp_path, "id: s\nagenda: repeat\nslides:\n  - {topic: One}\n  - {section: t.yaml}\n")
    (tmp_path / "sections" / "t.yaml").write_text("id: t\nslides:\n  - {topic: Two}\n  - {problem: ../problems/p.yaml, parts: [b]}\n")
    res = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "out"), "--slides"])
    assert res.exit_code == 0, res.output
    deck = (tmp_path / "out" / "s-slides.tex").read_text()
    assert deck.count(r"\textbf{Two}") == 1 and deck.count(r"\textbf{One}") == 1  # each topic highlighted once
    assert "p (b)" in deck and "p (a)" not in deck


def test_math_a_section_may_not_use_is_code_and_a_warning_at_its_line(tmp_path):
    path = course(tmp_path, "id: s\nslides:\n  - {md: ok}\n  - md: |\n      # T\n      $\\input{/etc/passwd}$\n")
    res = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "out"), "--slides"])
    assert res.exit_code == 0, res.output
    assert res.stderr.startswith(f"{path}:4: warning: the math $\\input{{/etc/passwd}}$ in 'md' uses \\input"), res.stderr
    deck = (tmp_path / "out" / "s-slides.tex").read_text()
    assert "\\input{/etc" not in deck and "\\texttt{" in deck


@pytest.mark.parametrize("kind", KINDS)
def test_html_pages_load_with_math_and_no_console_message(kind, tmp_path):
    from test_html import load_in_chromium

    dom, console = load_in_chromium(seed("html", kind), tmp_path)
    assert not console, console
    m = re.search(r'data-probe="(\d+):(\d+):(\d+):(\d+)"', dom)
    assert m, "the probe did not run: the page's script policy or markup is broken"
    maths, empty, fracs, stacked = map(int, m.groups())
    assert maths > 0 and empty == 0 and stacked == fracs, (maths, empty, fracs, stacked)


@pytest.mark.parametrize("kind", KINDS)
def test_pandoc_makes_a_pdf_of_the_markdown(kind, tmp_path):
    """`pandoc section-3.md -o x.pdf` (or `-t beamer` for the deck), figures beside it."""
    from conftest import need_tool

    exe = need_tool("pandoc")
    need_pdflatex()
    outcome = _work(str(ROOT / "sections" / "3.yaml"), Job(("md",), (kind,), debug=True))
    for name, text in outcome.files.items():
        if isinstance(text, bytes):
            (tmp_path / name).write_bytes(text)
        else:
            (tmp_path / name).write_text(text)
    src = next(n for n in outcome.files if n.endswith(".md"))
    args = ["-t", "beamer"] if kind.startswith("slides") else []
    proc = subprocess.run([exe, src, *args, "-o", "doc.pdf"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")


def test_a_part_shown_alone_never_refers_to_a_part_left_out(tmp_path):
    """1.2 (b)'s Jacobian entries are (a)'s Hessian entries: shown with (a), they say
    "derived in (a)"; shown alone, they are derived there."""
    problems = {"p.yaml": (ROOT / "problems" / "1.2.yaml").read_text()}
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    alone = course(tmp_path / "one", "id: s\nslides:\n  - {problem: ../problems/p.yaml, parts: [b]}\n", problems)
    both = course(tmp_path / "two", "id: s\nslides:\n  - {problem: ../problems/p.yaml, parts: [b]}\n"
                  "  - {problem: ../problems/p.yaml, parts: [a]}\n", problems)
    handout = {k: _work(str(p), Job(("tex",), ("handout",), debug=True)).files["s.tex"] for k, p in (("alone", alone), ("both", both))}
    assert "derived in" not in handout["alone"] and "already found in" not in handout["alone"]
    assert "already found in (a)" in handout["both"]


# -- found in review: each of these passed silently, hung or named the wrong file before ----

def test_a_link_then_dotdot_reads_the_file_it_checked(tmp_path):
    """L/../../x.yaml: the check resolves L first (a folder deep inside the course); the file
    read must be that one, not the text's normalised path (x.yaml beside the section folder's
    parent, outside the course)."""
    course_dir = tmp_path / "c"
    course_dir.mkdir()
    path = course(course_dir, "id: s\nslides:\n  - {problem: L/../x.yaml}\n", {})
    deep = course_dir / "problems" / "a" / "b"
    deep.mkdir(parents=True)
    (course_dir / "problems" / "a" / "x.yaml").write_text(PROBLEM.replace("id: p", "id: inside"))
    (course_dir / "sections" / "x.yaml").write_text(PROBLEM.replace("id: p", "id: outside"))  # where the text leads
    (course_dir / "sections" / "L").symlink_to(deep)
    res = CliRunner().invoke(main, ["render", str(path), "--format", "md", "--out", str(tmp_path / "out"), "--no-cache"])
    assert res.exit_code == 0, res.output
    text = (tmp_path / "out" / "s.md").read_text()
    assert "inside" in text and "outside" not in text


def test_a_pipe_in_a_course_folder_is_an_error_not_a_hang(tmp_path):
    import os

    course_dir = tmp_path / "c"
    course_dir.mkdir()
    course(course_dir, "id: s\nslides:\n  - {problem: ../problems/p.yaml}\n")
    os.mkfifo(course_dir / "problems" / "ff.yaml")
    res = CliRunner().invoke(main, ["render", str(course_dir), "--out", str(tmp_path / "out"), "--timeout", "30"])
    assert res.exit_code == 1
    assert "ff.yaml: error: not a regular file" in res.output
    assert (tmp_path / "out" / "p.tex").exists()  # the others are rendered


def test_a_templates_folder_with_a_pipe_or_a_device_is_refused(tmp_path):
    import os

    path = course(tmp_path, "id: s\nslides:\n  - {problem: ../problems/p.yaml}\n")
    (tmp_path / "tpl" / "words").mkdir(parents=True)
    (tmp_path / "tpl" / "words" / "en.yaml").symlink_to("/dev/zero")
    res = CliRunner().invoke(main, ["render", str(path), "--templates", str(tmp_path / "tpl"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1 and "leads outside" in res.output  # a link out of the folder: refused before any look at it
    (tmp_path / "tpl" / "words" / "en.yaml").unlink()
    os.mkfifo(tmp_path / "tpl" / "words" / "en.yaml")
    res = CliRunner().invoke(main, ["render", str(path), "--templates", str(tmp_path / "tpl"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1 and "not a regular file" in res.output


def test_names_in_an_md_block_do_not_raise_the_time_limit(tmp_path):
    from solgen.pipeline import allowance

    fake = "".join(f"      problem: p{i}.yaml\n" for i in range(500))
    path = course(tmp_path, f"id: s\nslides:\n  - md: |\n      # A\n{fake}  - {{problem: ../problems/p.yaml}}\n")
    seconds, _ = allowance(str(path), 20.0)
    assert seconds <= 20.0 * 2  # the one problem it names (and its own), not 500


def test_two_problems_with_one_id_in_a_section_are_an_error(tmp_path):
    path = course(tmp_path, "id: s\nslides:\n  - {problem: ../problems/p.yaml}\n  - {problem: ../problems/q.yaml}\n",
                  {"p.yaml": PROBLEM, "q.yaml": PROBLEM})
    first = errors_of(path, tmp_path)[0]
    assert first.startswith(f"{path}:4: error: ") and "two problems of a section need different ids" in first


def test_agenda_without_topics_is_an_error_at_its_line(tmp_path):
    path = course(tmp_path, "id: s\ntitle: T\nagenda: auto\nslides:\n  - {md: \"# Hello\"}\n")
    first = errors_of(path, tmp_path)[0]
    assert first.startswith(f"{path}:3: error: agenda: auto lists the section's topic slides")


def test_a_norm_and_an_absolute_value_in_a_table_stay_math(tmp_path):
    path = course(tmp_path, "id: s\nslides:\n  - md: |\n      # Vocab\n      | Name | Symbol |\n      |---|---|\n"
                            "      | Norm | $\\|w\\|_2^2$ |\n      | Abs | $|x|$ |\n")
    res = CliRunner().invoke(main, ["render", str(path), "--format", "tex", "--format", "html", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    tex = (tmp_path / "out" / "s.tex").read_text()
    assert r"Norm & $\Vert w\Vert _2^2$" in tex and r"Abs & $\vert x\vert$" in tex
    assert "‖" in (tmp_path / "out" / "s.html").read_text()


def test_json_of_a_section_says_there_is_none(tmp_path):
    path = course(tmp_path, "id: s\nslides:\n  - {problem: ../problems/p.yaml}\n")
    res = CliRunner().invoke(main, ["render", str(path), "--format", "json", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0
    assert "nothing written" in res.output and "warning: a section has no JSON of its own" in res.output


def test_a_folder_render_skips_the_course_catalogs(tmp_path):
    course(tmp_path, "id: s\nslides:\n  - {problem: ../problems/p.yaml}\n")
    (tmp_path / "templates" / "words").mkdir(parents=True)
    (tmp_path / "templates" / "words" / "de.yaml").write_text("rule:\n  sum: Summenregel\n")
    res = CliRunner().invoke(main, ["render", str(tmp_path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "de.yaml" not in res.output


@pytest.mark.parametrize(("slide", "message"), [
    ("  - {problem: t.yaml}\n", "t.yaml is a section file, not a problem: name it with 'section: t.yaml'"),
    ("  - {section: ../problems/p.yaml}\n", "../problems/p.yaml is a problem file, not a section: name it with 'problem: ../problems/p.yaml'"),
])
def test_naming_the_other_kind_of_file_is_an_error_at_the_section_line(tmp_path, slide, message):
    path = course(tmp_path, "id: s\nslides:\n" + slide)
    (tmp_path / "sections" / "t.yaml").write_text("id: t\nslides:\n  - {md: hi}\n")
    first = errors_of(path, tmp_path)[0]
    assert first.startswith(f"{path}:3: error: ") and message in first, first
