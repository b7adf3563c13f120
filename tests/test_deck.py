"""A section deck as a TA presents it (issue 19): the seed deck whole within its page budget
and never overflowing, and what a hand-made deck has: images in every format, builds,
speaker notes, a per-slide detail and an explicit agenda."""

from __future__ import annotations

import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from conftest import ROOT, need_pdflatex, need_tool
from solgen.cli import main

SEED_FRAMES = 48  # the TA's 38 slides, with room for builds and a continued derivation


def png(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG (grey), written here rather than read from a file."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PROBLEM = 'id: "2.1"\nvariables: [x, y]\nfunctions:\n  f: "x^2*y + sin(x*y)"\nparts:\n  - {id: a, ask: gradient, of: f}\n'


def course(tmp_path: Path, section: str, files: dict[str, bytes] | None = None) -> Path:
    for sub in ("sections", "problems", "figs"):
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
    (tmp_path / "problems" / "p.yaml").write_text(PROBLEM)
    for name, data in (files or {}).items():
        (tmp_path / name).write_bytes(data)
    path = tmp_path / "sections" / "s.yaml"
    path.write_text(section)
    return path


def render(path: Path, out: Path, *args: str) -> dict[str, str | bytes]:
    res = CliRunner().invoke(main, ["render", str(path), "--out", str(out), "--all", *args])
    assert res.exit_code == 0, res.output
    return {p.name: (p.read_bytes() if p.suffix in (".png", ".pdf", ".jpg") else p.read_text()) for p in out.iterdir()}


def pdf_pages(data: bytes) -> int:
    proc = subprocess.run([need_tool("pdfinfo"), "-"], input=data, capture_output=True, timeout=60)
    return int(re.search(rb"Pages:\s+(\d+)", proc.stdout).group(1))


def pdf_text(path: Path) -> str:
    return subprocess.run([need_tool("pdftotext"), str(path), "-"], capture_output=True, text=True, timeout=60).stdout


def overfull_vboxes(tex_dir: Path, name: str) -> list[str]:
    """Compile ``name``.tex where solgen wrote it (its pictures beside it); the log's
    overfull frames."""
    exe = need_pdflatex()
    for _ in range(2):
        proc = subprocess.run([exe, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                              cwd=tex_dir, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-2000:]
    log = (tex_dir / f"{name}.log").read_text(errors="replace")
    return re.findall(r"Overfull \\vbox.*", log)


# -- the seed deck -------------------------------------------------------------------------

def test_the_seed_deck_fits_its_budget_and_no_frame_overflows(tmp_path):
    need_pdflatex()
    res = CliRunner().invoke(main, ["render", str(ROOT / "sections" / "3.yaml"), "--out", str(tmp_path), "--slides", "--pdf"])
    assert res.exit_code == 0, res.output
    pages = pdf_pages((tmp_path / "section-3-slides.pdf").read_bytes())
    assert 38 <= pages <= SEED_FRAMES, pages
    tex = (tmp_path / "section-3-slides.tex").read_text()
    assert not re.search(r"\\(footnotesize|scriptsize|tiny)\b", tex)  # readable from the back of the room
    assert overfull_vboxes(tmp_path, "section-3-slides") == []
    text = pdf_text(tmp_path / "section-3-slides.pdf")
    assert "Exact at" in text or "exact at" in text
    assert "solgen" not in text.lower()  # the documents do not talk about the tool


def test_the_seed_deck_has_the_seed_pictures_and_the_full_taylor_series(tmp_path):
    files = render(ROOT / "sections" / "3.yaml", tmp_path, "-f", "tex", "-f", "md", "-f", "html")
    deck = files["section-3-slides.tex"]
    for name in ("derivative", "second-derivative", "directions", "gradient-field", "linear-approximation"):
        assert f"\\includegraphics[" in deck and f"{{section-3-img-{name}.pdf}}" in deck
        assert f"](section-3-img-{name}.svg)" in files["section-3-slides.md"]
        assert f'src="section-3-img-{name}.svg"' in files["section-3-slides.html"]
        assert files[f"section-3-img-{name}.pdf"].startswith(b"%PDF")
    for words in ("exact at } a", "close around } a", "better and better approximations", "Interpreting the Jacobian",
                  "Gradient in multiple dimensions", "\\frac{f'''(a)}{3!}"):
        assert words in deck, words
    for name, doc in files.items():
        if name.endswith((".md", ".html")):  # the documents do not talk about the tool, nor name problems by file id
            visible = re.sub(r"<[^>]*>", " ", doc.split("<body")[-1])
            assert "solgen" not in visible.lower(), name
        if isinstance(doc, str):
            assert "Problem aside" not in doc and "aside (a)" not in doc and "Problem gradient" not in doc


def test_answer_frames_are_titled_as_a_ta_titles_them(tmp_path):
    path = course(tmp_path, "id: s\ntitle: T\nslides:\n  - {problem: ../problems/p.yaml}\n")
    files = render(path, tmp_path / "out", "-f", "tex", "-f", "md", "-f", "html")
    deck = files["s-slides.tex"]
    titles = re.findall(r"\\begin\{frame\}(?:\[t\])?\{([^}]*)\}", deck)
    assert titles[0] == "Problem 2.1" and "Problem 2.1 (a)" in titles[1:], titles
    assert "## Problem 2.1 (a)" in files["s-slides.md"]
    assert "<h2>Problem 2.1 (a)</h2>" in files["s-slides.html"]


# -- images -------------------------------------------------------------------------------

SVG = b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'><rect width='10' height='10'/></svg>"


def test_images_are_shown_in_every_format_and_copied_beside_them(tmp_path):
    need_pdflatex()
    path = course(tmp_path, "id: s\ntitle: T\nslides:\n  - md: |\n      # Pictures\n      Look:\n\n"
                            "      ![A grey box](../figs/box.png)\n\n      ![Vector art](../figs/art.svg){width=50%}\n",
                  {"figs/box.png": png(), "figs/art.svg": SVG})
    # an SVG needs a PDF or PNG beside it for LaTeX: without one, the alt text and a warning
    res = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "o1")])
    assert res.exit_code == 0 and "alt text" in res.output and f"{path}:" in res.output
    (tmp_path / "figs" / "art.png").write_bytes(png(6, 6))
    files = render(path, tmp_path / "out", "-f", "tex", "-f", "md", "-f", "html", "--pdf")
    assert files["s-img-box.png"] == png() and files["s-img-art.svg"].encode() == SVG
    for kind in ("s-slides", "s", "s-worksheet"):
        assert "\\includegraphics[" in files[f"{kind}.tex"] and "{s-img-box.png}" in files[f"{kind}.tex"]
        assert "{s-img-art.png}" in files[f"{kind}.tex"]  # LaTeX takes the PNG beside the SVG
        assert "![A grey box](s-img-box.png)" in files[f"{kind}.md"] and "](s-img-art.svg)" in files[f"{kind}.md"]
        assert '<img src="s-img-box.png" alt="A grey box"' in files[f"{kind}.html"]
        assert "!A grey box" not in files[f"{kind}.md"] + files[f"{kind}.tex"]
        assert files[f"{kind}.pdf"].startswith(b"%PDF")
    assert "width=0.50\\linewidth" in files["s-slides.tex"]


