"""Conventions TAs know from pandoc, latexmk and click tools: course defaults in a
solgen.toml, python -m solgen, -q and -v, scaffolds for a section and a course that render
as they are, a LICENSE the package metadata names."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT

from solgen.cli import main

PROBLEM = """\
id: "{id}"
title: "A gradient"
variables: [x, y]
functions: {{f: "x^2*y + y^3"}}
parts:
  - {{id: a, ask: gradient, of: f}}
"""


def run(*args: str, cwd: Path | None = None):
    import os

    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        return CliRunner().invoke(main, list(args))
    finally:
        os.chdir(old)


def course(tmp_path: Path, toml: str, problem: str = PROBLEM.format(id="1.1")) -> Path:
    root = tmp_path / "course"
    (root / "problems" / "week1").mkdir(parents=True)
    (root / "solgen.toml").write_text(toml)
    (root / "problems" / "week1" / "1.1.yaml").write_text(problem)
    return root


def test_course_defaults_come_from_a_solgen_toml_in_a_parent_folder(tmp_path):
    root = course(tmp_path, 'course = "CSE 446"\nauthor = "TA: Ada"\nlang = "de"\nout = "build"\nformats = ["md", "json"]\n')
    res = run("render", str(root / "problems" / "week1" / "1.1.yaml"))
    assert res.exit_code == 0, res.output
    md = (root / "build" / "1.1.md").read_text()  # out relative to the toml, formats from it
    assert "CSE 446" in md and "TA: Ada" in md
    assert "Bestimmen Sie" in md or "Sei " in md  # German words from lang = "de"
    assert (root / "build" / "1.1.json").exists() and not (root / "build" / "1.1.tex").exists()


def test_the_files_own_fields_and_the_flags_win_over_the_toml(tmp_path):
    own = PROBLEM.format(id="1.1").replace('title: "A gradient"\n', 'title: "A gradient"\ncourse: "Math 2"\nlang: en\n')
    root = course(tmp_path, 'course = "CSE 446"\nauthor = "TA: Ada"\nlang = "de"\nout = "build"\nformats = ["md"]\n', own)
    res = run("render", str(root), "--format", "tex", "--out", str(tmp_path / "mine"))
    assert res.exit_code == 0, res.output
    tex = (tmp_path / "mine" / "1.1.tex").read_text()
    assert "Math 2" in tex and "CSE 446" not in tex  # the file's course
    assert "TA: Ada" in tex  # the toml fills what the file leaves out
    assert "gradient" in tex.lower() and "Gradienten" not in tex  # the file's lang: en
    assert not (root / "build").exists()
    res = run("render", str(root), "--lang", "de", "--format", "md", "--out", str(tmp_path / "de"))
    assert "Gradienten" in (tmp_path / "de" / "1.1.md").read_text()  # the flag wins over the file


def test_the_nearest_toml_wins_and_a_new_one_is_seen_by_the_cache(tmp_path):
    root = course(tmp_path, 'course = "Outer"\n')
    target = root / "problems" / "week1" / "1.1.yaml"
    assert run("render", str(target), "--format", "md", "--out", str(tmp_path / "o")).exit_code == 0
    assert "Outer" in (tmp_path / "o" / "1.1.md").read_text()
    (root / "problems" / "solgen.toml").write_text('course = "Inner"\n')
    res = run("render", str(target), "--format", "md", "--out", str(tmp_path / "o"))
    assert res.exit_code == 0 and "(unchanged)" not in res.output
    assert "Inner" in (tmp_path / "o" / "1.1.md").read_text()
    (root / "problems" / "solgen.toml").write_text('course = "Edited"\n')
    assert run("render", str(target), "--format", "md", "--out", str(tmp_path / "o")).exit_code == 0
    assert "Edited" in (tmp_path / "o" / "1.1.md").read_text()


def test_templates_from_the_toml_are_relative_to_it(tmp_path):
    root = course(tmp_path, 'templates = "mytemplates"\nout = "out"\n')
    (root / "mytemplates" / "words").mkdir(parents=True)
    (root / "mytemplates" / "words" / "en.yaml").write_text('document:\n  title: "Exercise {{id}}: {{title}}"\n')
    res = run("render", str(root), "--format", "md")
    assert res.exit_code == 0, res.output
    assert "Exercise 1.1" in (root / "out" / "1.1.md").read_text()


@pytest.mark.parametrize("toml, line, message", [
    ('course = "CSE\n', 1, "not valid TOML"),
    ('course = "x"\n\nformats = ["pdf"]\n', 3, "formats must be"),
    ('course = "x"\ncorse = "y"\n', 2, "unknown key 'corse'; did you mean 'course'"),
    ('lang = "fr"\n', 1, "lang 'fr' has no words catalog"),
    ('templates = "nowhere"\n', 1, "templates folder 'nowhere' does not exist"),
    ('course = "x"\nout = "../../elsewhere"\n', 2, "out '../../elsewhere' must be a folder inside this file's folder"),
    ('out = "/tmp"\n', 1, "out '/tmp' must be a folder inside"),
    ('templates = "~/t"\n', 1, "templates '~/t' must be a folder inside"),
])
def test_a_bad_toml_is_an_error_at_its_line(tmp_path, toml, line, message):
    root = course(tmp_path, toml)
    res = run("render", str(root), "--out", str(tmp_path / "o"))
    assert res.exit_code == 1
    assert f"solgen.toml:{line}: error: " in res.output and message in res.output, res.output
    assert "Traceback" not in res.output and not (tmp_path / "o").exists()


def test_python_dash_m_solgen_quiet_and_verbose(tmp_path):
    (tmp_path / "p.yaml").write_text(PROBLEM.format(id="p"))
    (tmp_path / "solgen.toml").write_text('course = "CSE 446"\n')
    base = [sys.executable, "-m", "solgen"]
    proc = subprocess.run([*base, "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "version" in proc.stdout
    proc = subprocess.run([*base, "render", "p.yaml", "-q", "--no-cache"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""  # errors only, and there are none
    assert (tmp_path / "out" / "p.tex").exists()
    proc = subprocess.run([*base, "-v", "render", "p.yaml", "--no-cache"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and "p.yaml -> out/p.tex" in proc.stdout
    assert "solgen: " in proc.stderr and "solgen.toml" in proc.stderr  # the log, on stderr
    (tmp_path / "bad.yaml").write_text("id: bad\n")
    proc = subprocess.run([*base, "-q", "render", "bad.yaml"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stdout == "" and "bad.yaml:1: error:" in proc.stderr  # errors still show


def test_verbose_turns_on_the_solgen_loggers_at_info(tmp_path, caplog):
    (tmp_path / "p.yaml").write_text(PROBLEM.format(id="p"))
    logging.getLogger("solgen").setLevel(logging.WARNING)
    try:
        res = run("render", "-v", str(tmp_path / "p.yaml"), "--out", str(tmp_path / "o"))
        assert res.exit_code == 0
        assert logging.getLogger("solgen").level == logging.INFO
        assert logging.getLogger("solgen.cache").getEffectiveLevel() == logging.INFO
    finally:
        log = logging.getLogger("solgen")
        log.setLevel(logging.NOTSET)
        for h in [h for h in log.handlers if getattr(h, "solgen_verbose", False)]:
            log.removeHandler(h)


def test_new_course_renders_as_it_is(tmp_path):
    res = run("new", "--course", "cse446", cwd=tmp_path)
    assert res.exit_code == 0, res.output
    root = tmp_path / "cse446"
    assert (root / "solgen.toml").exists() and (root / "sections" / "section-1.yaml").exists()
    assert sorted(p.name for p in (root / "problems").glob("*.yaml")) == ["1.1.yaml", "1.2.yaml"]
    res = run("render", "cse446", cwd=tmp_path)
    assert res.exit_code == 0, res.output
    out = root / "out"  # the toml's out, relative to it
    names = {p.name for p in out.iterdir()}
    assert {"1.1.tex", "1.1.html", "1.2.tex", "section-1-slides.tex", "section-1.html"} <= names
    assert 'cse446' in (out / "1.1.tex").read_text()  # the course from the toml
    assert run("new", "--course", "cse446", cwd=tmp_path).exit_code == 1  # never overwrites


def test_new_section_renders_as_it_is(tmp_path):
    res = run("new", "--section", "section-4", cwd=tmp_path)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "sections" / "section-4.yaml").exists()
    res = run("render", "sections/section-4.yaml", "--out", "o", cwd=tmp_path)
    assert res.exit_code == 0, res.output
    assert "Partial derivatives" in (tmp_path / "o" / "section-4-slides.tex").read_text()
    assert run("new", "--section", "../x", cwd=tmp_path).exit_code == 2
    assert run("new", "1.1", "--section", "s", cwd=tmp_path).exit_code == 2  # one at a time


def test_license_and_package_metadata():
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    assert "MIT License" in (ROOT / "LICENSE").read_text()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"] == "MIT" and meta["license-files"] == ["LICENSE"]
    assert {"Homepage", "Source", "Issues"} <= set(meta["urls"])
    assert any(c.startswith("Topic :: Education") for c in meta["classifiers"])
    assert "jsonschema>=4.18" in meta["optional-dependencies"]["test"]


def test_svg_figures_are_opaque_name_their_layers_and_say_what_each_shows(tmp_path):
    import xml.etree.ElementTree as ET

    res = run("render", str(ROOT / "problems" / "1.2.yaml"), "--format", "md", "--all", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    ns = {"s": "http://www.w3.org/2000/svg"}
    alts = {}
    for name in ("1.2-fig-g.svg", "1.2-fig-h.svg", "1.2-fig-g-worksheet.svg"):
        root = ET.parse(tmp_path / name).getroot()
        width, height = root.get("width"), root.get("height")
        first = [el for el in root if el.tag.split("}")[1] not in ("title", "desc", "defs")][0]
        assert first.tag.endswith("rect") and first.get("fill") == "#ffffff"  # painted first, under everything
        assert (first.get("x"), first.get("y"), first.get("width"), first.get("height")) == ("0", "0", width, height)
        desc = root.find("s:desc", ns).text
        alts[name] = root.find("s:title", ns).text
        assert root.get("aria-label") == alts[name]
        assert desc.startswith("Layers, bottom to top: contour lines of f")
    g, h, blank = alts["1.2-fig-g.svg"], alts["1.2-fig-h.svg"], alts["1.2-fig-g-worksheet.svg"]
    assert g != h
    assert "d1 = (1, 1) (the approximation goes up)" in g and "d3 = (1, -1) (the approximation stays level)" in g
    assert "tangent" in g and "gradient field" not in g
    assert "gradient field" in h and "tangent" in h and "directions" not in h
    assert "Left to draw: the gradient at the point" in blank and "goes up" not in blank  # no answers on a worksheet
    desc_h = ET.parse(tmp_path / "1.2-fig-h.svg").getroot().find("s:desc", ns).text
    assert "gradient field of f (small red arrows)" in desc_h and "tangent" in desc_h
    md = (tmp_path / "1.2.md").read_text().replace("\\", "")  # Markdown escapes ^ and *
    assert f"![{g}](1.2-fig-g.svg)" in md and f"![{h}](1.2-fig-h.svg)" in md  # the alt text the page shows


PLAIN_PREAMBLE = "\\documentclass[11pt]{article}\n\\usepackage[a4paper,margin=2cm]{geometry}\n"


def _compile(folder: Path, name: str) -> subprocess.CompletedProcess:
    from conftest import need_pdflatex

    exe = need_pdflatex()
    return subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", name], cwd=folder,
                          capture_output=True, text=True, timeout=300)


def test_a_body_pastes_into_a_course_preamble_that_loads_geometry_itself(tmp_path):
    out = tmp_path / "out"
    for stem in ("1.2", "3.1"):  # a figure, and a second body in the same document
        res = run("render", str(ROOT / "problems" / f"{stem}.yaml"), "--body-only", "--out", str(out))
        assert res.exit_code == 0, res.output
    body12, body31 = (out / "1.2.tex").read_text(), (out / "3.1.tex").read_text()
    for body in (body12, body31):
        code = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("%"))
        assert "\\documentclass" not in code and "\\usepackage" not in code and "\\begin{document}" not in code
        assert "geometry" not in code
    assert "\\newcommand" not in body12 and "\\providecommand{\\solstep}" in body12
    doc = PLAIN_PREAMBLE + "\\usepackage{solgen}\n\\begin{document}\n\\section*{Week 3}\n" + body12 + body31 + "\\end{document}\n"
    (out / "course.tex").write_text(doc)
    proc = _compile(out, "course.tex")  # solgen.sty was written beside the bodies
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert (out / "course.pdf").stat().st_size > 10000


def test_a_body_needs_only_amsmath_where_it_has_no_figure(tmp_path):
    res = run("render", str(ROOT / "problems" / "3.1.yaml"), "--body-only", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    (tmp_path / "solgen.sty").unlink()  # the course's own preamble only
    doc = PLAIN_PREAMBLE + "\\usepackage{amsmath,amssymb}\n\\begin{document}\n" + (tmp_path / "3.1.tex").read_text() \
        + "\\end{document}\n"
    (tmp_path / "mine.tex").write_text(doc)
    proc = _compile(tmp_path, "mine.tex")
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_body_only_and_pdf_do_not_go_together(tmp_path):
    res = run("render", str(ROOT / "problems" / "3.1.yaml"), "--body-only", "--pdf", "--out", str(tmp_path))
    assert res.exit_code == 2 and "--body-only" in res.output


def test_shell_completion_as_the_readme_says():
    import os
    import shutil

    exe = shutil.which("solgen", path=str(Path(sys.executable).parent)) or "solgen"
    env = {**os.environ, "_SOLGEN_COMPLETE": "bash_source"}
    proc = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "_solgen_completion" in proc.stdout
    env = {**os.environ, "_SOLGEN_COMPLETE": "bash_complete", "COMP_WORDS": "solgen render --bo", "COMP_CWORD": "2"}
    proc = subprocess.run([exe], env=env, capture_output=True, text=True, timeout=60)
    assert "--body-only" in proc.stdout
