"""The command line as a TA and a script use it: outputs, names, errors, exit codes."""

from __future__ import annotations

import json
import re

import pytest
import sympy as sp
from click.testing import CliRunner

from conftest import ROOT
from solgen.cli import main

P12 = str(ROOT / "problems" / "1.2.yaml")


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_render_writes_named_outputs(tmp_path):
    res = run("render", P12, "--format", "tex", "--format", "md", "--format", "json", "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.2-fig-g.svg", "1.2-fig-h.svg", "1.2.json", "1.2.md", "1.2.tex"]
    res = run("render", P12, "--worksheet", "--out", str(tmp_path))
    assert res.exit_code == 0 and (tmp_path / "1.2-worksheet.tex").exists()


def test_json_contract(tmp_path):
    assert run("render", P12, "--format", "json", "--out", str(tmp_path)).exit_code == 0
    doc = json.loads((tmp_path / "1.2.json").read_text())
    assert set(doc) == {"schema_version", "id", "title", "variables", "functions", "source", "parts"}
    assert doc["variables"] == ["x1", "x2"]
    x1, x2 = sp.symbols("x1 x2")
    f = sp.sympify(doc["functions"]["f"])  # our own output, read back: SymPy source, no ^ to replace
    assert doc["source"]["f"] == "x1^2 + exp(x1*x2) + 2*log(x2)"  # as the file writes it
    grad = next(p for p in doc["parts"] if p["ask"] == "gradient")
    assert grad["of"] == "f" and len(grad["result"]) == 2 and len(grad["steps"]) == 2
    for value, var in zip(grad["result"], (x1, x2)):
        assert sp.simplify(sp.sympify(value) - sp.diff(f, var)) == 0
    hess = next(p for p in doc["parts"] if p["ask"] == "hessian")
    assert len(hess["result"]) == 2 and all(len(r) == 2 for r in hess["result"])

    def walk(node):
        assert set(node) >= {"rule", "expr", "var", "result", "substeps"}
        expr, var = sp.sympify(node["expr"]), sp.Symbol(node["var"])
        assert sp.simplify(sp.sympify(node["result"]) - sp.diff(expr, var)) == 0, node
        for sub in node["substeps"]:
            walk(sub)

    for part in doc["parts"]:
        for tree in part.get("steps", []):
            walk(tree)
    direc = next(p for p in doc["parts"] if p["ask"] == "directional")
    assert {k: v["trend"] for k, v in direc["result"].items()} == {"d1": "increase", "d2": "decrease", "d3": "constant"}
    text = next(p for p in doc["parts"] if p["ask"] == "text")
    assert "result" not in text and text["answer"].startswith("The Jacobian")


def test_check_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run("check", P12)
    assert res.exit_code == 0 and "ok" in res.output
    assert list(tmp_path.iterdir()) == []


