"""Moodle XML (``solgen export ... --to moodle``): one quiz file for the question bank.

A category per problem file (``$course$/top/solgen/<id>``), a question per variant:
``numerical`` (with a tolerance) when the problem asks for one value, ``multichoice`` (the
key and its mal-rule distractors, each with its feedback) when it asks for one choice, and
``cloze`` (``multianswer``) with a ``{1:NUMERICAL:...}`` or ``{1:MULTICHOICE_V:...}`` field
per answer when it asks for several. Math is ``\\( \\)`` (Moodle's MathJax filter reads it);
the worked solution is the general feedback; its figures are embedded as base64 files
(``@@PLUGINFILE@@/<name>``), as Moodle exports them.

The XML is built with ElementTree, so every character from a problem file is escaped; a
cloze field's own syntax characters (``\\ } # ~ / "``) are backslash-escaped inside it.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from solgen.formats.quiz import Exercise, Field, Variant, md_html, plain_math

if TYPE_CHECKING:
    from solgen.formats.quiz import WordsFor
    from solgen.present.words import Words

PENALTY = "0.3333333"
_CLOZE_SPECIAL = '\\}#~/"{'


def _text(parent: ET.Element, tag: str, value: str, fmt: str | None = "html") -> ET.Element:
    el = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(el, "text").text = value
    return el


def _name(ex: Exercise, v: Variant) -> str:
    return ex.title + (f" (variant {v.number:02d})" if v.number is not None else "")


def _images(v: Variant) -> dict[str, str]:
    return {name: f"@@PLUGINFILE@@/{name}" for name in v.figures}


def _files(el: ET.Element, v: Variant) -> None:
    """The figures the element's text shows, embedded as Moodle exports them."""
    text = el.findtext("text") or ""
    for name, svg in v.figures.items():
        if f"@@PLUGINFILE@@/{name}" not in text:
            continue
        f = ET.SubElement(el, "file", {"name": name, "path": "/", "encoding": "base64"})
        f.text = base64.b64encode(svg.encode("utf-8")).decode("ascii")


def cloze_escape(text: str) -> str:
    return "".join("\\" + ch if ch in _CLOZE_SPECIAL else ch for ch in text)


def _number(x: float) -> str:
    return format(x, ".12g")


def _inline(html_text: str) -> str:
    """A paragraph's HTML without its <p>...</p> (a cloze field's feedback is one line)."""
    text = html_text.strip()
    if text.startswith("<p>") and text.endswith("</p>"):
        text = text[3:-4]
    return " ".join(text.split())


def _field_cloze(f: Field, words: Words) -> str:
    if f.kind == "number":
        return f"{{1:NUMERICAL:={_number(f.number)}:{_number(f.tolerance)}}}"
    options = []
    assert f.choices is not None  # a choice field has its choices
    for o in f.choices.options:
        feedback = "" if o.key else _inline(md_html(words(f"malrule.{o.malrule}").md()))
        options.append(("=" if o.key else "") + cloze_escape(plain_math(o.tex)) + ("#" + cloze_escape(feedback) if feedback else ""))
    return "{1:MULTICHOICE_VS:" + "~".join(options) + "}"


def _question_html(v: Variant, words: Words | None = None) -> str:
    """The question text: the intro, then each question's prompt (and, for cloze, its fields)."""
    out = [md_html(v.intro_md)] if v.intro_md else []
    several = len(v.questions) > 1
    for q in v.questions:
        prompt = md_html(q.prompt_md, _images(v))
        if several:
            prompt = prompt.replace("<p>", f"<p><strong>({_esc(q.id)})</strong> ", 1)
        out.append(prompt)
        gradable = [f for f in q.fields if f.kind != "symbolic"]  # Moodle has no symbolic input (STACK aside)
        if words is not None and gradable:  # cloze: the fields in the text
            items = []
            for f in gradable:
                lead = plain_math(f.label + " =") + " " if f.kind == "number" and f.label else ""
                items.append(f"<li>{_esc(lead)}{_field_cloze(f, words)}</li>")
            out.append("<ul>" + "".join(items) + "</ul>")
    if words is not None:
        out = [_no_fields(o) if not o.startswith("<ul>") else o for o in out]
    return "\n".join(out)


