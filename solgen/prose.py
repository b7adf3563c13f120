"""Prose fields (prompt, answer, notes): Markdown with ``$...$`` math -> LaTeX or Markdown.

Parsed with markdown-it-py and its dollarmath plugin. The LaTeX renderer is keyed by
token type (``_TEX``); text is escaped, math passed through. Math is untrusted too: a
formula that uses a control sequence outside ``MATH_COMMANDS`` is printed as text,
so a problem file cannot reach ``\\input`` or ``\\write18`` through ``$...$``.

To support another Markdown construct: add its token types to ``_TEX``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_ESCAPE_RE = re.compile(r"[\\{}$&#^_%~<>|]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Control sequences allowed inside $...$ in prose. Anything else is shown as text.
MATH_COMMANDS = frozenset(
    """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi
    pi varpi rho sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma
    Phi Psi Omega nabla partial infty approx cdot cdots ldots dots vdots ddots times div pm mp
    le leq ge geq ne neq lt gt equiv sim simeq propto to rightarrow leftarrow Rightarrow
    Leftarrow leftrightarrow iff mapsto in notin subset subseteq cup cap forall exists mathbb
    mathbf mathrm mathcal boldsymbol text textbf textit frac dfrac tfrac sqrt sum prod int
    lim log ln exp sin cos tan sec csc cot arcsin arccos arctan sinh cosh tanh max min sup inf
    det operatorname left right big Big bigg langle rangle lVert rVert Vert vert top intercal
    quad qquad hat bar tilde vec dot ddot overline underline underbrace overbrace begin end
    bmatrix pmatrix matrix vmatrix cases aligned xrightarrow hookrightarrow boxed mid circ
    star ast prime emptyset setminus neg land lor""".split()
)
_CS_RE = re.compile(r"\\([A-Za-z]+)")


_TEXT_EXTRA = set("\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u00b7\u2022")


def _printable(ch: str) -> str:
    """Characters pdflatex sets with T1 fonts and utf8 input pass; format characters
    (zero-width, direction overrides) vanish; anything else becomes '?' so the
    document still compiles."""
    if ord(ch) < 0x180 or ch in _TEXT_EXTRA:
        return ch
    if unicodedata.category(ch) in ("Cf", "Cc", "Co", "Cs"):
        return ""
    return "?"


def escape_tex(text: str) -> str:
    """Escape ``text`` for LaTeX body text: specials escaped, control characters dropped,
    characters pdflatex cannot set replaced."""
    text = _CONTROL_RE.sub("", text)
    if not text.isascii():
        text = "".join(_printable(ch) for ch in text)
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


def _balanced(tex: str) -> bool:
    depth = 0
    for i, ch in enumerate(tex):
        if ch in "{}" and i > 0 and tex[i - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def safe_math(tex: str) -> bool:
    """May this formula from a problem file go into the .tex as math? Only whitelisted
    control sequences, balanced braces, ASCII, no comment/parameter characters, and
    alignment tabs only inside a matrix."""
    if not tex.isascii() or _CONTROL_RE.search(tex) or "^^" in tex or "@" in tex:
        return False
    if "%" in tex.replace("\\%", "") or "#" in tex.replace("\\#", "") or not _balanced(tex):
        return False
    if "&" in tex.replace("\\&", "") and "\\begin{" not in tex:
        return False
    if re.search(r"\\begin\{(?!(bmatrix|pmatrix|matrix|vmatrix|cases|aligned)\})", tex):
        return False
    return all(name in MATH_COMMANDS for name in _CS_RE.findall(tex))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).use(dollarmath_plugin, double_inline=True).disable("image")


def _math(content: str, display: bool) -> str:
    content = content.strip()
    if not safe_math(content):
        return r"\texttt{" + escape_tex(content) + "}"
    return f"\\[ {content} \\]\n" if display else f"${content}$"


def _url(href: str) -> str:
    """A link target for \\href: characters TeX would act on are percent-encoded, except
    '%' and '#', which hyperref takes escaped."""
    href = _CONTROL_RE.sub("", href)
    out = []
    for ch in href:
        if ch in "%#":
            out.append("\\" + ch)
        elif ch in "\\{}^$ " or not ch.isascii():
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _inline(tokens: list[Token]) -> str:
    out: list[str] = []
    for tok in tokens:
        kind = tok.type
        if kind == "text":
            out.append(escape_tex(tok.content))
        elif kind == "math_inline":
            out.append(_math(tok.content, False))
        elif kind == "math_inline_double":
            out.append(_math(tok.content, True))
        elif kind == "code_inline":
            out.append(r"\texttt{" + escape_tex(tok.content) + "}")
        elif kind in ("softbreak",):
            out.append("\n")
        elif kind == "hardbreak":
            out.append("\\\\\n")
        elif kind in ("strong_open", "em_open"):
            out.append(r"\textbf{" if kind == "strong_open" else r"\emph{")
        elif kind in ("strong_close", "em_close", "link_close"):
            out.append("}")
        elif kind == "link_open":
            href = str(tok.attrs.get("href", ""))
            out.append(r"\href{" + _url(href) + "}{")
        else:
            out.append(escape_tex(tok.content))
    return "".join(out)


_BLOCK_TEX = {  # block tokens that become fixed LaTeX
    "paragraph_close": "\n\n",
    "bullet_list_open": "\\begin{itemize}\n",
    "bullet_list_close": "\\end{itemize}\n",
    "ordered_list_open": "\\begin{enumerate}\n",
    "ordered_list_close": "\\end{enumerate}\n",
    "list_item_open": "\\item ",
    "heading_open": "\\textbf{",
    "heading_close": "}\n\n",
    "blockquote_open": "\\begin{quote}\n",
    "blockquote_close": "\\end{quote}\n",
    "hr": "\\medskip\\hrule\\medskip\n",
}


def _verbatim(tok: Token) -> str:
    return "\\begin{verbatim}\n" + tok.content.replace("\\end{verbatim}", "") + "\\end{verbatim}\n"


_BLOCK_RENDER = {  # block tokens rendered from their content
    "inline": lambda tok: _inline(tok.children or []),
    "math_block": lambda tok: _math(tok.content, True),
    "code_block": _verbatim,
    "fence": _verbatim,
}


def to_tex(markdown: str) -> str:
    """Markdown prose -> LaTeX (paragraphs, lists, emphasis, code, links, math)."""
    out: list[str] = []
    for tok in _parser().parse(markdown):
        if tok.type in _BLOCK_TEX:
            out.append(_BLOCK_TEX[tok.type])
        elif tok.type in _BLOCK_RENDER:
            out.append(_BLOCK_RENDER[tok.type](tok))
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


def to_md(markdown: str) -> str:
    """Markdown prose as Markdown: math normalised to GitHub's rules ($x$ without inner
    spaces; display math as ``$$`` blocks on their own lines)."""
    out: list[str] = []
    pos = 0
    text = markdown.strip()
    for m in re.finditer(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$", text, flags=re.S):
        out.append(text[pos : m.start()])
        if m.group(1) is not None:
            out.append("\n\n$$\n" + m.group(1).strip() + "\n$$\n\n")
        else:
            out.append("$" + m.group(2).strip() + "$")
        pos = m.end()
    out.append(text[pos:])
    joined = "".join(out)
    joined = re.sub(r"[ \t]*\n\n\$\$\n", "\n\n$$\n", joined)
    joined = re.sub(r"\n\$\$\n\n[ \t]*", "\n$$\n\n", joined)
    return re.sub(r"\n{3,}", "\n\n", joined).strip()
