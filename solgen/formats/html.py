"""HTML: escaping, math as MathML, prose from markdown-it tokens.

Math is converted at build time with latex2mathml (pure Python, no browser-side script),
so a page works offline, from a USB stick, and screen readers read the MathML. Prose is
rendered by markdown-it-py's HTML renderer with raw HTML off (``<script>`` is text),
links only for ``http``, ``https`` and ``mailto`` (others stay text), and math only when
``prose.safe_math`` allows it (else it is shown as code). Imported only for ``--format html``.
"""

from __future__ import annotations

import html
from functools import lru_cache
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any, Iterable, cast

from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from solgen.formats.prose import link_allowed, md_clean, safe_math, table_math

if TYPE_CHECKING:
    from solgen.present.words import Run


def escape_html(text: str) -> str:
    """Text for HTML: specials escaped, control characters dropped."""
    return html.escape(md_clean(text), quote=True)


MATHML_TAGS = frozenset(
    "math mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt mroot mtable mtr mtd mstyle "
    "mpadded mphantom menclose mover munder munderover mfenced semantics annotation".split()
)
MATHML_ATTRS = frozenset(
    "xmlns display alttext mathvariant stretchy fence form separator columnalign rowspacing columnspacing "
    "columnlines rowlines frame lspace rspace width height depth accent accentunder movablelimits "
    "linethickness minsize maxsize symmetric largeop displaystyle scriptlevel notation".split()
)


class _MathML(HTMLParser):
    """Rebuilds latex2mathml's output keeping only MathML elements and attributes, every
    text escaped: what \\text{...} held (``<script>``, ``<meta http-equiv>``) stays text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in MATHML_TAGS:
            kept = "".join(f' {k}="{html.escape(v or "", quote=True)}"' for k, v in attrs if k in MATHML_ATTRS)
            self.out.append(f"<{tag}{kept}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in MATHML_TAGS:
            self.handle_starttag(tag, attrs)
            self.out.append(f"</{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in MATHML_TAGS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))


def _sanitized(markup: str) -> str:
    parser = _MathML()
    parser.feed(markup)
    parser.close()
    return "".join(parser.out)


@lru_cache(maxsize=4096)
def mathml(tex: str, display: bool = False) -> str:
    """LaTeX math (solgen's own, or prose math that passed ``safe_math``) as MathML, with
    nothing but MathML in it."""
    from latex2mathml.converter import convert

    try:
        out = convert(tex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - a formula latex2mathml cannot read is shown as code
        return f"<code class=\"tex\">{escape_html(tex)}</code>"
    return _sanitized(out.replace("<math ", f"<math alttext=\"{escape_html(tex)}\" ", 1))


def _prose_math(content: str, options: dict[str, Any]) -> str:  # dollarmath's renderer signature
    content = content.strip()
    if not safe_math(content):
        return f"<code>{escape_html(content)}</code>"
    return mathml(content, bool(options.get("display_mode")))


class _ProseMarkdown(MarkdownIt):
    """markdown-it whose links are only those ``prose.link_allowed`` lets through."""

    def validateLink(self, url: str) -> bool:  # noqa: N802 - markdown-it's name
        return link_allowed(url)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = _ProseMarkdown("commonmark", {"html": False}).use(dollarmath_plugin, double_inline=True, renderer=_prose_math)
    md.disable("image").enable("table")
    return md


def prose_to_html(markdown: str) -> str:
    """A prose field (Markdown with $math$) as HTML."""
    # markdown-it types render() as Any (a custom renderer may return anything); its HTML renderer returns str
    return cast(str, _parser().render(table_math(md_clean(markdown)))).strip()


def sentence_html(runs: Iterable[Run]) -> str:
    out = []
    for r in runs:
        if r.kind == "math":
            out.append(mathml(r.text))
        elif r.kind == "strong":
            out.append(f"<strong>{escape_html(r.text)}</strong>")
        else:
            out.append(escape_html(r.text))
    return "".join(out)


class TexMath(str):
    """A LaTeX string of the view, for the HTML templates: it prints as MathML."""

    def as_format(self, fmt: str) -> str:
        return mathml(str(self)) if fmt == "html" else str(self)


def _tex(parts: object) -> str:
    return "".join(str(p) for p in parts) if isinstance(parts, (list, tuple)) else str(parts)


def inline(parts: object) -> str:
    """An inline formula from one LaTeX string or pieces (the templates' ``math`` filter)."""
    return mathml(_tex(parts))


def relation(rel: str) -> str:
    """`` > 0`` after a directional slope, nothing when it is ``=``."""
    return "" if str(rel) == "=" else f" {rel} 0"


def display(parts: object) -> str:
    """A displayed formula: one LaTeX string, or pieces joined (the templates' ``display`` filter)."""
    return f"<div class=\"display\">{mathml(_tex(parts), True)}</div>"
