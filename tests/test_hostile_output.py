"""Hostile text in problem and template files: what reaches the .tex, the .md and the PDF.

A TA renders a problem file someone sent them, and may compile the .tex by hand with a
plain ``pdflatex`` or turn the .md into HTML with pandoc. Nothing in the file may read
local files into the document, add a PDF action, run template code, put HTML into a
page, or break the document. Each test names the class of attack it guards against.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from conftest import need_tool
from solgen.cli import main
from solgen.formats.prose import safe_math, tex_settable, to_md, to_tex

SECRET = "S3CRET-MARKER-7731"


def sq(text: str) -> str:
    """``text`` as a YAML single-quoted scalar: backslashes stay literal."""
    return "'" + text.replace("'", "''") + "'"


def problem_file(prompt: str, *, title: str = '"Hostile"', extra: str = "", variables: str = "[x1, x2]",
                 f: str = '"x1^2 + x2"', parts: str = "") -> str:
    return (
        'id: "h1"\n'
        f"title: {title}\n"
        f"variables: {variables}\n"
        "functions:\n"
        f"  f: {f}\n"
        f"{extra}"
        "parts:\n"
        "  - {id: a, ask: gradient, of: f}\n"
        "  - id: b\n"
        "    ask: text\n"
        f"    prompt: {prompt}\n"
        "    answer: 'The end of the handout: ENDMARK.'\n"
        f"{parts}"
    )


def render(tmp_path: Path, text: str, *args: str) -> tuple[int, str, Path]:
    path = tmp_path / "h1.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(path), "--out", str(out), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output, out


def compile_by_hand(tex: Path, timeout: int = 90) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run plain pdflatex on a copy of ``tex`` as a TA would (no solgen, no sandbox of
    ours), next to a secret file; returns the process and the files it read (-recorder)."""
    exe = need_tool("pdflatex")
    build = tex.parent / "by-hand"
    build.mkdir(exist_ok=True)
    (build / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    shutil.copy(tex, build / tex.name)
    try:
        proc = subprocess.run(
            [exe, "-interaction=nonstopmode", "-recorder", tex.name],
            cwd=build, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"a hand-run pdflatex of {tex.name} hung")
    fls = build / (tex.stem + ".fls")
    inputs = re.findall(r"^INPUT (.*)$", fls.read_text(encoding="utf-8", errors="replace"), flags=re.M) if fls.exists() else []
    return proc, inputs


def pdf_text(pdf: Path) -> str:
    """The text a reader sees in ``pdf`` (pdftotext, from poppler-utils)."""
    proc = subprocess.run([need_tool("pdftotext"), str(pdf), "-"], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.decode("utf-8", "replace")


def pdf_objects(pdf: bytes) -> bytes:
    """The PDF's bytes with every Flate stream (object streams included) inflated."""
    parts = [pdf]
    for m in re.finditer(rb"stream\r?\n", pdf):
        try:
            parts.append(zlib.decompressobj().decompress(pdf[m.end() : m.end() + 2_000_000]))
        except zlib.error:
            pass
    return b"\n".join(parts)


# -- 1. code blocks ------------------------------------------------------------------------

def test_code_block_cannot_end_verbatim_and_read_a_file(tmp_path: Path) -> None:
    """A fenced block whose text forges \\end{verbatim} must stay text in a hand-run pdflatex."""
    prompt = "|\n      Look:\n\n      ```\n      \\end{verb\\end{verbatim}atim}\\input{secret.txt}\n      ```\n"
    code, output, out = render(tmp_path, problem_file(prompt), "--format", "tex")
    assert code == 0, output
    tex = (out / "h1.tex").read_text(encoding="utf-8")
    assert "verbatim}" not in tex.replace(r"verbatim\}", "")
    proc, inputs = compile_by_hand(out / "h1.tex")
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-2000:]
    assert not any("secret.txt" in p for p in inputs), inputs


@pytest.mark.parametrize("kind", ["handout", "slides"])
def test_code_with_unicode_hash_and_controls_compiles(tmp_path: Path, kind: str) -> None:
    """Code blocks compile in handouts and in Beamer frames (a verbatim in a frame broke
    every --slides --pdf), with '#', Unicode and control characters in them."""
    prompt = '"Run:\\n\\n```\\n# comment & 100% ~ ^ _ {x}\\n    indented ħ 中 😀 \\u0007bell\\n```\\n"'
    args = ["--format", "tex", "--pdf"] + (["--slides"] if kind == "slides" else [])
    need_tool("pdflatex")
    code, output, out = render(tmp_path, problem_file(prompt), *args)
    assert code == 0, output
    name = "h1" if kind == "handout" else "h1-slides"
    assert (out / f"{name}.pdf").is_file()
    tex = (out / f"{name}.tex").read_text(encoding="utf-8")
    assert "\\begin{verbatim}" not in tex
    assert "[U+0127]" in tex and "[U+4E2D]" in tex and "[U+0007]" in tex


# -- 2. links ------------------------------------------------------------------------------

def test_only_web_and_mail_links_become_pdf_links(tmp_path: Path) -> None:
    prompt = sq(
        "[calc](run:/usr/bin/xcalc) [f](file:///etc/passwd) [rel](notes.sh) [js](JavaScript:app.alert(1)) "
        "[web](https://example.org/a$b%c#d) [mail](mailto:ta@example.org)"
    )
    need_tool("pdflatex")
    code, output, out = render(tmp_path, problem_file(prompt), "--format", "tex", "--pdf")
    assert code == 0, output
    tex = (out / "h1.tex").read_text(encoding="utf-8")
    targets = re.findall(r"\\href\{([^}]*)\}", tex)
    assert [t.split(":")[0] for t in targets] == ["https", "mailto"], targets
    pdf = pdf_objects((out / "h1.pdf").read_bytes())
    for bad in (b"/Launch", b"/JavaScript", b"/JS", b"run:", b"file:", b"notes.sh", b"GoToR"):
        assert bad not in pdf, bad
    assert b"example.org" in pdf


def test_dollar_and_percent_in_a_link_compile_on_slides(tmp_path: Path) -> None:
    need_tool("pdflatex")
    prompt = sq("See [the notes](https://example.org/a$b?c=50%25&d=~e#f) now.")
    code, output, out = render(tmp_path, problem_file(prompt), "--format", "tex", "--slides", "--pdf")
    assert code == 0, output
    assert (out / "h1-slides.pdf").is_file()


# -- 3. math whitelist ---------------------------------------------------------------------

@pytest.mark.parametrize(
    "math",
    [r"\) \end{document} \(", r"\[ x \]", r"\begin{cases} x", r"x \end{cases}", r"\begin{document}",
     r"\left( x", r"x \right)", r"\begin{bmatrix} 1 \end{pmatrix}", r"a $ b", r"\csname input\endcsname",
     r"\begin{verbatim}", r"\@input", "a\\\nb", "x \\"],
)
def test_math_outside_the_whitelist_is_refused(math: str) -> None:
    assert not safe_math(math)


@pytest.mark.parametrize(
    "math",
    [r"\frac{\partial f}{\partial x_1}", r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}",
     r"\left( \frac{1}{2} \right)", r"\{ x : x \ne 0 \}", r"\|x\|_2, \; \ell_2", r"x < y"],
)
def test_math_inside_the_whitelist_is_kept(math: str) -> None:
    assert safe_math(math)
    assert to_tex(f"${math}$") == f"${math}$"


