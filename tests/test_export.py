"""Variants, mal-rule distractors and the exports, checked as their targets read them."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from solgen.cli import main
from solgen.derive.malrules import candidates
from solgen.errors import SpecError
from solgen.input.problem import load_problem, parse_problem

ROOT = Path(__file__).resolve().parent.parent
QUIZ = ROOT / "problems" / "quiz-gradient.yaml"
x, y = sp.symbols("x y", real=True)


def _mal(source: str, part: int = 0) -> dict[str, sp.Expr]:
    problem = parse_problem(source)
    _, _, found = candidates(problem, problem.parts[part])
    return {d.malrule: d.answer for d in found}


def _one(func: str, extra: str = "order: [x]", ask: str = "partial", variables: str = "[x]") -> str:
    return f'id: t\nvariables: {variables}\nfunctions: {{f: "{func}"}}\nparts:\n  - {{id: a, ask: {ask}, of: f, {extra}, choices: 4}}\n'


# -- mal-rules ------------------------------------------------------------------------------

def test_chain_rule_without_the_inner_derivative() -> None:
    got = _mal(_one("sin(x^2)"))
    assert sp.simplify(got["chain_inner"] - sp.cos(x**2)) == 0


def test_power_rule_not_lowered_and_trig_sign() -> None:
    got = _mal(_one("cos(x^3)"))
    assert sp.simplify(got["power_not_lowered"] - (-3 * x**3 * sp.sin(x**3))) == 0
    assert sp.simplify(got["trig_sign"] - 3 * x**2 * sp.sin(x**3)) == 0


def test_product_rule_mistakes() -> None:
    got = _mal(_one("x^2*sin(x)"))
    assert sp.simplify(got["product_uv"] - 2 * x * sp.cos(x)) == 0
    assert sp.simplify(got["product_one_term"] - 2 * x * sp.sin(x)) == 0


def test_quotient_rule_mistakes() -> None:
    got = _mal(_one("sin(x)/x"))
    u, v = sp.sin(x), x
    assert sp.simplify(got["quotient_sign"] - (u * 1 - sp.cos(x) * v) / v**2) == 0
    assert sp.simplify(got["quotient_square"] - (sp.cos(x) * v - u) / v) == 0


def test_power_rule_on_an_exponential() -> None:
    got = _mal(_one("2^x"))
    assert sp.simplify(got["power_on_exponential"] - x * 2 ** (x - 1)) == 0


def test_2Ax_for_a_non_symmetric_quadratic_form() -> None:
    got = _mal(_one("3*x^2 + 2*x*y + y^2", "at: {x: 1, y: 2}", "gradient", "[x, y]"))
    # the key is (6x + 2y, 2x + 2y) = (10, 6); 2Ax with A = [[3, 2], [0, 1]] gives (6x + 4y, 2y)
    assert got["sym_2Ax"] == [14, 4]


def test_missing_transpose_and_directional_norm_and_taylor_half() -> None:
    src = ('id: t\nvariables: [x, y]\nfunctions: {f: "x^2*y", v: ["x*y^2", "x + y"]}\nparts:\n'
           '  - {id: a, ask: jacobian, of: v, choices: 3}\n'
           '  - {id: b, ask: directional, of: f, at: {x: 1, y: 1}, directions: {d: [3, 4]}, choices: 3}\n'
           '  - {id: c, ask: taylor, of: g, order: 2, at: {x: 0, y: 0}, choices: 3}\n').replace('v: [', 'g: "exp(x + y)", v: [')
    jac = _mal(src, 0)["missing_transpose"]
    assert [[sp.simplify(a - b) for a, b in zip(r1, r2)] for r1, r2 in zip(jac, [[y**2, 1], [2 * x * y, 1]])] == [[0, 0], [0, 0]]
    assert _mal(src, 1)["directional_norm"] == [2 * 3 + 1 * 4]  # grad f(1, 1) = (2, 1); without 1/||d|| = 1/5
    half = _mal(src, 2)["taylor_half"]
    key = 1 + x + y + x**2 / 2 + x * y + y**2 / 2
    assert sp.expand(half - key - x**2 / 2 - y**2 / 2) == 0  # the squares without their 1/2


def test_distractors_differ_from_the_key_and_each_other() -> None:
    problem = load_problem(QUIZ)
    part = problem.parts[1]
    _, key, found = candidates(problem, part)
    points = [{x: sp.Rational(random.Random(i).randint(3, 17), 10)} for i in range(3)]
    values = [[sp.N(e.xreplace(p)) for p in points] for e in [key] + [d.answer for d in found]]
    assert len({tuple(round(float(v), 9) for v in row) for row in values}) == len(values)


def test_json_distractors_have_feedback_from_the_words(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["render", str(QUIZ), "-f", "json", "-o", str(tmp_path), "--no-cache"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "quiz-gradient.json").read_text())
    part = doc["parts"][1]
    assert part["distractors"] and all(d["feedback"] and d["malrule"] for d in part["distractors"])
    assert doc["params"] and doc["variant"] == 1


# -- variants --------------------------------------------------------------------------------

def _params(k: int, seed: int | None = None) -> dict[str, sp.Expr]:
    return dict(load_problem(QUIZ, variant=k, seed=seed).params)


def test_variants_are_reproducible_distinct_and_follow_where() -> None:
    draws = [_params(k) for k in range(1, 13)]
    assert draws == [_params(k) for k in range(1, 13)]
    assert len({tuple(sorted(d.items())) for d in draws}) == len(draws)
    assert all(d["a"] != d["c"] for d in draws)
    assert all(2 <= d["a"] <= 9 and d["b"] in (-3, -2, 2, 3) and (2 * d["c"]).is_Integer for d in draws)
    assert [_params(k, 7) for k in (1, 2, 3)] != draws[:3]


def test_draws_do_not_depend_on_hash_seed() -> None:
    code = ("from solgen.input.problem import load_problem; "
            f"print([sorted(load_problem({str(QUIZ)!r}, variant=k).params) for k in (1, 2, 3)])")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")}
    assert len(outs) == 1


def test_params_replace_constants_and_placeholders() -> None:
    problem = load_problem(QUIZ, variant=2)
    p = dict(problem.params)
    f = problem.functions["f"].exprs[0]
    assert sp.simplify(f - (p["a"] * x**2 + p["b"] * x * y + p["c"] * y**2)) == 0
    assert f"$a = {p['a']}$" in problem.parts[0].prompt


@pytest.mark.parametrize("block, message", [
    ('{params: {a: {int: [1, 2]}}, where: ["a > 5"]}', "only 0 distinct draws"),
    ('{params: {a: {int: [1, 2]}}, where: ["a >> 5"]}', "where"),
    ('{params: {a: {int: [1, 2]}}, where: ["__import__(1) > 0"]}', "where"),
    ('{params: {x: {int: [1, 2]}}}', "cannot be a parameter"),
    ('{params: {a: {rational: [1, 2], den: 0}}}', "den"),
])
def test_bad_variants_are_errors_at_their_line(block: str, message: str) -> None:
    src = f'id: t\nvariables: [x]\nvariants: {block}\nfunctions: {{f: "a*x"}}\nparts:\n  - {{id: a, ask: gradient, of: f}}\n'
    with pytest.raises(SpecError) as err:
        parse_problem(src)
    assert message in str(err.value) and err.value.line == 3


def test_variants_command_table_and_failure_on_a_shared_answer(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["variants", str(QUIZ), "--count", "4"])
    assert result.exit_code == 0, result.output
    assert "variant" in result.output and "a=7" in result.output
    same = tmp_path / "same.yaml"
    same.write_text('id: s\nvariables: [x]\nvariants: {count: 3, params: {a: {int: [1, 9]}}}\nfunctions: {f: "x^2 + a"}\n'
                    'parts:\n  - {id: a, ask: gradient, of: f}\n')
    result = CliRunner().invoke(main, ["variants", str(same)])
    assert result.exit_code == 1 and "same answer" in result.output


def test_render_variant_names_the_output(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["render", str(QUIZ), "--variant", "3", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "quiz-gradient-v03.tex").exists()


# -- exports ---------------------------------------------------------------------------------

def _export(tmp_path: Path, target: str, *extra: str, path: Path = QUIZ) -> Path:
    out = tmp_path / target
    result = CliRunner().invoke(main, ["export", str(path), "--to", target, "--count", "3", "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


def _expected_gradient(k: int) -> list[float]:
    """The gradient of a x^2 + b x y + c y^2 at (1, 1), recomputed with sympy from the draw."""
    p = _params(k)
    a, b, c = sp.symbols("a b c")
    f = a * x**2 + b * x * y + c * y**2
    return [float(sp.diff(f, v).subs({x: 1, y: 1, a: p["a"], b: p["b"], c: p["c"]})) for v in (x, y)]


def _expected_partial(k: int) -> sp.Expr:
    p = _params(k)
    return sp.diff(p["c"] * sp.sin(p["a"] * x**2) + sp.exp(p["b"] * x), x)


def test_moodle_xml(tmp_path: Path) -> None:
    root = ET.parse(_export(tmp_path, "moodle") / "solgen-moodle.xml").getroot()
    assert root.tag == "quiz"
    kinds = [q.get("type") for q in root.findall("question")]
    assert kinds == ["category", "cloze", "cloze", "cloze"]
    for k, q in enumerate(root.findall("question")[1:], start=1):
        text = q.find("questiontext/text").text
        fields = __import__("re").findall(r"\{1:NUMERICAL:=([-0-9.e]+):([0-9.e]+)\}", text)
        assert [float(v) for v, _ in fields] == pytest.approx(_expected_gradient(k))
        assert "{1:MULTICHOICE" in text and "\\(" in text
        assert "Solution" not in q.find("generalfeedback/text").text[:0] and q.find("generalfeedback/text").text


def test_moodle_numerical_and_multichoice(tmp_path: Path) -> None:
    src = tmp_path / "one.yaml"
    src.write_text(QUIZ.read_text().replace("  - {id: b, ask: partial, of: g, order: [x], choices: 4}\n", ""))
    root = ET.parse(_export(tmp_path, "moodle", path=src) / "solgen-moodle.xml").getroot()
    assert {q.get("type") for q in root.findall("question")} == {"category", "cloze"}  # two values: cloze
    src.write_text(QUIZ.read_text().replace("    at: {x: 1, y: 1}\n", "").replace("    ask: gradient\n", "    ask: gradient\n    choices: 3\n")
                   .replace("  - {id: b, ask: partial, of: g, order: [x], choices: 4}\n", ""))
    root = ET.parse(_export(tmp_path, "moodle", path=src) / "solgen-moodle.xml").getroot()
    mc = [q for q in root.findall("question") if q.get("type") == "multichoice"]
    assert len(mc) == 3
    for q in mc:
        answers = q.findall("answer")
        assert sorted(a.get("fraction") for a in answers)[-1] == "100" and len(answers) >= 2
        assert all(a.find("feedback/text").text for a in answers if a.get("fraction") == "0")


def test_canvas_zip(tmp_path: Path) -> None:
    with zipfile.ZipFile(_export(tmp_path, "canvas") / "solgen-canvas.zip") as z:
        manifest = ET.fromstring(z.read("imsmanifest.xml"))
        ns = {"cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1", "q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}
        href = manifest.find("cp:resources/cp:resource/cp:file", ns).get("href")
        assessment = ET.fromstring(z.read(href))
    groups = assessment.findall("q:assessment/q:section/q:section", ns)
    assert len(groups) == 3  # (a) two values, (b) one choice
    for g in groups:
        assert g.find("q:selection_ordering/q:selection/q:selection_number", ns).text == "1"
        assert len(g.findall("q:item", ns)) == 3
    for k, item in enumerate(groups[0].findall("q:item", ns), start=1):
        value = float(item.find(".//q:varequal", ns).text)
        assert value == pytest.approx(_expected_gradient(k)[0])
    kinds = {f.text for f in assessment.iterfind(".//q:fieldentry", ns)}
    assert {"numerical_question", "multiple_choice_question"} <= kinds


def test_prairielearn_server_generates_a_precomputed_variant(tmp_path: Path) -> None:
    folder = _export(tmp_path, "prairielearn") / "questions" / "quiz-gradient"
    info = json.loads((folder / "info.json").read_text())
    again = json.loads((_export(tmp_path / "2", "prairielearn") / "questions" / "quiz-gradient" / "info.json").read_text())
    assert info["uuid"] == again["uuid"]
    html = (folder / "question.html").read_text()
    assert "pl-number-input" in html and "pl-multiple-choice" in html and "pl-answer-panel" in html
    spec = importlib.util.spec_from_file_location("plserver", folder / "server.py")
    server = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(server)
    assert "solgen" not in (folder / "server.py").read_text().split('"""', 2)[2]
    variants = json.loads((folder / "variants.json").read_text())
    for seed in range(6):
        random.seed(seed)
        data = {"params": {}, "correct_answers": {}}
        server.generate(data)
        k = next(v["variant"] for v in variants if v["correct_answers"] == data["correct_answers"] and v["params"] == data["params"])
        assert [data["correct_answers"]["q0f0"], data["correct_answers"]["q0f1"]] == pytest.approx(_expected_gradient(k))
        options = data["params"]["q1f0_options"]
        assert sum(o["correct"] for o in options) == 1


@pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdfinfo") is None, reason="needs pdflatex and pdfinfo")
def test_exam_forms_have_the_same_pages(tmp_path: Path) -> None:
    out = _export(tmp_path, "exam", "--forms", "3")
    pages = {}
    for name in ("exam-A", "exam-B", "exam-C"):
        info = subprocess.run(["pdfinfo", str(out / f"{name}.pdf")], capture_output=True, text=True, check=True).stdout
        pages[name] = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        assert (out / f"{name}-key.pdf").exists()
        text = subprocess.run(["pdftotext", str(out / f"{name}.pdf"), "-"], capture_output=True, text=True).stdout
        assert f"Form {name[-1]}" in text and "Name:" in text
    assert len(set(pages.values())) == 1
    rows = (out / "forms.csv").read_text().splitlines()
    assert rows[0] == "form,problem,variant,params" and rows[1].startswith("A,quiz-gradient,1,")


HOSTILE = '''id: evil
title: "<![CDATA[ ]]> </text></question> & {1:NUMERICAL:=0} \\u0000"
variables: [x, y]
variants: {count: 2, params: {a: {int: [2, 5]}}}
functions: {f: "a*x^2 + y"}
parts:
  - id: a
    ask: gradient
    of: f
    at: {x: 1, y: 1}
    prompt: "<script>alert(1)</script> ]]> & {{a}} {1:NUMERICAL:=0} } # ~ / \\" <b> \\x01 \\x0c"
'''


