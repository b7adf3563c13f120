"""Canvas (``solgen export ... --to canvas``): a QTI 1.2 zip, as Canvas's "QTI .zip file"
import reads it (the layout text2qti writes): ``imsmanifest.xml`` naming one assessment,
``<ident>/<ident>.xml``, a ``questestinterop`` whose assessment has a question group
(a ``section`` with ``selection_ordering`` choosing 1) per problem and answer field, holding
one item per variant: ``numerical_question`` (exact value, accepted within the tolerance)
or ``multiple_choice_question`` (the key and the distractors, each with its feedback).
Math is ``\\( \\)``; the worked solution is each item's general feedback. A field Canvas
cannot grade (a symbolic answer without ``choices:``) is left out and said.
"""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ET
import zipfile
from typing import TYPE_CHECKING

from solgen.formats.quiz import Exercise, Field, Variant, md_html, plain_math

if TYPE_CHECKING:
    from solgen.formats.quiz import WordsFor
    from solgen.present.words import Words

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed: the same export gives the same bytes


def ident(*parts: str) -> str:
    """A stable QTI identifier (letters and digits) from the given names."""
    return "g" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:24]


def _meta(parent: ET.Element, fields: dict[str, str]) -> None:
    md = ET.SubElement(parent, "qtimetadata")
    for label, entry in fields.items():
        f = ET.SubElement(md, "qtimetadatafield")
        ET.SubElement(f, "fieldlabel").text = label
        ET.SubElement(f, "fieldentry").text = entry


def _material(parent: ET.Element, html_text: str) -> None:
    m = ET.SubElement(parent, "material")
    ET.SubElement(m, "mattext", {"texttype": "text/html"}).text = html_text


def _feedback(item: ET.Element, ident_: str, html_text: str) -> None:
    fb = ET.SubElement(item, "itemfeedback", {"ident": ident_})
    flow = ET.SubElement(fb, "flow_mat")
    _material(flow, html_text)


def _prompt(v: Variant, q_index: int, f: Field) -> str:
    q = v.questions[q_index]
    text = (md_html(v.intro_md) if v.intro_md else "") + md_html(q.prompt_md)
    if f.kind == "number" and f.label:
        text += f"<p>{_esc(plain_math(f.label + ' ='))}</p>"
    return text


def _esc(text: str) -> str:
    import html

    return html.escape(text, quote=False)