def test_error_is_file_line_message_and_nothing_written(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text('id: "x"\nvariables: [x1]\nfunctions:\n  f: "x1^2"\nparts:\n  - {id: a, ask: gradient, of: f, prmpt: "hi"}\n')
    out = tmp_path / "out"
    res = run("render", str(bad), "--out", str(out))
    assert res.exit_code == 1
    assert re.match(rf"{re.escape(str(bad))}:6: error: unknown key 'prmpt' in a part; did you mean 'prompt'\?", res.output)
    assert "Traceback" not in res.output
    assert not out.exists()


def test_batch_goes_on_after_a_bad_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nvariables: [x1]\nfunctions: {f: \"x1 +\"}\nparts: [{id: a, ask: gradient, of: f}]\n")
    out = tmp_path / "out"
    res = run("render", str(bad), P12, "--out", str(out))
    assert res.exit_code == 1
    assert f"{bad}:3: error: in expression" in res.output
    assert (out / "1.2.tex").exists()
    assert "1 of 2 problem files rendered, 1 failed" in res.output


def test_new_scaffold_renders_as_is(tmp_path):
    res = run("new", "2.1", "--dir", str(tmp_path))
    assert res.exit_code == 0, res.output
    path = tmp_path / "2.1.yaml"
    assert path.exists() and "#" in path.read_text()
    res = run("render", str(path), "--format", "tex", "--format", "md", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert run("new", "2.1", "--dir", str(tmp_path)).exit_code == 1  # no silent overwrite


def test_help_teaches():
    res = run("--help")
    assert res.exit_code == 0 and "solgen render" in res.output
    res = run("render", "--help")
    for option in ("--format", "--worksheet", "--out", "--pdf", "--templates", "--timeout"):
        assert option in res.output


def test_words_override_rewords_every_format(tmp_path):
    """A course rewords a sentence once, in DIR/words/en.yaml, and every format follows."""
    (tmp_path / "tpl" / "words").mkdir(parents=True)
    (tmp_path / "tpl" / "words" / "en.yaml").write_text('rule:\n  power: "Potenzregel"\n', encoding="utf-8")
    res = run("render", P12, "--templates", str(tmp_path / "tpl"), "--out", str(tmp_path / "out"), "--format", "tex", "--format", "md")
    assert res.exit_code == 0, res.output
    for name in ("1.2.tex", "1.2.md"):
        text = (tmp_path / "out" / name).read_text()
        assert "Potenzregel" in text and "power rule" not in text, name
        assert "chain rule with" in text, name  # the other sentences stay


def test_words_override_of_an_unknown_key_is_an_error(tmp_path):
    (tmp_path / "tpl" / "words").mkdir(parents=True)
    (tmp_path / "tpl" / "words" / "en.yaml").write_text('rule:\n  summ: "Summenregel"\n', encoding="utf-8")
    res = run("render", P12, "--templates", str(tmp_path / "tpl"), "--out", str(tmp_path / "out"))
    assert res.exit_code == 1
    assert "words/en.yaml" in res.output and "'rule.summ' rewords nothing" in res.output, res.output


@pytest.mark.parametrize("fmt", ["tex", "md"])
def test_pdf_option(tmp_path, fmt):
    from conftest import need_pdflatex

    need_pdflatex()
    res = run("render", P12, "--pdf", "--format", fmt, "--out", str(tmp_path))
    assert res.exit_code == 0, res.output
    assert (tmp_path / "1.2.pdf").read_bytes().startswith(b"%PDF")
    assert not [p for p in tmp_path.iterdir() if p.suffix in (".aux", ".log", ".part")]


def test_date_header_is_kept_as_written(tmp_path):
    """`date` is free text on the handout: YAML's date parsing must not reject or reformat it."""
    src = tmp_path / "d.yaml"
    src.write_text('id: d\ndate: 2024-13-45\nvariables: [x]\nfunctions: {f: "x^2"}\nparts: [{id: a, ask: gradient, of: f}]\n')
    res = run("render", str(src), "--format", "md", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert "2024-13-45" in (tmp_path / "out" / "d.md").read_text()


def test_timeout_stops_the_worker_and_names_the_part(tmp_path):
    import subprocess
    import sys
    import time

    factors = "*".join(f"(x1+{i}*x2+{i})^{i % 5 + 2}" for i in range(1, 41))
    src = tmp_path / "slow.yaml"
    src.write_text(
        f'id: slow\nvariables: [x1, x2]\nfunctions:\n  f: "{factors}"\n'
        "parts:\n  - {id: a, ask: gradient, of: f}\n  - {id: b, ask: hessian, of: f}\n"
    )
    out = tmp_path / "out"
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "solgen.cli", "render", str(src), "--out", str(out), "--timeout", "3"],
        capture_output=True, text=True, timeout=60,
    )
    assert time.monotonic() - start < 20
    assert proc.returncode == 1
    assert re.match(rf"{re.escape(str(src))}: error: part \(b\), the hessian, at line 7 took longer than the 3 s", proc.stderr)
    assert not out.exists()


def test_outputs_are_ordinary_readable_files(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        assert run("render", P12, "--out", str(tmp_path)).exit_code == 0
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "1.2.tex").stat().st_mode)
    assert mode == 0o644
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_pdf_tex_error_names_the_tex_line_and_writes_no_pdf(tmp_path):
    from conftest import need_pdflatex

    need_pdflatex()
    tpl = tmp_path / "tpl" / "tex"
    tpl.mkdir(parents=True)
    handout = (ROOT / "templates" / "tex" / "document.tex.j2").read_text()
    tpl.joinpath("document.tex.j2").write_text(handout.replace("\\begin{document}", "\\begin{document}\n\\undefinedthing", 1))
    out = tmp_path / "out"
    res = run("render", P12, "--pdf", "--templates", str(tmp_path / "tpl"), "--out", str(out))
    assert res.exit_code == 1
    m = re.match(rf"{re.escape(str(out / '1.2.tex'))}:(\d+): error: LaTeX error: Undefined control sequence", res.output)
    assert m, res.output
    lines = (out / "1.2.tex").read_text().splitlines()
    assert "\\undefinedthing" in lines[int(m.group(1)) - 1]
    assert not (out / "1.2.pdf").exists()


