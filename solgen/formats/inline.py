"""The present stage's inline nodes, rendered per format: a catalog ``Sentence`` (runs of
text, bold and math), a prose field (``Prose``: Markdown with math, by ``prose.py`` for TeX
and Markdown and ``html.py`` for HTML), a question's ``Prompts``, multiple ``Choices``
and ``Both``. The present stage keeps only the source and the runs; this module is the one
place that turns them into TeX, Markdown or HTML: the templates' finalize
(``templates.py``), the tree, the quiz and exam writers all call ``render``.

HTML's writer (latex2mathml) is loaded only when HTML is asked for (``math/lazy.py``).

``draw_figures`` draws a view's figures (``formats/figures.py``, loaded with numpy only for a
view that has one) before any writer reads it.

To add an inline node: a frozen dataclass in ``present/``, and its case in ``render``.
"""

from __future__ import annotations

from typing import Any

from solgen.math.record import record
from solgen.present.view import FigureSpec
from solgen.formats.prose import _md_math_body, escape_md, escape_tex, to_md, to_tex
from solgen.math import lazy
from solgen.present import view
from solgen.present.choices import Both, Choices
from solgen.present.words import Sentence

INLINE = (Sentence, view.Prose, view.Prompts, Choices, Both)


def sentence_tex(s: Sentence) -> str:
    out = []
    for r in s.runs:
        if r.kind == "math":
            out.append(f"${r.text}$")
        elif r.kind == "strong":
            out.append(r"\textbf{" + escape_tex(r.text) + "}")
        else:
            out.append(escape_tex(r.text))
    return "".join(out)


def sentence_md(s: Sentence) -> str:
    out = []
    for i, r in enumerate(s.runs):
        if r.kind == "math":
            out.append(f"${_md_math_body(r.text)}$")
        elif r.kind == "strong":
            out.append("**" + escape_md(r.text, False) + "**")
        else:
            out.append(escape_md(r.text, line_start=i == 0))
    return "".join(out)


def prose(source: str, fmt: str) -> str:
    """A prose field's Markdown source in ``fmt``."""
    if fmt == "html":
        return str(lazy.load("html").prose_to_html(source))
    return to_tex(source) if fmt == "tex" else to_md(source)


def _choices(c: Choices, fmt: str) -> str:
    if fmt == "tex":
        items = "\n".join(f"\\item[({o.letter})] $\\displaystyle {o.tex}$" for o in c.options)
        return f"{sentence_tex(c.intro)}\n\\begin{{itemize}}\n{items}\n\\end{{itemize}}"
    if fmt == "html":
        mathml = lazy.load("html").mathml
        items = "".join(f"<li><span class=\"choice\">({o.letter})</span> {mathml(o.tex)}</li>" for o in c.options)
        return f"<p>{render(c.intro, 'html')}</p>\n<ul class=\"choices\" style=\"list-style: none\">{items}</ul>"
    lines = []
    for o in c.options:
        math = f"$${o.tex}$$" if "\\begin" in o.tex else f"${_md_math_body(o.tex)}$"
        lines.append(f"- ({o.letter}) {math}")
    return sentence_md(c.intro) + "\n\n" + "\n".join(lines)


def _prompts(p: view.Prompts, fmt: str) -> str:
    rendered = [render(item, fmt) for item in p.items]
    if fmt == "html":
        return "\n".join(r if isinstance(item, (view.Prose, Choices)) else f"<p>{r}</p>"
                         for item, r in zip(p.items, rendered))
    return "\n\n".join(rendered)


def render(value: Any, fmt: str) -> str:
    """An inline node of the view in ``fmt`` ("tex", "md" or "html")."""
    own = getattr(value, "as_format", None)
    if own is not None:  # a node that renders itself (html.TexMath; the sections' Title, Body, Notes: TODO(layout))
        return str(own(fmt))
    if isinstance(value, Sentence):
        if fmt == "html":
            return str(lazy.load("html").sentence_html(value.runs))
        return sentence_tex(value) if fmt == "tex" else sentence_md(value)
    if isinstance(value, view.Prose):
        return prose(value.source, fmt)
    if isinstance(value, view.Prompts):
        return _prompts(value, fmt)
    if isinstance(value, Choices):
        return _choices(value, fmt)
    if isinstance(value, Both):
        sep = "\n" if fmt == "html" else "\n\n"
        return render(value.first, fmt) + sep + render(value.second, fmt)
    raise TypeError(f"not an inline node: {type(value).__name__}")


def renders(value: Any) -> bool:
    """Is ``value`` an inline node ``render`` turns into text (else: escaped as text)?"""
    return isinstance(value, INLINE) or hasattr(value, "as_format")


@record
class Prose(view.Prose):
    """A prose node that renders itself, for the section decks that still call
    ``as_format`` (TODO(layout): sections/ dissolve into the stages, then this goes)."""

    def as_format(self, fmt: str) -> str:
        return prose(self.source, fmt)


def has_figures(view: Any) -> bool:
    """Does ``view`` (dicts and lists, walked) hold a figure not drawn yet?"""
    stack = [view]
    while stack:
        node = stack.pop()
        for value in (node.values() if isinstance(node, dict) else node):
            if isinstance(value, FigureSpec):
                return True
            if isinstance(value, (dict, list)):
                stack.append(value)
    return False


def draw_figures(view: Any) -> None:
    """The view's figures drawn (``formats/figures.py``, loaded, with numpy, only for a view
    that has one)."""
    if has_figures(view):
        lazy.load("figures").draw_all(view)