@pytest.mark.parametrize("target", ["moodle", "canvas", "prairielearn"])
def test_hostile_prose_breaks_no_xml(tmp_path: Path, target: str) -> None:
    src = tmp_path / "evil.yaml"
    src.write_text(HOSTILE.replace("\\u0000", ""))
    out = _export(tmp_path, target, path=src)
    if target == "moodle":
        root = ET.parse(out / "solgen-moodle.xml").getroot()
        texts = [q.find("questiontext/text").text for q in root.findall("question") if q.get("type") != "category"]
        assert all("<script>" not in t and "&lt;script&gt;" in t for t in texts)
        assert all(len(__import__("re").findall(r"\{1:NUMERICAL", t)) == 2 for t in texts)  # the prompt's braces are not a field
    elif target == "canvas":
        with zipfile.ZipFile(out / "solgen-canvas.zip") as z:
            for name in z.namelist():
                ET.fromstring(z.read(name))
    else:
        folder = out / "questions" / "evil"
        variants = json.loads((folder / "variants.json").read_text())
        assert all("<script>" not in v["params"]["q0_prompt"] for v in variants)


def test_prairielearn_symbolic_and_matrix_inputs(tmp_path: Path) -> None:
    src = tmp_path / "kinds.yaml"
    src.write_text('id: kinds\nvariables: [x, y]\nfunctions: {f: "x^2*y + sin(y)"}\nparts:\n'
                   '  - {id: a, ask: gradient, of: f}\n  - {id: b, ask: hessian, of: f, at: {x: 1, y: 0}}\n')
    folder = _export(tmp_path, "prairielearn", path=src) / "questions" / "kinds"
    html = (folder / "question.html").read_text()
    assert html.count("<pl-symbolic-input") == 2 and html.count("<pl-matrix-input") == 1
    (variant,) = json.loads((folder / "variants.json").read_text())
    f = x**2 * y + sp.sin(y)
    answers = variant["correct_answers"]
    for name, var in (("q0f0", x), ("q0f1", y)):  # read back by sympy in the test (not by solgen)
        assert sp.simplify(sp.sympify(answers[name], locals={"x": x, "y": y}) - sp.diff(f, var)) == 0
    hessian = [[float(sp.diff(f, a, b).subs({x: 1, y: 0})) for b in (x, y)] for a in (x, y)]
    assert answers["q1f0"]["_value"] == hessian