@pytest.mark.parametrize(("ref", "files", "says"), [
    ("../../outside.png", {}, "outside the course folder"),
    ("/etc/passwd.png", {}, "absolute path"),
    ("https://example.org/x.png", {}, "no web addresses"),
    ("../figs/missing.png", {}, "no such image file"),
    ("../figs/fake.png", {"figs/fake.png": b"GIF89a not a png"}, "is not a png file"),
    ("../figs/x.gif", {"figs/x.gif": b"GIF89a"}, "png, jpg, svg or pdf"),
])
def test_a_bad_image_is_an_error_at_its_line(tmp_path, ref, files, says):
    (tmp_path / "outside.png").write_bytes(png())
    path = course(tmp_path / "c", f"id: s\nslides:\n  - md: |\n      # A\n      text\n\n      ![x]({ref})\n", files)
    res = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert f"{path}:7: error:" in res.output and says in res.output, res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


# -- builds, notes, detail, agenda -----------------------------------------------------------------

def test_a_pause_line_builds_the_slide_in_every_deck_and_never_in_a_handout(tmp_path):
    need_pdflatex()
    path = course(tmp_path, "id: s\ntitle: T\nslides:\n  - md: |\n      # Build\n      First\n\n      . . .\n\n"
                            "      Second\n\n      . . .\n\n      Third\n")
    files = render(path, tmp_path / "out", "-f", "tex", "-f", "md", "-f", "html", "--pdf")
    deck = files["s-slides.tex"]
    frame = deck[deck.index("{Build}"):deck.index("\\end{frame}", deck.index("{Build}"))]
    assert frame.index("First") < frame.index("\\pause") < frame.index("Second") < frame.rindex("\\pause") < frame.index("Third")
    assert frame.count("\\pause") == 2
    assert pdf_pages(files["s-slides.pdf"]) == 1 + 3  # the title, then the slide in three steps
    assert re.search(r"First\n\n\. \. \.\n\nSecond\n\n\. \. \.\n\nThird", files["s-slides.md"])
    html = files["s-slides.html"]
    assert html.count('<div class="step">') == 2 and "First" in html.split('<div class="step">')[0]
    for handout in ("s.tex", "s.md", "s.html", "s-worksheet.tex"):
        assert "\\pause" not in files[handout] and ". . ." not in files[handout] and 'class="step"' not in files[handout]
        assert "First" in files[handout] and "Third" in files[handout]


