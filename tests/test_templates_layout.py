"""The templates are page shells: at most four per format, none of them asks which ask or
which kind of item it prints (present/blocks.py lays parts out as blocks), and a course's
--templates folder overrides them by their names."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from conftest import ROOT
from solgen.cli import main

TEMPLATES = ROOT / "templates"
FORMATS = ("tex", "md", "html")
P12 = str(ROOT / "problems" / "1.2.yaml")
SECTION = str(ROOT / "sections" / "3.yaml")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_at_most_four_templates_per_format(fmt):
    names = sorted(p.name for p in (TEMPLATES / fmt).iterdir() if not p.name.startswith("."))
    assert all(n.endswith(f".{fmt}.j2") for n in names), names
    assert 1 <= len(names) <= 4, names
    assert {f"document.{fmt}.j2", f"slides.{fmt}.j2", f"parts.{fmt}.j2"} <= set(names)


# a test on an ask's name, an item's kind or a block's type: the dispatch present/blocks.py does
DISPATCH = re.compile(r"\bask\s*(==|!=|in\b)|\bkind\s*(==|!=)|\.type\s*(==|!=)|\.ask\b|'ask'|\.kind\b")


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*/*.j2")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_template_dispatches_on_ask_or_kind(path):
    text = path.read_text(encoding="utf-8")
    found = [(i, line) for i, line in enumerate(text.splitlines(), 1) if DISPATCH.search(line)]
    assert not found, f"{path}: {found}"


def test_every_kind_renders_from_the_new_names(tmp_path):
    """Handout, worksheet and slides of a problem and a section: four shells per format."""
    out = tmp_path / "out"
    res = run("render", P12, SECTION, "--all", "-f", "tex", "-f", "md", "-f", "html", "--out", str(out), "--no-cache", "-q")
    assert res.exit_code == 0, res.output
    for stem in ("1.2", "1.2-worksheet", "1.2-slides"):
        for fmt in FORMATS:
            assert (out / f"{stem}.{fmt}").stat().st_size > 0


def test_override_of_document_and_slides_by_their_names(tmp_path):
    tpl = tmp_path / "tpl"
    (tpl / "tex").mkdir(parents=True)
    (tpl / "md").mkdir()
    doc = (TEMPLATES / "tex" / "document.tex.j2").read_text(encoding="utf-8")
    assert doc.count("\\begin{document}") == 1
    (tpl / "tex" / "document.tex.j2").write_text(doc.replace("\\begin{document}", "\\begin{document}\n% COURSE HANDOUT", 1),
                                                 encoding="utf-8")
    slides = (TEMPLATES / "md" / "slides.md.j2").read_text(encoding="utf-8")
    (tpl / "md" / "slides.md.j2").write_text("{#- a course's deck -#}\nCOURSE DECK\n" + slides, encoding="utf-8")
    out = tmp_path / "out"
    res = run("render", P12, SECTION, "--all", "-f", "tex", "-f", "md", "--templates", str(tpl), "--out", str(out),
              "--no-cache", "-q")
    assert res.exit_code == 0, res.output
    for name in ("1.2.tex", "1.2-worksheet.tex", "section-3.tex", "section-3-worksheet.tex"):
        assert "% COURSE HANDOUT" in (out / name).read_text(), name  # every handout and worksheet
    assert "% COURSE HANDOUT" not in (out / "1.2-slides.tex").read_text()
    assert (out / "1.2-slides.md").read_text().startswith("COURSE DECK")
    assert (out / "section-3-slides.md").read_text().startswith("COURSE DECK")
    assert not (out / "1.2.md").read_text().startswith("COURSE DECK")


def test_override_of_the_preamble_changes_the_macros_of_bodies_and_the_sty(tmp_path):
    """The macros are defined once (preamble.tex.j2): a course's copy changes the full .tex,
    the head of a --body-only body and solgen.sty alike."""
    tpl = tmp_path / "tpl" / "tex"
    tpl.mkdir(parents=True)
    pre = (TEMPLATES / "tex" / "preamble.tex.j2").read_text(encoding="utf-8")
    old = "\\providecommand{\\reason}[1]{\\quad{\\small\\itshape(#1)}}"
    new = "\\providecommand{\\reason}[1]{\\quad{\\small\\bfseries(#1)}}"
    assert pre.count(old) == 1
    tpl.joinpath("preamble.tex.j2").write_text(pre.replace(old, new), encoding="utf-8")
    full, body = tmp_path / "full", tmp_path / "body"
    assert run("render", P12, "--templates", str(tmp_path / "tpl"), "--out", str(full), "--no-cache", "-q").exit_code == 0
    assert run("render", P12, "--body-only", "--templates", str(tmp_path / "tpl"), "--out", str(body), "--no-cache",
               "-q").exit_code == 0
    for text in ((full / "1.2.tex").read_text(), (body / "1.2.tex").read_text(), (body / "solgen.sty").read_text()):
        assert new in text and old not in text
    assert "\\ProvidesPackage{solgen}" in (body / "solgen.sty").read_text()
    assert "\\documentclass" not in (body / "1.2.tex").read_text()


@pytest.mark.parametrize("old", ["handout.tex.j2", "section-slides.md.j2", "macros.tex.j2"])
def test_an_old_template_name_overrides_nothing(tmp_path, old):
    fmt = old.split(".")[1]
    (tmp_path / "tpl" / fmt).mkdir(parents=True)
    (tmp_path / "tpl" / fmt / old).write_text("x\n")
    res = run("render", P12, "-f", fmt, "--templates", str(tmp_path / "tpl"), "--out", str(tmp_path / "out"), "-q")
    assert res.exit_code == 1
    assert f"overrides nothing: no built-in {fmt}/{old}" in res.output and "document." in res.output
