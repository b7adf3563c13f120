"""HTML, the third format: every built-in problem's pages load in a real browser
(headless Chromium) with no console message, their math renders as MathML, and nothing
from a problem file becomes markup, a link target or a script."""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import PROBLEMS, need_tool, rendered
from solgen.cli import main

KINDS = ("handout", "worksheet", "slides", "slides-worksheet")

# Measures the math after layout: how many formulas, how many have no size, and how many
# fractions are laid out as fractions (taller than their numerator), which only happens
# when the browser renders MathML.
PROBE = """
document.querySelectorAll('[hidden]').forEach(function (e) { e.hidden = false; });
var maths = document.querySelectorAll('math'), empty = 0, stacked = 0, fracs = document.querySelectorAll('mfrac');
maths.forEach(function (m) { var r = m.getBoundingClientRect(); if (r.width < 1 || r.height < 1) { empty++; } });
fracs.forEach(function (f) {
  var num = f.firstElementChild.getBoundingClientRect().height, all = f.getBoundingClientRect().height;
  if (all > 1.5 * num) { stacked++; }
});
document.body.setAttribute('data-probe', maths.length + ':' + empty + ':' + fracs.length + ':' + stacked);
"""


def csp_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def load_in_chromium(page: str, tmp_path: Path) -> tuple[str, list[str]]:
    """Load ``page`` (with the probe added and allowed by its CSP) in headless Chromium;
    return the DOM after load and every console message."""
    exe = need_tool("chromium")
    probe_csp = csp_source(PROBE)
    if "script-src" in page:
        page = page.replace("script-src ", f"script-src {probe_csp} ", 1)
    else:
        page = page.replace("img-src 'self' data:", f"img-src 'self' data:; script-src {probe_csp}", 1)
    page = page.replace("</body>", f"<script>{PROBE}</script>\n</body>")
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    proc = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
         "--window-size=1000,1400", "--dump-dom", path.as_uri()],
        capture_output=True, timeout=120, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    console = [l for l in proc.stderr.decode(errors="replace").splitlines() if ":CONSOLE" in l]
    return proc.stdout.decode("utf-8", "replace"), console


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_page_loads_with_math_and_no_console_message(path: Path, kind: str, tmp_path: Path) -> None:
    page = rendered(str(path), "html", kind)
    dom, console = load_in_chromium(page, tmp_path)
    assert not console, console
    m = re.search(r'data-probe="(\d+):(\d+):(\d+):(\d+)"', dom)
    assert m, "the probe did not run: the page's script policy or markup is broken"
    maths, empty, fracs, stacked = map(int, m.groups())
    assert maths > 0 and empty == 0, (maths, empty)
    if fracs:
        assert stacked == fracs, f"{fracs - stacked} of {fracs} fractions are not laid out as fractions"


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_handout_steps_are_collapsible_and_worksheet_has_no_answer(path: Path) -> None:
    handout, sheet = rendered(str(path), "html", "handout"), rendered(str(path), "html", "worksheet")
    if "<ol class=\"steps\">" in handout:
        assert handout.count("<details class=\"group\" open>") >= 1
    assert "<details" not in sheet and "class=\"reason\"" not in sheet
    assert "<math" in sheet  # the questions keep their formulas


class Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((k, v or "") for k, v in attrs)


PAYLOAD = (
    "<script>alert(1)</script> <img src=x onerror=alert(1)> <iframe src=//evil></iframe> <svg onload=alert(1)> "
    "[a](JaVaScRiPt:alert(1)) [b](data:text/html;base64,PHNjcmlwdD4=) [c](run:/usr/bin/xcalc) "
    "<javascript:alert(2)> $\\input{/etc/passwd}$ $x<script>$ [ok](https://example.org)"
)


@pytest.mark.parametrize("kind", ["handout", "slides"])
def test_prose_cannot_add_markup_links_or_scripts(tmp_path: Path, kind: str) -> None:
    text = (
        'id: "x"\ntitle: "<b>T</b> \\" onload=alert(1)"\ncourse: "<script>c</script>"\nvariables: [x]\n'
        'functions: {f: "x^2"}\nparts:\n  - {id: a, ask: gradient, of: f}\n  - id: b\n    ask: text\n'
        f"    prompt: '{PAYLOAD}'\n    answer: '{PAYLOAD}'\n    notes: '{PAYLOAD}'\n"
    )
    src = tmp_path / "x.yaml"
    src.write_text(text, encoding="utf-8")
    args = ["render", str(src), "--format", "html", "--out", str(tmp_path / "out")] + (["--slides"] if kind == "slides" else [])
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    page = (tmp_path / "out" / ("x.html" if kind == "handout" else "x-slides.html")).read_text(encoding="utf-8")
    parser = Markup()
    parser.feed(page)
    assert set(parser.tags) <= {"html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "h3", "p",
                                "section", "div", "details", "summary", "ol", "ul", "li", "span", "strong", "em", "code",
                                "a", "script", "math", "mrow", "mi", "mn", "mo", "msup", "msub", "mfrac", "mtable", "mtr",
                                "mtd", "mspace", "mtext", "msubsup", "mstyle", "pre"}, set(parser.tags)
    assert parser.tags.count("script") == (1 if kind == "slides" else 0)  # solgen's own deck script only
    assert not [k for k, _ in parser.attrs if k.startswith("on")]
    hrefs = [v for k, v in parser.attrs if k in ("href", "src")]
    assert hrefs == ["https://example.org"] * (3 if kind == "handout" else 2), hrefs  # slides show no notes
    assert "&lt;script&gt;" in page
    dom, console = load_in_chromium(page, tmp_path)
    assert not console, console


def test_text_in_math_cannot_become_html(tmp_path: Path) -> None:
    """latex2mathml copies \\text{...} into <mtext> unescaped: solgen keeps only MathML."""
    prompt = ("A $\\text{<img/src=x/onerror=alert(1)>}$ B $\\text{<script>alert(2)</script>}$ "
              "C $\\text{<meta/http-equiv=refresh/content=0;url=file:///etc/hostname>}$")
    src = tmp_path / "m.yaml"
    src.write_text('id: "m"\nvariables: [x]\nfunctions: {f: "x^2"}\nparts:\n  - id: a\n    ask: text\n'
                   f"    prompt: '{prompt}'\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--format", "html", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "out" / "m.html").read_text(encoding="utf-8")
    parser = Markup()
    parser.feed(page)
    assert "img" not in parser.tags and "script" not in parser.tags
    assert parser.tags.count("meta") == 3  # the page's own: charset, viewport, CSP
    assert not [k for k, _ in parser.attrs if k.startswith("on") or k == "http-equiv" and _ != "Content-Security-Policy"]