def _no_fields(html_text: str) -> str:
    """Prose in a cloze text: its braces as character references, so nothing a file says
    ({1:NUMERICAL:=0}) reads as a field; the browser shows them, MathJax reads them."""
    return html_text.replace("{", "&#123;").replace("}", "&#125;")


def _esc(text: str) -> str:
    import html

    return html.escape(text)


def _solution_html(v: Variant) -> str:
    return md_html(v.solution_md, _images(v))


def _common(q: ET.Element, ex: Exercise, v: Variant, text: str) -> None:
    n = ET.SubElement(q, "name")
    ET.SubElement(n, "text").text = _name(ex, v)
    qt = _text(q, "questiontext", text)
    _files(qt, v)
    gf = _text(q, "generalfeedback", _solution_html(v))
    _files(gf, v)
    ET.SubElement(q, "defaultgrade").text = "1"
    ET.SubElement(q, "penalty").text = PENALTY
    ET.SubElement(q, "hidden").text = "0"
    ET.SubElement(q, "idnumber").text = f"{ex.id}-v{v.number:02d}" if v.number is not None else ex.id
    tags = ET.SubElement(q, "tags")  # which draw: the variant and its parameters
    for tag in ["solgen", *([f"variant-{v.number:02d}"] if v.number is not None else []), *(f"{k}={x}" for k, x in v.params.items())]:
        ET.SubElement(ET.SubElement(tags, "tag"), "text").text = tag


def _variant_question(ex: Exercise, v: Variant, words: Words) -> ET.Element | None:
    fields = [f for q in v.questions for f in q.fields if f.kind != "symbolic"]
    if not fields:
        return None
    if len(fields) == 1 and fields[0].kind == "number":
        q = ET.Element("question", {"type": "numerical"})
        label = f"<p>{_esc(plain_math(fields[0].label + ' ='))}</p>" if fields[0].label else ""
        _common(q, ex, v, _question_html(v) + label)
        f = fields[0]
        a = ET.SubElement(q, "answer", {"fraction": "100", "format": "moodle_auto_format"})
        ET.SubElement(a, "text").text = _number(f.number)
        ET.SubElement(a, "tolerance").text = _number(f.tolerance)
        _text(a, "feedback", "")
        ET.SubElement(q, "unitgradingtype").text = "0"
        ET.SubElement(q, "unitpenalty").text = "0.1000000"
        ET.SubElement(q, "showunits").text = "3"
        ET.SubElement(q, "unitsleft").text = "0"
        return q
    if len(fields) == 1 and fields[0].kind == "choice":
        q = ET.Element("question", {"type": "multichoice"})
        _common(q, ex, v, _question_html(v))
        ET.SubElement(q, "single").text = "true"
        ET.SubElement(q, "shuffleanswers").text = "true"
        ET.SubElement(q, "answernumbering").text = "abc"
        for tag in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
            _text(q, tag, "")
        assert fields[0].choices is not None  # a choice field has its choices
        for o in fields[0].choices.options:
            a = ET.SubElement(q, "answer", {"fraction": "100" if o.key else "0", "format": "html"})
            ET.SubElement(a, "text").text = plain_math(o.tex)
            _text(a, "feedback", "" if o.key else md_html(words(f"malrule.{o.malrule}").md()))
        return q
    q = ET.Element("question", {"type": "cloze"})
    _common(q, ex, v, _question_html(v, words))
    return q


def to_moodle(exercises: list[Exercise], words_for: WordsFor) -> tuple[bytes, list[str]]:
    """The quiz file's bytes, and notes on what could not be graded (parts without a field)."""
    root = ET.Element("quiz")
    notes: list[str] = []
    for ex in exercises:
        cat = ET.SubElement(root, "question", {"type": "category"})
        c = ET.SubElement(cat, "category")
        ET.SubElement(c, "text").text = f"$course$/top/solgen/{ex.id}"
        _text(cat, "info", ex.title)
        words = words_for(ex)
        for v in ex.variants:
            q = _variant_question(ex, v, words)
            if q is None:
                which = f"variant {v.number}: " if v.number is not None else ""
                notes.append(f"{ex.path}: {which}nothing to grade (no value at a point and no choices:); left out")
                continue
            root.append(q)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n", notes