def test_forged_end_document_does_not_truncate_the_handout(tmp_path: Path) -> None:
    need_tool("pdflatex")
    prompt = sq(r"Before $\) \end{document} \($ after, and $\begin{cases} x$ too.")
    code, output, out = render(tmp_path, problem_file(prompt), "--format", "tex")
    assert code == 0, output
    tex = (out / "h1.tex").read_text(encoding="utf-8")
    assert tex.count("\\end{document}") == 1
    assert tex.count("\\begin{cases}") == 0
    proc, _ = compile_by_hand(out / "h1.tex", timeout=60)
    log = proc.stdout.decode(errors="replace")
    assert proc.returncode == 0, log[-2000:]
    assert "ENDMARK" in pdf_text(out / "by-hand" / "h1.pdf"), "the handout was cut short"


# -- 4. characters and one-line fields -----------------------------------------------------

def test_characters_pdflatex_cannot_set_become_placeholders(tmp_path: Path) -> None:
    need_tool("pdflatex")
    odd = "ħ ĸ ŉ ſ \\x85 中文 😀 café – “quotes” …"  # \\x85: YAML's escape for U+0085
    code, output, out = render(
        tmp_path, problem_file('"' + odd + '"', title='"Café ħ 中"', extra='course: "Übung ſ"\n'), "--format", "tex", "--pdf"
    )
    assert code == 0, output
    tex = (out / "h1.tex").read_text(encoding="utf-8")
    for cp in ("0127", "0138", "0149", "017F", "0085", "4E2D", "1F600"):
        assert f"[U+{cp}]" in tex, cp
    assert "café" in tex and "“quotes”" in tex
    assert (out / "h1.pdf").is_file()


