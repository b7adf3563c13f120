"""The ``tree`` format: the document tree every writer read, serialised as JSON
(``out/<id>.tree.json``, DESIGN.md "The document tree").

Each node is ``{"node": "<type>", ...fields, "children": [...]}``. A displayed formula is a
``formula`` node with its ``tex`` (exactly what the LaTeX writer prints), its ``forms``
(sympify-readable strings; shaped forms in solgen's grammar with the document's ``shapes``;
``d(...)`` for a differential; ``null`` for a side that is a word), its ``relations``, the
point it is read at (``where``) and ``shapes``. Words and prose are ``text`` nodes, other
LaTeX fragments (a heading's symbol, a lone matrix) ``math`` nodes.

To serialise a new field: nothing to do, every field of the view is written; a new kind of
node gets its type from the key it sits under (``NODE_OF``).
"""

from __future__ import annotations

import json
from typing import Any

import sympy as sp

from solgen.formats.inline import renders
from solgen.formats.json import SCHEMA_VERSION
from solgen.math.text import expr_text
from solgen.math.shaped import Node, text as shaped_text
from solgen.present.formula import Formula, FormulaRow
from solgen.present.view import TEXT_KEYS

# The type of a node, by the key of the list or field it sits under in the view.
NODE_OF = {"questions": "question", "parts": "part", "groups": "derivation", "lines": "step",
           "handout_lines": "step", "slide_lines": "step", "problems": "problem", "problem": "problem",
           "answer": "answer", "items": "item", "slides": "frame", "frames": "frame", "readings": "reading",
           "blocks": "block", "figure": "figure", "builds": "build", "notes": "note"}
# a part's deck-only copies of its lines (slide_frames, legend_slides, answer_short, a reading's
# formula_short and unit_short: the handout prints answer and formula); show, slide: the layout of
# the same formulas as blocks (present/blocks.py)
SKIP = frozenset({"lang", "slide_frames", "legend_slides", "show", "slide", "answer_short", "formula_short", "unit_short"})


def _skipped(key: str, value: Any, holder: dict[str, Any]) -> bool:
    """Fields the tree leaves out: the language, callables, and the deck's copies of a
    derivation's lines (its ``frames``: cut for slides, with the slide-only total line;
    its ``lines`` when the handout prints ``handout_lines``): the tree is the handout's."""
    return (key in SKIP or (callable(value) and not hasattr(value, "as_format"))
            or (key == "frames" and "lines" in holder) or (key == "lines" and "handout_lines" in holder)
            or (key == "answer" and "blocks" in holder))  # a part of blocks prints them, its answer is the slides'



def form_text(form: Any) -> str | None:
    """One side as text a reader of the tree parses: SymPy's grammar for scalars and
    matrices of scalars, solgen's for shaped expressions, None for a word."""
    if form is None:
        return None
    if isinstance(form, Node):
        return shaped_text(form)
    if isinstance(form, str):
        return form
    if isinstance(form, (int, float)):
        return str(form)
    return expr_text(form) if isinstance(form, sp.Basic) else str(form)


def formula_node(f: Formula) -> dict[str, Any]:
    node = {"node": "formula", "tex": f.tex, "forms": [form_text(x) for x in f.forms],
            "relations": list(f.relations),
            "where": {expr_text(k): form_text(v) for k, v in f.where.items()},
            "shapes": {str(k): (list(v) if isinstance(v, (list, tuple)) else str(v)) for k, v in f.shapes.items()}}
    if getattr(f, "sympy", None) is not None:  # shaped forms spelled for SymPy alone (matrix.sympytext)
        node["sympy"] = list(f.sympy)  # type: ignore[attr-defined]
        if getattr(f, "sympy_where", None):
            node["sympy_where"] = dict(f.sympy_where)  # type: ignore[attr-defined]
    return node


def _flat(value: Any) -> list[Any]:
    out: list[Any] = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(reversed(v))
        else:
            out.append(v)
    return out


def _node(value: Any, key: str) -> Any:
    """A view value as a tree value: nodes (dicts with ``node``), lists, or plain fields.
    Every nested node of a dict becomes one of its ``children``, with its ``role`` (the
    view's key) so a reader can walk ``children`` alone."""
    if isinstance(value, Formula):
        return formula_node(value)
    if isinstance(value, FormulaRow):
        return {"node": "row", "tex": str.__str__(value), "children": [formula_node(f) for f in value.parts]}
    if isinstance(value, dict):
        fields: dict[str, Any] = {"node": NODE_OF.get(key, key or "block")}
        children: list[Any] = []
        for k, v in value.items():
            if _skipped(k, v, value):
                continue
            converted = _node(v, k)
            items = _flat(converted) if isinstance(converted, list) else [converted]
            if any(isinstance(c, dict) and "node" in c for c in items):
                for c in items:
                    if isinstance(c, dict) and "node" in c:
                        children.append({**c, "role": k})
                    elif c is not None:
                        children.append({"node": "text", "role": k, "text": str(c)})
            else:
                fields[k] = converted
        fields["children"] = children
        return fields
    if isinstance(value, (list, tuple)):
        return [_node(v, key) for v in value]
    if renders(value):  # a sentence or a prose field
        return {"node": "text", "text": str(value)}
    if isinstance(value, str):
        return str(value) if key in TEXT_FIELDS or not value else {"node": "math", "tex": str(value)}
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (sp.Basic, Node)):
        return form_text(value)
    return str(value)


TEXT_FIELDS = TEXT_KEYS | {"kind", "label", "tikz", "tikz_blank", "svg", "alt", "path"}


def _handout(view: dict[str, Any]) -> dict[str, Any]:
    """A section's view as its handout prints it: an item whose answers the handout does not
    show keeps its questions' prompts, not their parts (the deck shows those)."""
    if not isinstance(view.get("slides"), list):
        return view
    items = []
    for it in view["slides"]:
        if isinstance(it, dict):
            it = {k: v for k, v in it.items() if k != "frames"}  # the deck's frames of the item
            if "questions" in it and not it.get("answers"):
                it["questions"] = [{k: v for k, v in q.items() if k != "parts"} for q in it["questions"]]
        items.append(it)
    return {**{k: v for k, v in view.items() if k != "questions"}, "slides": items}  # a section prints its items


def to_tree(view: dict[str, Any], doc_id: str) -> str:
    """The view (the tree every writer reads) as ``<id>.tree.json``: the handout's (a
    derivation's slide frames and a section's deck-only parts are left out)."""
    root = _node(_handout(view), "document")
    root["node"] = "document"
    root = {"node": "document", "schema_version": SCHEMA_VERSION, "id": doc_id,
            **{k: v for k, v in root.items() if k not in ("node", "id")}}
    return json.dumps(root, ensure_ascii=False, indent=1) + "\n"
