"""Snapshots of every problem in every format and kind, and checks a reader would make:
the .tex compiles, the .md math parses, a worksheet holds no answer."""

from __future__ import annotations

import re
import subprocess

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from conftest import PROBLEMS, need_pdflatex, need_tool, rendered, solved, view
from solgen.present.words import load_words

KINDS = ("handout", "worksheet", "slides", "slides-worksheet")


class TexSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "tex"


class MdSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "md"


class HtmlSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "html"


CASES = [(p, k) for p in PROBLEMS for k in KINDS]
IDS = [f"{p.stem}-{k}" for p, k in CASES]


@pytest.mark.parametrize(("path", "kind"), CASES, ids=IDS)
def test_tex_snapshot(path, kind, snapshot):
    assert rendered(str(path), "tex", kind) == snapshot(extension_class=TexSnapshot)


@pytest.mark.parametrize(("path", "kind"), CASES, ids=IDS)
def test_md_snapshot(path, kind, snapshot):
    assert rendered(str(path), "md", kind) == snapshot(extension_class=MdSnapshot)


@pytest.mark.parametrize(("path", "kind"), CASES, ids=IDS)
def test_html_snapshot(path, kind, snapshot):
    assert rendered(str(path), "html", kind) == snapshot(extension_class=HtmlSnapshot)


@pytest.mark.parametrize(("path", "kind"), CASES, ids=IDS)
def test_tex_compiles(path, kind, tmp_path):
    exe = need_pdflatex()
    (tmp_path / "doc.tex").write_text(rendered(str(path), "tex", kind))
    for _ in range(2):
        proc = subprocess.run(
            [exe, "-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "doc.tex"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stdout[-2000:]
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert (tmp_path / "doc.pdf").stat().st_size > 1000
    assert "Overfull \\hbox" not in log, re.findall(r"Overfull \\hbox.*", log)[:3]
    if kind.startswith("slides"):  # a frame never runs off the bottom
        assert "Overfull \\vbox" not in log, re.findall(r"Overfull \\vbox.*", log)[:3]


def _math_tokens(tokens):
    for tok in tokens:
        if tok.type.startswith("math"):
            yield tok
        if tok.children:
            yield from _math_tokens(tok.children)


def _text_tokens(tokens):
    for tok in tokens:
        if tok.type == "text":
            yield tok
        if tok.children:
            yield from _text_tokens(tok.children)


@pytest.mark.parametrize(("path", "kind"), CASES, ids=IDS)
def test_md_formulas_parse_as_math(path, kind):
    text = rendered(str(path), "md", kind)
    md = MarkdownIt("commonmark").use(dollarmath_plugin)
    tokens = md.parse(text)
    math = list(_math_tokens(tokens))
    # every $...$ and $$...$$ in the source comes back as exactly one math token
    blocks = re.findall(r"^\$\$\n.*?\n\$\$$", text, flags=re.M | re.S)
    rest = re.sub(r"^\$\$\n.*?\n\$\$$", "", text, flags=re.M | re.S)
    inline = re.findall(r"\$[^$\n]+\$", rest)
    assert rest.count("$") == 2 * len(inline)
    assert len(math) == len(inline) + len(blocks)
    # and no dollar is left over in the text
    assert not [t.content for t in _text_tokens(tokens) if "$" in t.content]
    # GitHub's rules: no space just inside $...$, no digit right after the closing $
    for formula in inline:
        assert not formula.startswith("$ ") and not formula.endswith(" $"), formula
    assert not re.search(r"(?<!\$)\$[^$\n]+\$\d", text)


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
@pytest.mark.parametrize("kind", ["worksheet", "slides-worksheet"])
def test_worksheet_holds_no_answer(path, kind):
    solution = solved(str(path))
    full = kind.replace("-worksheet", "") if kind != "worksheet" else "handout"
    for fmt in ("tex", "md"):
        sheet = rendered(str(path), fmt, kind)
        handout = rendered(str(path), fmt, full)
        words = load_words(view(str(path))["lang"])
        marker = str(words("document.answer" if kind.startswith("slides") else "document.solution")).rstrip(".")
        assert marker not in sheet and marker in handout
        for d in solution.derivations:
            if d.part.answer:
                assert d.part.answer[:40] not in sheet
        results = [
            part["answer_short"][-1].rsplit(" = ", 1)[-1]
            for q in view(str(path))["questions"] for part in q["parts"] if part["answer_short"]
            and not part.get("choices")  # multiple choice: the key is one of the options, unmarked
        ]
        assert results and all(r in handout for r in results if fmt == "md")
        assert not [r for r in results if len(r) > 3 and r in sheet]  # "0" or "2" may be in any question
        for rule in ("sum", "power", "product", "quotient", "variable"):  # no step is shown
            assert str(words(f"rule.{rule}")) not in sheet, rule


@pytest.mark.parametrize(("path", "kind"), CASES, ids=IDS)
def test_pandoc_makes_a_pdf(path, kind, tmp_path):
    """`pandoc X.md -o X.pdf` (or `-t beamer` for a deck) succeeds at any depth of steps."""
    exe = need_tool("pandoc")
    need_pdflatex()
    src = tmp_path / "doc.md"
    src.write_text(rendered(str(path), "md", kind))
    args = ["-t", "beamer"] if kind.startswith("slides") else []
    proc = subprocess.run([exe, str(src), *args, "-o", str(tmp_path / "doc.pdf")], capture_output=True, text=True,
                          timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "doc.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(("path", "kind"), CASES, ids=IDS)
def test_pandoc_reads_markdown(path, kind, tmp_path):
    exe = need_tool("pandoc")
    src = tmp_path / "doc.md"
    src.write_text(rendered(str(path), "md", kind))
    targets = ["beamer", "revealjs"] if kind.startswith("slides") else ["latex"]
    for target in targets:
        proc = subprocess.run(
            [exe, "-f", "markdown", "-t", target, "-s", str(src), "-o", str(tmp_path / f"out.{target}")]
            + (["--mathjax"] if target == "revealjs" else []),
            capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert not proc.stderr.strip(), proc.stderr  # no warnings either
        out = (tmp_path / f"out.{target}").read_text()
        if target == "beamer":
            frames = out.count("\\begin{frame}")
            slides = rendered(str(path), "md", kind).count("\n---\n")
            assert frames >= slides - 1
        if target == "revealjs":
            assert out.count("<section") >= 2
            assert 'id="title-slide"' not in out  # the deck's own first slide is its title slide