def test_settable_set_is_what_t1_sets() -> None:
    assert all(tex_settable(ch) for ch in "aZ09 ~éßæœŁ€–—‘’“”…")
    assert not any(tex_settable(ch) for ch in "ħĸŉſ\u0085\x1b中😀")


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", '"Two\\n\\nparagraphs"'), ("course", '"CSE\\u001b[31m"'), ("section", '"S3\\rX"'),
     ("date", '"Mon\\u2028Tue"'), ("author", '"TA\\u0007"')],
)
def test_one_line_fields_refuse_breaks_and_controls(tmp_path: Path, field: str, value: str) -> None:
    text = problem_file(sq("Hi")).replace('title: "Hostile"\n', f'title: "T"\n{field}: {value}\n' if field != "title" else f"title: {value}\n")
    code, output, out = render(tmp_path, text, "--format", "tex")
    assert code == 1
    line = text.splitlines().index(next(l for l in text.splitlines() if l.startswith(f"{field}:"))) + 1
    assert f"h1.yaml:{line}: error: '{field}' must be one line" in output, output
    assert not out.exists() or not any(out.iterdir())


# -- 5. wide matrices and printer names ----------------------------------------------------

def test_wide_hessian_and_script_variable_compile(tmp_path: Path) -> None:
    need_tool("pdflatex")
    names = [f"x{i}" for i in range(1, 12)] + ["yscr"]
    f = " + ".join(f"{a}*{b}" for a, b in zip(names, names[1:]))
    text = (
        'id: "wide"\ntitle: "Twelve variables"\n'
        f"variables: [{', '.join(names)}]\n"
        f'functions:\n  f: "{f}"\n'
        "parts:\n  - {id: a, ask: hessian, of: f, detail: answer}\n"
    )
    path = tmp_path / "wide.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "out"), "--pdf"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "wide.pdf").is_file()
    assert "\\mathscr{y}" in (tmp_path / "out" / "wide.tex").read_text(encoding="utf-8")


# -- 6. raw HTML and links in Markdown -----------------------------------------------------

HTML_PAYLOADS = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> <iframe src=//evil></iframe> "
    "<svg onload=alert(1)> [a](JaVaScRiPt:alert(1)) [b](data:text/html;base64,PHNjcmlwdD4=) "
    "<javascript:alert(2)> [c](DATA:text/html,x)"
)
TAGS = re.compile(r"<\s*(script|img|iframe|svg)\b|href=\"(javascript|data):", re.I)