def test_towers_of_exponentials_render_and_check(tmp_path):
    """sin(e^(e^(e^x))) is a fine function, but at the checker's points its argument is
    about 10^70000: the numeric check used to fail it ("internal check failed"), and
    csc of such a number made mpmath compute 70000 digits of pi (a CI run hung there)."""
    src = tmp_path / "tower.yaml"
    src.write_text(
        'id: tower\nvariables: [x, y]\nfunctions:\n  f: "sin(e^(e^(e^x))) + csc(exp(exp(exp(y))))"\n'
        "parts:\n  - {id: a, ask: gradient, of: f}\n"
    )
    res = run("render", str(src), "--format", "json", "--out", str(tmp_path / "out"), "--timeout", "30")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "out" / "tower.json").read_text())
    x, y = sp.symbols("x y")
    f = sp.sin(sp.exp(sp.exp(sp.exp(x)))) + sp.csc(sp.exp(sp.exp(sp.exp(y))))
    for value, var in zip(doc["parts"][0]["result"], (x, y)):
        assert sp.simplify(sp.sympify(value) - sp.diff(f, var)) == 0


def test_a_failed_internal_check_names_the_part_and_its_line(tmp_path, monkeypatch):
    """Should a rule ever go wrong, the run stops with the part and line, not a bad page."""
    import solgen.derive.calculus as calculus

    real = calculus.diff_steps

    def off_by_one(expr, var, variables):
        tree = real(expr, var, variables)
        object.__setattr__(tree, "result", tree.result + 1)  # a wrong step, as a bug would make
        return tree

    monkeypatch.setattr(calculus, "diff_steps", off_by_one)
    src = tmp_path / "p.yaml"
    src.write_text('id: p\nvariables: [x1]\nfunctions:\n  f: "x1^3"\nparts:\n  - {id: a, ask: text, prompt: "hi"}\n  - {id: b, ask: gradient, of: f}\n')
    res = run("render", str(src), "--out", str(tmp_path / "out"), "--debug")
    assert res.exit_code == 1
    first = res.output.splitlines()[0]
    assert first.startswith(f"{src}:7: error: part (b): internal check failed for d/dx1 of x1**3"), first
    assert not (tmp_path / "out").exists()


def test_a_function_with_no_real_values_is_named_not_blamed_on_solgen(tmp_path):
    """(-x)^(2y) is real for x > 0 only where 2y is whole, sqrt(x) only for x >= 0: no real
    function to check. The error says so, instead of "internal check failed"."""
    src = tmp_path / "nr.yaml"
    src.write_text('id: nr\nvariables: [x, y]\nfunctions:\n  f: "3x^2 * (-x)^(2y) * abs(sqrt(x))"\nparts:\n  - {id: a, ask: gradient, of: f}\n')
    res = run("render", str(src), "--out", str(tmp_path / "out"))
    assert res.exit_code == 1
    assert res.output.startswith(f"{src}:6: error: part (a): cannot check d/dx of "), res.output
    assert "no real value" in res.output and "internal" not in res.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["tex/handout.tx.j2", "md/hand-out.md.j2", "words/english.yaml", "latex/handout.tex.j2"])
def test_an_override_that_overrides_nothing_is_an_error(tmp_path, name):
    """A misspelt template or words file would be ignored silently: it is an error naming it."""
    own = tmp_path / "tpl" / name
    own.parent.mkdir(parents=True)
    own.write_text("x\n", encoding="utf-8")
    res = run("render", P12, "--templates", str(tmp_path / "tpl"), "--out", str(tmp_path / "out"), "--format", "md")
    assert res.exit_code == 1
    assert "overrides nothing" in res.output and name.split("/")[0] in res.output, res.output
    assert not (tmp_path / "out").exists()


def test_prose_math_a_ta_writes_passes_and_refused_math_is_a_warning(tmp_path):
    """\\succeq, \\mathbb, \\top pass; a command outside the whitelist is shown as code and
    said at its line, never silently."""
    src = tmp_path / "w.yaml"
    src.write_text('id: "w"\nvariables: [x]\nfunctions: {f: "x^2"}\nparts:\n  - id: a\n    ask: text\n'
                   "    prompt: 'Is $A \\succeq 0$, $x^\\top \\preceq \\mathbb{E}[x]$ and $\\foo x$?'\n", encoding="utf-8")
    res = run("render", str(src), "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    tex = (tmp_path / "out" / "w.tex").read_text()
    assert "$A \\succeq 0$" in tex and "$x^\\top \\preceq \\mathbb{E}[x]$" in tex
    assert f"{src}:7: warning: the math $\\foo x$ in 'prompt' uses \\foo, which solgen does not allow" in res.output