def test_speaker_notes_go_to_the_presenter_only(tmp_path):
    path = course(tmp_path, "id: s\ntitle: T\nagenda: [Start, End]\nslides:\n"
                            "  - {md: \"# One\\nText\", notes: \"Say: slope means rate --> here\"}\n"
                            "  - {topic: Start, notes: \"Topic note\"}\n"
                            "  - {problem: ../problems/p.yaml, notes: \"Problem note\"}\n")
    files = render(path, tmp_path / "out", "-f", "tex", "-f", "md", "-f", "html")
    deck, md, html = files["s-slides.tex"], files["s-slides.md"], files["s-slides.html"]
    for note in ("Say: slope means rate", "Topic note", "Problem note"):
        assert re.search(r"\\note\{[^}]*" + note, deck), note
        assert re.search(r"<!--\n[^\n]*" + note, md), note
        assert re.search(r'<aside class="notes" hidden>(<p>)?' + note, html), note
        for handout in ("s.tex", "s.md", "s.html", "s-worksheet.tex", "s-worksheet.html"):
            assert note not in files[handout]
    assert "-->" not in md.split("Say: slope means rate")[1].split("\n")[0]  # the note cannot close its comment early
    assert "aside.notes { display: none !important; }" in html  # never printed


def test_detail_on_an_item_sets_that_slide_only(tmp_path):
    path = course(tmp_path, "id: s\ntitle: T\nslides:\n"
                            "  - {problem: ../problems/p.yaml, title: Short, detail: answer}\n"
                            "  - {problem: ../problems/p.yaml, title: Long, detail: full}\n")
    deck = render(path, tmp_path / "out", "-f", "tex")["s-slides.tex"]
    short, long = deck[deck.index("{Short}"):deck.index("{Long}")], deck[deck.index("{Long}"):]
    assert "\\solstep" not in short and "\\nabla f(x, y) = \\begin{bmatrix}" in short
    assert long.count("\\solstep") >= 4 and "\\nabla f(x, y) = \\begin{bmatrix}" in long
    bad = course(tmp_path / "b", "id: s\nslides:\n  - {problem: ../problems/p.yaml, detail: most}\n")
    res = CliRunner().invoke(main, ["render", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and f"{bad}:3: error: 'detail' must be one of full, standard, answer" in res.output


def test_an_explicit_agenda_lists_items_without_dividers(tmp_path):
    path = course(tmp_path, "id: s\ntitle: T\nagenda: [\"Warm-up\", \"Vector calculus\", \"Jacobian\"]\nslides:\n"
                            "  - {md: \"# Hi\"}\n  - {agenda: \"Vector calculus\"}\n  - {topic: Jacobian}\n")
    files = render(path, tmp_path / "out", "-f", "tex", "-f", "md", "-f", "html")
    deck = files["s-slides.tex"]
    agendas = re.findall(r"\{Plans for today!\}(.*?)\\end\{frame\}", deck, re.S)
    assert len(agendas) == 2  # the opening one, and the {agenda: ...} slide
    assert [re.sub(r"\\color\{gray\}|[{}]", "", i).strip() for i in re.findall(r"\\item (.*)", agendas[0])] == [
        "Warm-up", "Vector calculus", "Jacobian"]
    assert "\\textbf{Vector calculus}" in agendas[1] and "{\\color{gray}Warm-up}" in agendas[1]
    assert "{\\Huge\\bfseries Jacobian\\par}" in deck  # a divider need not be on the agenda's terms
    assert "2. **Vector calculus**" in files["s-slides.md"]
    bad = course(tmp_path / "b", "id: s\nagenda: [A, B]\nslides:\n  - {md: x}\n  - {agenda: C}\n")
    res = CliRunner().invoke(main, ["render", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and f"{bad}:5: error: 'C' is not on the agenda (A, B)" in res.output


def test_the_markdown_decks_parse_into_slides(tmp_path):
    files = render(ROOT / "sections" / "3.yaml", tmp_path, "-f", "md")
    md = MarkdownIt("commonmark").use(dollarmath_plugin).enable("table")
    for name in ("section-3-slides.md", "section-3.md", "section-3-worksheet.md"):
        tokens = md.parse(files[name])
        images = [c for t in tokens if t.type == "inline" for c in t.children or [] if c.type == "image"]
        assert {c.attrs["src"] for c in images} >= {"section-3-img-derivative.svg", "section-3-img-gradient-field.svg"}
        assert all((tmp_path / str(c.attrs["src"])).is_file() for c in images)
    deck = md.parse(files["section-3-slides.md"])
    assert sum(t.type == "hr" for t in deck) >= 38  # a slide per seed slide
    assert "math: katex" not in files["section-3-slides.md"]  # front matter that loads nothing


def test_the_html_deck_loads_with_notes_and_steps(tmp_path):
    from test_html import load_in_chromium

    need_tool("chromium")
    files = render(ROOT / "sections" / "3.yaml", tmp_path, "-f", "html")
    dom, console = load_in_chromium(files["section-3-slides.html"], tmp_path)
    assert not console, console
    assert '<aside class="notes"' in dom and '<div class="step' in dom