def test_moodle_embeds_the_figures(tmp_path: Path) -> None:
    import base64

    root = ET.parse(_export(tmp_path, "moodle", path=ROOT / "problems" / "1.2.yaml") / "solgen-moodle.xml").getroot()
    (q,) = [q for q in root.findall("question") if q.get("type") != "category"]
    for where in ("questiontext", "generalfeedback"):
        files = q.findall(f"{where}/file")
        assert files and all(f.get("encoding") == "base64" for f in files)
        text = q.find(f"{where}/text").text
        for f in files:
            assert f"@@PLUGINFILE@@/{f.get('name')}" in text
            assert ET.fromstring(base64.b64decode(f.text)).tag.endswith("svg")
    assert all(f.get("name").endswith("-worksheet.svg") for f in q.findall("questiontext/file"))


def test_matrix_mal_rules_2Aw_and_the_missing_transpose() -> None:
    from solgen.math.shaped import text

    quadratic = (ROOT / "problems" / "quadratic.yaml").read_text().replace(
        "{id: a, ask: gradient, of: f}", "{id: a, ask: gradient, of: f, choices: 3}")
    problem = parse_problem(quadratic)
    _, key, found = candidates(problem, problem.parts[0])
    assert text(key) == "(A + A^T) w + b"
    assert {d.malrule: text(d.answer) for d in found} == {"sym_2Ax": "2 A w + b"}  # A + A (no transpose) equals 2A: dropped
    symmetric = quadratic.replace("constants: [c]", "constants: [c]\nassume: {A: symmetric}")
    problem = parse_problem(symmetric)
    _, key, found = candidates(problem, problem.parts[0])
    assert all(d.malrule != "sym_2Ax" for d in found)  # for a symmetric A, 2 A w is right
    squares = (ROOT / "problems" / "least-squares.yaml").read_text().replace(
        "{id: a, ask: gradient, of: L}", "{id: a, ask: gradient, of: L, choices: 2}")
    problem = parse_problem(squares)
    _, key, found = candidates(problem, problem.parts[0])
    assert [(d.malrule, text(d.answer)) for d in found] == [("missing_transpose", "2/m X (X w - y)")]


def test_a_sum_of_numbers_from_params_is_one_number() -> None:
    src = ('id: t\nvariables: [x]\nvariants: {params: {a: {choice: [3]}}}\nfunctions: {f: "log(x)/(a - 2) + (a - 1)*x"}\n'
           'parts:\n  - {id: a, ask: gradient, of: f, at: {x: 1}}\n')
    problem = parse_problem(src)
    assert str(problem.functions["f"].exprs[0]) in ("log(x) + 2*x", "2*x + log(x)")
