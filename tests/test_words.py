"""Words once, in any language: the catalogs agree, a German problem reads German in every
kind and format, a course rewords one file, and a catalog is untrusted input."""

from __future__ import annotations

import re
import subprocess

import pytest
from click.testing import CliRunner

from conftest import ROOT, need_pdflatex, need_tool, rendered
from solgen.cli import main
from solgen.input.problem import LANGS
from solgen.present.words import WordsError, _read, builtin_words, load_words

GERMAN = ROOT / "problems" / "6.1.yaml"
KINDS = ("handout", "worksheet", "slides", "slides-worksheet")
# English words solgen itself writes (a German problem file's own prose is German).
ENGLISH = set(
    """the of is are and what which rule derivative derivatives constant constants treat point value
    answer solution problem worksheet approximation expansion derived continued sum power product
    chain quotient hessian jacobian goes stays depends itself term with its own at so
    work your let generalized uses needs around""".split()
)


def english_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in ENGLISH}


@pytest.mark.parametrize("lang", LANGS)
def test_every_builtin_sentence_parses(lang: str) -> None:
    """solgen's own catalogs are parsed lazily at render time, sentence by sentence: here
    every one of them is parsed and checked as a course's catalog would be."""
    path = builtin_words() / f"{lang}.yaml"
    eager = _read(path)  # a course's way: the line-numbered loader, every sentence checked now
    assert set(eager) == load_words(lang).keys()
    words = load_words(lang)
    for key, entry in words.entries.items():
        for one in (entry.values() if isinstance(entry, dict) else [entry]):
            parsed = one.parse() if hasattr(one, "parse") else one  # raises WordsError on a bad one
            assert parsed.key == key


def test_every_catalog_has_every_key() -> None:
    keys = {lang: load_words(lang).keys() for lang in LANGS}
    for lang, have in keys.items():
        assert have == keys["en"], (lang, have ^ keys["en"])


@pytest.mark.parametrize("kind", KINDS)
def test_german_markdown_has_no_english_word(kind: str) -> None:
    md = rendered(str(GERMAN), "md", kind)
    text = re.sub(r"\$\$.*?\$\$|\$[^$\n]*\$", " ", md, flags=re.S)  # math is not words
    text = re.sub(r"^---\n.*?\n---\n", "", text, flags=re.S)  # front matter keys
    assert not english_words(text), sorted(english_words(text))
    assert "Aufgabe 6.1" in md


@pytest.mark.parametrize("kind", KINDS)
def test_german_pdf_has_no_english_word(kind: str, tmp_path) -> None:
    exe = need_pdflatex()
    (tmp_path / "doc.tex").write_text(rendered(str(GERMAN), "tex", kind), encoding="utf-8")
    proc = subprocess.run([exe, "-halt-on-error", "-interaction=nonstopmode", "doc.tex"], cwd=tmp_path,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace")[-1500:]
    text = subprocess.run([need_tool("pdftotext"), "doc.pdf", "-"], cwd=tmp_path, capture_output=True, timeout=60).stdout.decode()
    assert not english_words(text), sorted(english_words(text))
    assert "Aufgabe 6.1" in text


def test_english_and_german_say_the_same_steps() -> None:
    """The catalog changes the words, never the math: the same equations in both languages."""
    from solgen.derive.calculus import solve
    from solgen.input.problem import load_problem
    from solgen.present.view import build_view

    solution = solve(load_problem(str(GERMAN)))
    views = {lang: build_view(solution, load_words(lang)) for lang in LANGS}

    def equations(view):
        return [s["equation"] for q in view["questions"] for p in q["parts"] for g in p["groups"] for s in g["lines"]]

    assert equations(views["en"]) == equations(views["de"])
    assert equations(views["en"])


def test_a_catalog_with_unsafe_math_is_refused(tmp_path) -> None:
    (tmp_path / "words").mkdir()
    (tmp_path / "words" / "en.yaml").write_text("rule:\n  sum: '$\\input{/etc/passwd}$'\n", encoding="utf-8")
    with pytest.raises(WordsError) as err:
        load_words("en", tmp_path)
    assert err.value.line == 2 and "does not allow" in str(err.value)


def test_a_catalog_error_is_reported_at_its_line(tmp_path) -> None:
    (tmp_path / "tpl" / "words").mkdir(parents=True)
    (tmp_path / "tpl" / "words" / "en.yaml").write_text("rule:\n  power: 'power $x^2 rule'\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(ROOT / "problems" / "3.1.yaml"), "--templates", str(tmp_path / "tpl"),
                                    "--out", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert re.search(r"words/en\.yaml:2: error: words 'rule\.power': a '\$' is not closed", res.output), res.output
    assert not (tmp_path / "out").exists()


def test_lang_in_the_file_must_have_a_catalog(tmp_path) -> None:
    src = tmp_path / "p.yaml"
    src.write_text('id: "p"\nlang: fr\nvariables: [x]\nfunctions: {f: "x^2"}\nparts: [{id: a, ask: gradient, of: f}]\n')
    res = CliRunner().invoke(main, ["render", str(src), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1
    assert "p.yaml:2: error: lang 'fr' has no words catalog" in res.output, res.output


def test_lang_on_the_command_line_overrides_the_file(tmp_path) -> None:
    res = CliRunner().invoke(main, ["render", str(ROOT / "problems" / "3.1.yaml"), "--lang", "de", "--format", "md",
                                    "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "3.1.md").read_text(encoding="utf-8")
    assert "Aufgabe 3.1" in md and "Potenzregel" in md and "power rule" not in md
    res = CliRunner().invoke(main, ["render", str(GERMAN), "--lang", "en", "--format", "md", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "Problem 6.1" in (tmp_path / "6.1.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("catalog", "message"),
    [
        ("document:\n  title: 'Problem {{id}}: ${{title}}$'\n", "{{title}} is text and may not stand inside $...$"),
        ("prompt:\n  at: '${{ask}}$ at the point $({{point}})$'\n", "{{ask}} is text and may not stand inside $...$"),
        ("prompt:\n  evaluate: 'the value of ${{g}}$'\n", "solgen has no field {{g}}"),
    ],
)
def test_a_catalog_cannot_put_text_into_math(tmp_path, catalog: str, message: str) -> None:
    """A title or a whole sentence inside $...$ would reach the .tex as live TeX."""
    (tmp_path / "words").mkdir()
    (tmp_path / "words" / "en.yaml").write_text(catalog, encoding="utf-8")
    with pytest.raises(WordsError) as err:
        load_words("en", tmp_path)
    assert message in str(err.value) and err.value.line == 2


def test_high_taylor_orders_and_untitled_problems_are_worded(tmp_path) -> None:
    src = tmp_path / "t.yaml"
    src.write_text('id: "t4"\nlang: de\nvariables: [x]\nfunctions:\n  f: "exp(x)"\nparts:\n'
                   "  - {id: a, ask: taylor, of: f, order: 5, at: {x: 0}, detail: answer}\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--format", "md", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "out" / "t4.md").read_text(encoding="utf-8")
    assert md.startswith("# Aufgabe t4\n") and "5. Ordnung" in md
