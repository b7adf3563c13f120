"""PrairieLearn (``solgen export ... --to prairielearn``): a question folder per problem file,
``questions/<id>/`` with

- ``info.json``: a uuid fixed by the problem id (uuid5 in solgen's namespace: exporting again
  updates the same question), the title, topic and tags;
- ``variants.json``: every variant precomputed (its prompt, fields, correct answers, options
  and worked solution, all as HTML with ``$ $`` math escaped here);
- ``server.py``: ``generate(data)`` picks one variant from ``variants.json`` with PrairieLearn's
  seeded ``random`` and fills ``data["params"]`` and ``data["correct_answers"]``: plain Python,
  no solgen at run time;
- ``question.html``: ``pl-question-panel`` with the prompt, a ``pl-number-input`` per value,
  one per entry of a matrix value, a
  ``pl-multiple-choice`` per choice (its options from the variant), and the worked solution
  in ``pl-answer-panel``.
"""

from __future__ import annotations

import html
import json
import uuid
from typing import TYPE_CHECKING, Any

from solgen.formats.json import JSON
from solgen.formats.quiz import Exercise, Field, Variant, md_html

if TYPE_CHECKING:
    from solgen.formats.quiz import WordsFor
    from solgen.present.words import Words

NAMESPACE = uuid.UUID("6f1d2a34-5c1e-4b8e-9d41-3e0c2f5a7b10")  # solgen's: never change it

SERVER_PY = '''"""Picks one precomputed variant (variants.json, written by solgen export); no solgen needed."""
import json
import pathlib
import random


def generate(data):
    variants = json.loads(pathlib.Path(__file__).with_name("variants.json").read_text(encoding="utf-8"))
    variant = variants[random.randrange(len(variants))]  # PrairieLearn seeds random per variant
    data["params"].update(variant["params"])
    data["correct_answers"].update(variant["correct_answers"])
'''


def question_uuid(problem_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"solgen-problem:{problem_id}"))


def _sympy_text(expr: Any) -> str:
    from solgen.formats.json import expr_text

    return expr_text(expr)


def _inputs(fields: list[Field]) -> list[tuple[str, list[Field]]]:
    """The question's inputs: a numeric matrix (a Hessian or Jacobian at a point) is one
    pl-matrix-input; every other field is an input of its own. (kind, fields) pairs."""
    out: list[tuple[str, list[Field]]] = []
    for f in fields:
        if f.kind == "number" and len(f.pos) == 2:
            if f.pos != (0, 0) and out and out[-1][0] == "matrix" and out[-1][1][-1].part == f.part:
                out[-1][1].append(f)
            else:
                out.append(("matrix", [f]))
        else:
            out.append((f.kind, [f]))
    return out


def _matrix_json(fields: list[Field]) -> dict[str, JSON]:
    """A matrix as PrairieLearn's to_json writes a numpy array (no numpy needed to read it)."""
    rows = max(f.pos[0] for f in fields) + 1
    cols = max(f.pos[1] for f in fields) + 1
    value = [[0.0] * cols for _ in range(rows)]
    for f in fields:
        value[f.pos[0]][f.pos[1]] = f.number
    return {"_type": "ndarray", "_value": value, "_dtype": "float64"}


def _matrix_label(label: str) -> str:
    """[\nabla^2 f(1, 1)]_{11} -> \nabla^2 f(1, 1)"""
    return label[1:].rsplit("]_", 1)[0] if label.startswith("[") else label


def _variant_json(ex: Exercise, v: Variant, words: Words) -> dict[str, JSON]:
    params: dict[str, JSON] = {"intro": md_html(v.intro_md) if v.intro_md else "", "solution": md_html(v.solution_md)}
    correct: dict[str, JSON] = {}
    for qi, q in enumerate(v.questions):
        params[f"q{qi}_prompt"] = md_html(q.prompt_md)
        for fi, (kind, group) in enumerate(_inputs(q.fields)):
            name, f = f"q{qi}f{fi}", group[0]
            if kind == "matrix":
                correct[name] = _matrix_json(group)
                params[f"{name}_label"] = f"${_matrix_label(f.label)} =$"
            elif kind == "number":
                correct[name] = f.number
                params[f"{name}_label"] = f"${f.label} =$"
            elif kind == "symbolic":
                correct[name] = f.text
                params[f"{name}_label"] = f"${f.label} =$"
            else:
                assert f.choices is not None  # a choice field has its choices
                params[f"{name}_options"] = [{"correct": o.key, "tex": f"${o.tex}$",
                                              "feedback": "" if o.key else md_html(words(f"malrule.{o.malrule}").md())}
                                             for o in f.choices.options]
    return {"variant": v.number, "draw": v.params, "params": params, "correct_answers": correct}


def _question_html(ex: Exercise) -> str:
    """The template: mustache reads each variant's params; text from the problem file is
    already escaped HTML in them ({{{ }}}), labels and options are escaped by mustache ({{ }})."""
    first = ex.variants[0]
    out = ['<pl-question-panel>', '{{{params.intro}}}', '</pl-question-panel>']
    for qi, q in enumerate(first.questions):
        out += ['<pl-question-panel>', f'{{{{{{params.q{qi}_prompt}}}}}}', '</pl-question-panel>']
        for fi, (kind, _) in enumerate(_inputs(q.fields)):
            name = f"q{qi}f{fi}"
            label = f'label="{{{{params.{name}_label}}}}"'
            if kind == "number":
                out.append(f'<pl-number-input answers-name="{name}" {label} rtol="0.001" atol="0.001"></pl-number-input>')
            elif kind == "matrix":
                out.append(f'<pl-matrix-input answers-name="{name}" {label} rtol="0.001" atol="0.001"></pl-matrix-input>')
            elif kind == "symbolic":
                variables = ", ".join(ex.variables)
                out.append(f'<pl-symbolic-input answers-name="{name}" {label} variables="{html.escape(variables)}"></pl-symbolic-input>')
            else:
                out += [f'<pl-multiple-choice answers-name="{name}" fixed-order="true">',
                        f'{{{{#params.{name}_options}}}}',
                        '<pl-answer correct="{{correct}}" feedback="{{feedback}}">{{tex}}</pl-answer>',
                        f'{{{{/params.{name}_options}}}}',
                        '</pl-multiple-choice>']
    out += ['<pl-answer-panel>', '{{{params.solution}}}', '</pl-answer-panel>']
    return "\n".join(out) + "\n"


def to_prairielearn(exercises: list[Exercise], words_for: WordsFor) -> tuple[dict[str, str], list[str]]:
    files: dict[str, str] = {}
    notes: list[str] = []
    for ex in exercises:
        words = words_for(ex)
        folder = f"questions/{ex.id}"
        info = {"uuid": question_uuid(ex.id), "title": ex.title, "topic": "Calculus", "tags": ["solgen"], "type": "v3",
                "singleVariant": len(ex.variants) == 1}
        files[f"{folder}/info.json"] = json.dumps(info, indent=2, ensure_ascii=False) + "\n"
        files[f"{folder}/server.py"] = SERVER_PY
        files[f"{folder}/variants.json"] = json.dumps([_variant_json(ex, v, words) for v in ex.variants],
                                                      indent=1, ensure_ascii=False) + "\n"
        files[f"{folder}/question.html"] = _question_html(ex)
        for q in ex.variants[0].questions:
            if not q.fields:
                notes.append(f"{ex.path}: ({q.id}) has no value at a point and no choices: shown with its solution, not graded")
    return files, notes