def _item(ex: Exercise, v: Variant, qi: int, fi: int, f: Field, words: Words) -> ET.Element:
    name = f"{ex.title} ({v.questions[qi].id})" + (f" variant {v.number:02d}" if v.number is not None else "")
    item = ET.Element("item", {"ident": ident(ex.id, str(v.number), str(qi), str(fi)), "title": name})
    kind = "numerical_question" if f.kind == "number" else "multiple_choice_question"
    meta = ET.SubElement(item, "itemmetadata")
    _meta(meta, {"question_type": kind, "points_possible": "1.0"})
    pres = ET.SubElement(item, "presentation")
    _material(pres, _prompt(v, qi, f))
    proc = ET.SubElement(item, "resprocessing")
    outcomes = ET.SubElement(proc, "outcomes")
    ET.SubElement(outcomes, "decvar", {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"})
    general = ET.SubElement(proc, "respcondition", {"continue": "Yes"})
    ET.SubElement(ET.SubElement(general, "conditionvar"), "other")
    ET.SubElement(general, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
    if f.kind == "number":
        resp = ET.SubElement(pres, "response_str", {"ident": "response1", "rcardinality": "Single"})
        ET.SubElement(ET.SubElement(resp, "render_fib", {"fibtype": "Decimal"}), "response_label", {"ident": "answer1"})
        cond = ET.SubElement(proc, "respcondition", {"continue": "No"})
        either = ET.SubElement(ET.SubElement(cond, "conditionvar"), "or")
        ET.SubElement(either, "varequal", {"respident": "response1"}).text = _num(f.number)
        both = ET.SubElement(either, "and")
        ET.SubElement(both, "vargte", {"respident": "response1"}).text = _num(f.number - f.tolerance)
        ET.SubElement(both, "varlte", {"respident": "response1"}).text = _num(f.number + f.tolerance)
        ET.SubElement(cond, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
    else:
        assert f.choices is not None  # a choice field has its choices
        resp = ET.SubElement(pres, "response_lid", {"ident": "response1", "rcardinality": "Single"})
        choice = ET.SubElement(resp, "render_choice")
        for o in f.choices.options:
            label = ET.SubElement(choice, "response_label", {"ident": f"choice_{o.letter}"})
            _material(label, _esc(plain_math(o.tex)))
        for o in f.choices.options:
            cond = ET.SubElement(proc, "respcondition", {"continue": "Yes" if not o.key else "No"})
            ET.SubElement(ET.SubElement(cond, "conditionvar"), "varequal", {"respident": "response1"}).text = f"choice_{o.letter}"
            if o.key:
                ET.SubElement(cond, "setvar", {"action": "Set", "varname": "SCORE"}).text = "100"
            else:
                ET.SubElement(cond, "displayfeedback", {"feedbacktype": "Response", "linkrefid": f"choice_{o.letter}_fb"})
        for o in f.choices.options:
            if not o.key:
                _feedback(item, f"choice_{o.letter}_fb", md_html(words(f"malrule.{o.malrule}").md()))
    _feedback(item, "general_fb", md_html(v.questions[qi].solution_md))
    return item


def _num(x: float) -> str:
    return format(x, ".12g")


def to_canvas(exercises: list[Exercise], name: str, words_for: WordsFor | None = None) -> tuple[bytes, list[str]]:
    """The zip's bytes, and notes on fields left out."""
    from solgen.present.words import load_words

    notes: list[str] = []
    aid = ident("assessment", name)
    root = ET.Element("questestinterop", {"xmlns": QTI_NS})
    assessment = ET.SubElement(root, "assessment", {"ident": aid, "title": name})
    _meta(assessment, {"cc_maxattempts": "1"})
    top = ET.SubElement(assessment, "section", {"ident": "root_section"})
    for ex in exercises:
        words = words_for(ex) if words_for else load_words("en")
        first = ex.variants[0]
        for qi, q in enumerate(first.questions):
            for fi, f in enumerate(q.fields):
                if f.kind == "symbolic":  # Canvas has no symbolic answers
                    continue
                group = ET.SubElement(top, "section", {"ident": ident(ex.id, "group", str(qi), str(fi)),
                                                       "title": f"{ex.title} ({q.id})" + (f" {fi + 1}" if len(q.fields) > 1 else "")})
                sel = ET.SubElement(ET.SubElement(group, "selection_ordering"), "selection")
                ET.SubElement(sel, "selection_number").text = "1"
                ET.SubElement(ET.SubElement(sel, "selection_extension"), "points_per_item").text = "1.0"
                for v in ex.variants:
                    group.append(_item(ex, v, qi, fi, v.questions[qi].fields[fi], words))
            if not any(f.kind != "symbolic" for f in q.fields):
                notes.append(f"{ex.path}: ({q.id}) has no value at a point and no choices: Canvas cannot grade it; left out")
    ET.indent(root)
    manifest = ET.Element("manifest", {"identifier": ident("manifest", name), "xmlns": CP_NS})
    meta = ET.SubElement(manifest, "metadata")
    ET.SubElement(meta, "schema").text = "IMS Content"
    ET.SubElement(meta, "schemaversion").text = "1.1.3"
    ET.SubElement(manifest, "organizations")
    resources = ET.SubElement(manifest, "resources")
    res = ET.SubElement(resources, "resource", {"identifier": aid, "type": "imsqti_xmlv1p2"})
    ET.SubElement(res, "file", {"href": f"{aid}/{aid}.xml"})
    ET.indent(manifest)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for arcname, element in (("imsmanifest.xml", manifest), (f"{aid}/{aid}.xml", root)):
            info = zipfile.ZipInfo(arcname, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="utf-8"))
    return buf.getvalue(), notes