def _markdown_outputs(tmp_path: Path) -> dict[str, str]:
    prompt = sq(HTML_PAYLOADS + "\n\n" + HTML_PAYLOADS)
    text = problem_file(prompt, parts="    notes: " + sq(HTML_PAYLOADS) + "\n")
    code, output, out = render(tmp_path, text, "--format", "md")
    assert code == 0, output
    code, output, _ = render(tmp_path, text, "--format", "md", "--slides")
    assert code == 0, output
    return {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.md")}


def test_raw_html_in_prose_is_text_in_every_markdown_reader(tmp_path: Path) -> None:
    outputs = _markdown_outputs(tmp_path)
    assert set(outputs) == {"h1.md", "h1-slides.md"}
    github_like = MarkdownIt("commonmark", {"html": True})  # Marp and GitHub both allow HTML
    for name, md in outputs.items():
        html = github_like.render(md)
        assert not TAGS.search(html), (name, TAGS.search(html))
        assert "&lt;script&gt;" in html, name  # shown as text, not dropped


def test_raw_html_in_prose_is_text_through_pandoc(tmp_path: Path) -> None:
    pandoc = need_tool("pandoc")
    outputs = _markdown_outputs(tmp_path)
    for name, md in outputs.items():
        src = tmp_path / name
        src.write_text(md, encoding="utf-8")
        proc = subprocess.run([pandoc, "-s", "-t", "html", str(src)], capture_output=True, timeout=60)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
        html = proc.stdout.decode("utf-8")
        assert not TAGS.search(html), (name, TAGS.search(html))


def test_prose_markdown_keeps_only_web_links() -> None:
    md = to_md("[ok](https://example.org) [bad](javascript:x) [rel](file:///etc/passwd) [m](MAILTO:a@b.c)")
    assert "(<https://example.org>)" in md and "(<MAILTO:a@b.c>)" in md
    html = MarkdownIt("commonmark", {"html": True}).render(md)
    assert html.count("href=") == 2, html
    assert "rel" in html and "bad" in html  # the text of a dropped link stays


# -- 7. front matter and control characters ------------------------------------------------

def test_slides_front_matter_is_yaml_that_pandoc_reads(tmp_path: Path) -> None:
    pandoc = need_tool("pandoc")
    title = sq('A "quoted" title: </title><script>x</script> # not a comment')
    code, output, out = render(tmp_path, problem_file(sq("Hi"), title=title), "--format", "md", "--slides")
    assert code == 0, output
    md = (out / "h1-slides.md").read_text(encoding="utf-8")
    import yaml

    front = yaml.safe_load(md.split("---\n")[1])
    assert set(front) == {"pagetitle", "marp"}  # nothing that loads from a network (no math: katex)
    proc = subprocess.run([pandoc, "-s", "-t", "html", str(out / "h1-slides.md")], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    html = proc.stdout.decode("utf-8")
    assert "<script" not in html
    assert "quoted" in html


def test_control_characters_never_reach_markdown(tmp_path: Path) -> None:
    prompt = '"esc \\e]0;pwned\\a bell \\u0085 code `\\e[31m` $x\\e$\\n\\n```\\n\\e[2J\\n```\\n"'
    code, output, out = render(tmp_path, problem_file(prompt), "--format", "md")
    assert code == 0, output
    md = (out / "h1.md").read_text(encoding="utf-8")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", md), repr(md)


# -- 8. templates run in a sandbox ---------------------------------------------------------

@pytest.mark.parametrize(
    ("fmt", "payload"),
    [
        ("tex", r"\VAR{cycler.__init__.__globals__.os.system('touch PWNED')}"),
        ("md", "{{ cycler.__init__.__globals__.os.system('touch PWNED') }}"),
        ("md", "{{ ''.__class__.__mro__[1].__subclasses__() }}"),
        ("md", "{% set x = doc.questions.append(1) %}{{ x }}"),
    ],
)
def test_templates_cannot_reach_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, payload: str) -> None:
    monkeypatch.chdir(tmp_path)
    templates = tmp_path / "mytemplates" / fmt
    templates.mkdir(parents=True)
    (templates / f"document.{fmt}.j2").write_text(payload + "\n", encoding="utf-8")
    code, output, out = render(tmp_path, problem_file(sq("Hi")), "--format", fmt, "--templates", str(tmp_path / "mytemplates"))
    assert code == 1, output
    assert not (tmp_path / "PWNED").exists(), "a template ran a shell command"
    assert re.search(r"document\.(tex|md)\.j2:1: error: .*(unsafe|not safely|immutable|access)", output), output
    assert not out.exists() or not any(out.iterdir())


# -- every payload in every field, as the red team ran it ----------------------------------

ONE_LINE = (
    r"\input{secret.txt} ^^5cinput{secret.txt} \catcode`\^=7 \end{document} % # & _ ~ { } "
    r"$\) \end{document} \($ \verb|x| <script>alert(1)</script> [x](run:/usr/bin/xcalc) ħ中😀 ---"
)
PROSE = (
    ONE_LINE + "\n\n"
    "```\n\\end{verb\\end{verbatim}atim}\\input{secret.txt}\n# ħ 中\n```\n\n"
    "$\\begin{cases} x$ and $$\\write18{touch PWNED}$$ and [js](javascript:alert(1)) "
    "<img src=x onerror=alert(1)>\n\n"
    "---\n\n# heading\n\n- item `\\input{secret.txt}`\n"
)
FIELDS = ("title", "course", "section", "date", "author")


def red_team_file() -> str:
    lines = ['id: "red"']
    lines += [f"{f}: {sq(f + ': ' + ONE_LINE)}" for f in FIELDS]
    lines += ["intro: |", *("  " + l for l in PROSE.splitlines())]
    lines += ["variables: [x1, x2]", "functions:", '  f: "x1^2 + x2"', "parts:", "  - {id: a, ask: gradient, of: f}"]
    lines += ["  - id: b", "    ask: text"]
    for key in ("prompt", "answer", "notes"):
        lines += [f"    {key}: |", *("      " + l for l in (PROSE + f"\n{key.upper()}END").splitlines())]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", ["handout", "slides"])
def test_every_payload_in_every_field_is_inert(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    """The red team's matrix in one file: each payload in each text field, rendered by
    solgen --pdf and compiled again by a plain pdflatex; nothing read, nothing launched,
    nothing cut short; the Markdown of the same file carries no HTML."""
    need_tool("pdflatex")
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "red.yaml"
    path.write_text(red_team_file(), encoding="utf-8")
    out = tmp_path / "out"
    slides = ["--slides"] if kind == "slides" else []
    result = CliRunner().invoke(main, ["render", str(path), "--out", str(out), "--format", "tex", "--format", "md", "--pdf", *slides])
    assert result.exit_code == 0, result.output
    name = "red" if kind == "handout" else "red-slides"
    assert not (tmp_path / "PWNED").exists()
    proc, inputs = compile_by_hand(out / f"{name}.tex")
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-2000:]
    assert not any("secret" in p for p in inputs), inputs
    for pdf_path in (out / f"{name}.pdf", out / "by-hand" / f"{name}.pdf"):
        pdf = pdf_objects(pdf_path.read_bytes())
        for bad in (b"/Launch", b"/JavaScript", b"/JS", b"/URI (run:", b"/URI (javascript"):
            assert bad not in pdf, (pdf_path.name, bad)
        text = pdf_text(pdf_path)
        assert SECRET not in text
        for end in ("PROMPTEND", "ANSWEREND") + (("NOTESEND",) if kind == "handout" else ()):  # slides show no notes
            assert end in text, (pdf_path.name, end, "the document was cut short")
    html = MarkdownIt("commonmark", {"html": True}).render((out / f"{name}.md").read_text(encoding="utf-8"))
    assert not TAGS.search(html), TAGS.search(html)


def test_line_separators_cannot_start_markdown_structure() -> None:
    md = to_md("Compute this\u2028---\u2028Title\u2028===\u2029# not a heading")
    assert not any(line.strip() in ("---", "===") or line.startswith("#") for line in md.splitlines()), md
