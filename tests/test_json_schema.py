"""The JSON contract a grader relies on: every problems/*.yaml's JSON validates against the
schema solgen ships, every expression of a problem without shapes is SymPy source that
sympify reads (tests may sympify: solgen's own output, never a problem file's text), and
`functions` read back to the functions solgen derived from, with the file's text under `source`."""

from __future__ import annotations

import json
from importlib import resources

import pytest
import sympy as sp
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from conftest import PROBLEMS, solved

from solgen.formats.json import SCHEMA_VERSION, to_json


def _schema() -> dict:
    return json.loads(resources.files("solgen.formats").joinpath("solgen.schema.json").read_text(encoding="utf-8"))


def _validator() -> Draft202012Validator:
    checker = FormatChecker()

    @checker.checks("sympy-expr", raises=(sp.SympifyError, SyntaxError, TypeError, ValueError, AttributeError))
    def _reads(text: str) -> bool:
        sp.sympify(text)  # solgen's output, read as a grader reads it
        return True

    return Draft202012Validator(_schema(), format_checker=checker)


def test_the_schema_is_a_valid_draft_2020_12_schema_with_the_version_solgen_writes():
    schema = _schema()
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema_version"]["const"] == SCHEMA_VERSION


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_every_problem_json_validates(path):
    doc = json.loads(to_json(solved(str(path))))
    assert doc["schema_version"] == SCHEMA_VERSION
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in _validator().iter_errors(doc)]
    assert not errors, "\n".join(errors[:10])


@pytest.mark.parametrize("path", [p for p in PROBLEMS if "shapes:" not in p.read_text()], ids=lambda p: p.stem)
def test_functions_read_back_to_what_solgen_derived_and_source_is_the_files_text(path):
    solution = solved(str(path))
    doc = json.loads(to_json(solution))
    for name, fn in solution.problem.functions.items():
        texts = doc["functions"][name] if fn.vector else [doc["functions"][name]]
        assert doc["source"][name] == (list(fn.source) if fn.vector else fn.source[0])
        for text, expr in zip(texts, fn.exprs, strict=True):
            plain = expr.xreplace({s: sp.Symbol(s.name) for s in expr.atoms(sp.Symbol)})  # assumptions are not in the text
            plain = plain.replace(lambda e: type(e).__name__ == "sigmoid", lambda e: 1 / (1 + sp.exp(-e.args[0])))
            # a function of the file kept by name (p1 inside L) is written by its name
            plain = plain.replace(lambda e: hasattr(type(e), "source_name"), lambda e: sp.Symbol(type(e).source_name))
            assert sp.simplify(sp.sympify(text) - plain) == 0, (name, text)


def test_the_files_own_syntax_is_kept_under_source_not_in_functions():
    path = next(p for p in PROBLEMS if p.stem == "3.1")
    doc = json.loads(to_json(solved(str(path))))
    assert doc["source"]["f"] == "5x^2 + 3x*y + 3y^3"  # as the file writes it
    assert sp.sympify(doc["functions"]["f"]) == sp.sympify("5*x**2 + 3*x*y + 3*y**3")


def test_the_schema_refuses_a_function_in_the_files_own_syntax():
    path = next(p for p in PROBLEMS if p.stem == "3.1")
    doc = json.loads(to_json(solved(str(path))))
    doc["functions"]["f"] = "5x^2 + 3x*y + 3y^3"
    with pytest.raises(ValidationError):
        _validator().validate(doc)
    del doc["schema_version"]
    doc["functions"]["f"] = "5*x**2"
    with pytest.raises(ValidationError):
        _validator().validate(doc)
