"""Prose fields (prompt, answer, notes, intro): Markdown with ``$...$`` math -> LaTeX or Markdown.

Prose is parsed once with markdown-it-py and its dollarmath plugin (raw HTML off, so
``<script>`` is text), and each format renders the tokens with a table keyed by token
type (``_TEX_BLOCK``/``_TEX_INLINE``, ``_MD_BLOCK``/``_MD_INLINE``). Prose is untrusted:

* text is escaped for its format: TeX specials, and characters pdflatex cannot set with
  T1/TS1 fonts become a visible ``[U+XXXX]``; Markdown punctuation that could start
  markup (``<``, ``[``, ``\\``, ...) is backslash-escaped, control characters dropped;
* math passes only ``safe_math``: whitelisted control words, a few control symbols,
  balanced braces, matched ``\\begin``/``\\end`` of allowed environments and
  ``\\left``/``\\right``; anything else is shown as code, in both formats (a .md may be
  turned into a PDF by pandoc, which passes math to LaTeX);
* code is never ``verbatim``: each line is escaped and set in ``\\ttfamily``;
* links keep their target only for ``http``, ``https`` and ``mailto``.

To support another Markdown construct: add its token types to both tables.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit

from solgen.input.markdown import (MATH_COMMANDS, _arguments_ok, parse, refused_math, safe_math,  # noqa: F401 - the
                                   table_math)  # reading and checking of prose, re-exported for the writers

if TYPE_CHECKING:  # markdown-it itself is loaded by the first parse (input/mdparser.py)
    from markdown_it.token import Token

# -- TeX text ----------------------------------------------------------------------------

_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\textasciicircum{}", "_": r"\_", "%": r"\%", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
_ESCAPE_RE = re.compile(r"[\\{}$&#^_%~<>|]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# Non-ASCII characters pdflatex sets with \usepackage[T1]{fontenc} and Latin Modern:
# those t1enc.dfu and ts1enc.dfu declare (TeX Live 2022), plus the ellipsis and the
# accents utf8enc.dfu maps, each compiled once to check no glyph is missing.
_TEXT_RANGES = (
    (0x00A0, 0x0125), (0x0128, 0x0137), (0x0139, 0x013E), (0x0141, 0x0148), (0x014A, 0x0165),
    (0x0168, 0x017E), (0x0192, 0x0192), (0x01C4, 0x01D4), (0x01E2, 0x01E3), (0x01E6, 0x01EB),
    (0x01F0, 0x01F0), (0x01F4, 0x01F5), (0x0218, 0x021B), (0x0232, 0x0233), (0x0237, 0x0237),
    (0x02C6, 0x02C7), (0x02D8, 0x02D9), (0x02DB, 0x02DD), (0x0E3F, 0x0E3F), (0x1E02, 0x1E03),
    (0x1E0D, 0x1E0D), (0x1E1E, 0x1E21), (0x1E25, 0x1E25), (0x1E30, 0x1E31), (0x1E37, 0x1E37),
    (0x1E43, 0x1E43), (0x1E45, 0x1E45), (0x1E47, 0x1E47), (0x1E5B, 0x1E5B), (0x1E63, 0x1E63),
    (0x1E6D, 0x1E6D), (0x1E8E, 0x1E91), (0x1E9E, 0x1E9E), (0x1EF2, 0x1EF3), (0x2010, 0x2016),
    (0x2018, 0x201A), (0x201C, 0x201E), (0x2020, 0x2022), (0x2026, 0x2026), (0x2030, 0x2031),
    (0x2039, 0x203B), (0x203D, 0x203D), (0x2044, 0x2044), (0x204E, 0x204E), (0x2052, 0x2052),
    (0x20A1, 0x20A1), (0x20A4, 0x20A4), (0x20A6, 0x20A6), (0x20A9, 0x20A9), (0x20AB, 0x20AC),
    (0x20B1, 0x20B1), (0x2103, 0x2103), (0x2116, 0x2117), (0x211E, 0x211E), (0x2120, 0x2120),
    (0x2122, 0x2122), (0x2126, 0x2127), (0x212E, 0x212E), (0x2190, 0x2193), (0x2329, 0x232A),
    (0x2422, 0x2423), (0x25E6, 0x25E6), (0x25EF, 0x25EF), (0x266A, 0x266A), (0x27E8, 0x27E9),
    (0x3008, 0x3009), (0xFB00, 0xFB06),
)
_RANGE_STARTS = [a for a, _ in _TEXT_RANGES]


def tex_settable(ch: str) -> bool:
    """Can pdflatex set ``ch`` in the documents' text font (T1, Latin Modern)?"""
    code = ord(ch)
    if code < 0x80:
        return 0x20 <= code < 0x7F or ch in "\t\n"
    i = bisect.bisect_right(_RANGE_STARTS, code) - 1
    return i >= 0 and code <= _TEXT_RANGES[i][1]


def _placeholder(ch: str) -> str:
    """A character pdflatex cannot set: invisible format characters (zero-width, direction
    overrides) vanish; anything else shows as its code point."""
    if unicodedata.category(ch) == "Cf":
        return ""
    return r"{\ttfamily[U+%04X]}" % ord(ch)


def escape_tex(text: str) -> str:
    """Escape ``text`` for LaTeX body text: specials escaped, characters pdflatex cannot
    set (control characters, CJK, emoji, ħ ...) shown as ``[U+XXXX]``."""
    if not all(map(tex_settable, text)):
        text = "".join(ch if tex_settable(ch) else "\0" + str(ord(ch)) + "\0" for ch in text)
        parts = text.split("\0")  # even: text; odd: a code point to show
        return "".join(
            _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], p) if i % 2 == 0 else _placeholder(chr(int(p)))
            for i, p in enumerate(parts)
        )
    return _ESCAPE_RE.sub(lambda m: _ESCAPES[m.group(0)], text)


LINK_SCHEMES = ("http", "https", "mailto")


def link_allowed(href: str) -> bool:
    """Only web and mail links survive: ``run:``, ``file:``, ``javascript:``, ``data:`` and
    relative targets (a PDF viewer may launch them) are dropped, their text kept."""
    try:
        scheme = urlsplit(href.strip()).scheme.lower()
    except ValueError:
        return False
    return scheme in LINK_SCHEMES and not _CONTROL_RE.search(href)


# -- LaTeX -------------------------------------------------------------------------------

def _tex_math(content: str, display: bool) -> str:
    content = content.strip()
    if not safe_math(content):
        return r"\texttt{" + escape_tex(content) + "}"
    return f"\\[ {content} \\]\n" if display else f"${content}$"


def _tex_url(href: str) -> str:
    """A link target for \\href: characters TeX would act on are percent-encoded, and every
    '%' and '#' escaped, as hyperref takes them (a bare '%' would end a Beamer frame)."""
    out = []
    for ch in href:
        if ch in "%#":
            out.append("\\" + ch)
        elif ch in "\\{}^$~& " or not ch.isascii():  # percent-encoded, the '%' escaped for TeX
            out.append("".join(f"\\%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _tex_code_block(tok: Token) -> str:
    """Code, line by line: escaped, in \\ttfamily, spaces kept, explicit line breaks. Never
    verbatim (its end can be forged, and it breaks inside a Beamer frame)."""
    lines = []
    for line in tok.content.rstrip("\n").split("\n"):
        line = line.expandtabs(4)
        lines.append(r"\mbox{}" + "".join(r"\ " if ch == " " else escape_tex(ch) for ch in line))
    return "\\par\\smallskip{\\ttfamily\\raggedright\\noindent\n" + "\\\\\n".join(lines) + "\\par}\\smallskip\n"


class _TexInline:
    """Renders one inline run; links remember whether they were kept, to close them right."""

    def __init__(self) -> None:
        self.links: list[bool] = []

    def __call__(self, tokens: list[Token]) -> str:
        return "".join(self.token(tok) for tok in tokens)

    def token(self, tok: Token) -> str:
        kind = tok.type
        if kind == "link_open":
            href = str(tok.attrs.get("href", ""))
            self.links.append(link_allowed(href))
            return r"\href{" + _tex_url(href) + "}{" if self.links[-1] else "{"
        if kind == "link_close":
            self.links.pop()
            return "}"
        render = _TEX_INLINE.get(kind)
        return render(tok) if render is not None else escape_tex(tok.content)


_TEX_INLINE: dict[str, Callable[[Token], str]] = {
    "text": lambda t: escape_tex(t.content),
    "math_inline": lambda t: _tex_math(t.content, False),
    "math_inline_double": lambda t: _tex_math(t.content, True),
    "code_inline": lambda t: r"\texttt{" + escape_tex(t.content) + "}",
    "softbreak": lambda t: "\n",
    "hardbreak": lambda t: "\\\\\n",
    "strong_open": lambda t: r"\textbf{",
    "em_open": lambda t: r"\emph{",
    "strong_close": lambda t: "}",
    "em_close": lambda t: "}",
}

_TEX_BLOCK: dict[str, Callable[[Token], str]] = {
    "paragraph_close": lambda t: "\n\n",
    "bullet_list_open": lambda t: "\\begin{itemize}\n",
    "bullet_list_close": lambda t: "\\end{itemize}\n",
    "ordered_list_open": lambda t: "\\begin{enumerate}\n",
    "ordered_list_close": lambda t: "\\end{enumerate}\n",
    "list_item_open": lambda t: "\\item ",
    "heading_open": lambda t: "\\textbf{",
    "heading_close": lambda t: "}\n\n",
    "blockquote_open": lambda t: "\\begin{quote}\n",
    "blockquote_close": lambda t: "\\end{quote}\n",
    "hr": lambda t: "\\medskip\\hrule\\medskip\n",
    "inline": lambda t: _TexInline()(t.children or []),
    "math_block": lambda t: _tex_math(t.content, True),
    "code_block": _tex_code_block,
    "fence": _tex_code_block,
}


def _tex_table(tokens: list[Token], i: int) -> str:
    """A pipe table's tokens as a ``tabular``, one ``l`` column per header cell; header bold."""
    tok = tokens[i]
    if tok.type == "table_open":
        cols = 0
        for t in tokens[i + 1:]:
            if t.type == "tr_close":
                break
            cols += t.type == "th_open"
        return "\\begin{center}\\everymath{\\displaystyle}\\begin{tabular}{" + "l" * max(cols, 1) + "}\n\\hline\n"
    first = tokens[i - 1].type == "tr_open"
    return {
        "table_close": "\\hline\n\\end{tabular}\n\\end{center}\n",
        "thead_close": "\\hline\n",
        "tr_open": "\\rule[-2.2ex]{0pt}{6ex}",  # a strut: displayed fractions and matrices keep apart
        "tr_close": " \\\\\n",
        "th_open": ("" if first else " & ") + "\\textbf{",
        "th_close": "}",
        "td_open": "" if first else " & ",
    }.get(tok.type, "")


_TABLE_TOKENS = frozenset({"table_open", "table_close", "thead_open", "thead_close", "tbody_open", "tbody_close",
                           "tr_open", "tr_close", "th_open", "th_close", "td_open", "td_close"})


TEX_NESTING = 3  # lists and quotes inside each other: Beamer has three levels of lists (LaTeX four, six in all)
_NEST_OPEN = frozenset({"bullet_list_open", "ordered_list_open", "blockquote_open"})
_NEST_CLOSE = frozenset({"bullet_list_close", "ordered_list_close", "blockquote_close"})


def to_tex(markdown: str) -> str:
    """Markdown prose -> LaTeX (paragraphs, lists, emphasis, code, links, math, tables).
    Lists and quotes nest at most TEX_NESTING deep: a deeper one's items join the deepest
    list (an outline of any depth compiles, where LaTeX would stop: "Too deeply nested")."""
    tokens = parse(markdown)
    out, depth, flat = [], 0, []
    for i, tok in enumerate(tokens):
        if tok.type in _NEST_OPEN:
            depth += 1
            flat.append(depth > TEX_NESTING)
            if flat[-1]:
                continue
        elif tok.type in _NEST_CLOSE:
            depth -= 1
            if flat.pop():
                continue
        if tok.type in _TABLE_TOKENS:
            out.append(_tex_table(tokens, i))
        elif tok.type in _TEX_BLOCK:
            out.append(_TEX_BLOCK[tok.type](tok))
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


# -- Markdown ----------------------------------------------------------------------------

_MD_SPECIAL_RE = re.compile(r"([\\`*_{}\[\]<>#!|$&~^@])")
_MD_LINE_START_RE = re.compile(r"^(\s*)([-+=:]|\d{1,9}[.)](?=\s|$))")
def md_clean(text: str) -> str:
    """Control characters (ESC, BEL, C1) and invisible format characters removed; the line
    and paragraph separators U+2028/U+2029 become spaces (a reader would break lines there,
    after escaping, and a '---' could start a slide)."""
    text = _CONTROL_RE.sub("", text)
    if not text.isascii():
        text = "".join(" " if ch in "\u2028\u2029" else ch for ch in text if unicodedata.category(ch) != "Cf")
    return text


def escape_md(text: str, line_start: bool = True) -> str:
    """Plain text for any Markdown reader (CommonMark, GitHub, Marp, pandoc): punctuation
    that could start markup, HTML, math, raw TeX or a pandoc extension is
    backslash-escaped, and so is a list or heading marker at the start of a line."""
    text = _MD_SPECIAL_RE.sub(r"\\\1", md_clean(text))
    if line_start:
        text = _MD_LINE_START_RE.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)
    return text


def _md_math_body(content: str) -> str:
    """Math for a Markdown reader: '<' never followed by a letter, '/' or '!', so a viewer
    without math support cannot read HTML in it."""
    return re.sub(r"<(?=[A-Za-z/!?])", "< ", content.strip())


def _md_code(content: str) -> str:
    """An inline code span that its own backticks cannot close."""
    content = md_clean(content).replace("\n", " ")
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", content)), default=0) + 1)
    pad = " " if content.startswith("`") or content.endswith("`") or not content.strip() else ""
    return f"{ticks}{pad}{content}{pad}{ticks}"


def _md_math(content: str, display: bool) -> str:
    if not safe_math(content.strip()):
        return _md_code(content.strip())
    body = _md_math_body(content)
    return f"\n\n$$\n{body}\n$$\n\n" if display else f"${body}$"


def _md_url(href: str) -> str:
    return "<" + re.sub(r"[<>\s\\]", lambda m: "%{:02X}".format(ord(m.group(0))), href) + ">"


class _MdInline:
    def __init__(self) -> None:
        self.links: list[str | None] = []
        self.line_start = True

    def __call__(self, tokens: list[Token]) -> str:
        out = []
        for tok in tokens:
            out.append(self.token(tok))
            self.line_start = tok.type in ("softbreak", "hardbreak")
        return "".join(out)

    def token(self, tok: Token) -> str:
        kind = tok.type
        if kind == "text":
            return escape_md(tok.content, self.line_start)
        if kind == "link_open":
            href = str(tok.attrs.get("href", ""))
            self.links.append(_md_url(href) if link_allowed(href) else None)
            return "[" if self.links[-1] else ""
        if kind == "link_close":
            target = self.links.pop()
            return f"]({target})" if target else ""
        render = _MD_INLINE.get(kind)
        return render(tok) if render is not None else escape_md(tok.content, False)


_MD_INLINE: dict[str, Callable[[Token], str]] = {
    "math_inline": lambda t: _md_math(t.content, False),
    "math_inline_double": lambda t: _md_math(t.content, True),
    "code_inline": lambda t: _md_code(t.content),
    "softbreak": lambda t: "\n",
    "hardbreak": lambda t: "\\\n",
    "strong_open": lambda t: "**",
    "strong_close": lambda t: "**",
    "em_open": lambda t: "*",
    "em_close": lambda t: "*",
}


def _md_fence(tok: Token) -> str:
    content = md_clean(tok.content)
    fence = "`" * max(3, max((len(r) for r in re.findall(r"`+", content)), default=0) + 1)
    info = tok.info.strip().split(" ")[0] if tok.type == "fence" else ""
    info = info if re.fullmatch(r"[A-Za-z0-9_+-]{1,20}", info) else ""
    return f"{fence}{info}\n{content.rstrip(chr(10))}\n{fence}\n\n"


class _MdBlocks:
    """Block structure: list markers and quote prefixes are written at the start of each
    line of the blocks inside them."""

    def __init__(self) -> None:
        self.prefix: list[str] = []  # what every line of the current block starts with
        self.lists: list[list[int]] = []  # open lists: [next number] or [] for bullets
        self.pending = ""  # a list marker waiting for its item's first line

    def render(self, tokens: list[Token]) -> str:
        out: list[str] = []
        for tok in tokens:
            text = self.block(tok)
            if text:
                out.append(text)
        return "".join(out)

    def lines(self, text: str) -> str:
        """Indent ``text`` under the open lists and quotes; the first line takes the marker."""
        indent = "".join(self.prefix)
        rows = text.split("\n")
        first = indent[: len(indent) - len(self.pending)] + self.pending if self.pending else indent
        self.pending = ""
        done = [first + rows[0]] + [(indent + r) if r else indent.rstrip() for r in rows[1:]]
        return "\n".join(done)

    def block(self, tok: Token) -> str:
        kind = tok.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            self.lists.append([int(tok.attrs.get("start", 1) or 1)] if kind == "ordered_list_open" else [])
            return ""
        if kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
            return "\n" if not self.lists else ""
        if kind == "list_item_open":
            current = self.lists[-1]
            marker = f"{current[0]}. " if current else "- "
            if current:
                current[0] += 1
            self.prefix.append(" " * len(marker))
            self.pending = marker
            return ""
        if kind == "list_item_close":
            self.prefix.pop()
            return ""
        if kind == "blockquote_open":
            self.prefix.append("> ")
            return ""
        if kind == "blockquote_close":
            self.prefix.pop()
            return "\n"
        if kind == "inline":
            return self.lines(_MdInline()(tok.children or []).strip("\n"))
        if kind == "paragraph_close":
            tight = bool(self.lists) and tok.hidden
            return "\n" if tight else "\n" + self.blank()
        if kind == "heading_close":
            return "\n\n"
        if kind == "hr":  # a rule would start a new slide in Marp and pandoc: a blank line
            return self.blank()
        if kind == "math_block":
            return self.lines(_md_math(tok.content, True).strip("\n")) + "\n" + self.blank()
        if kind in ("code_block", "fence"):
            return self.lines(_md_fence(tok).rstrip("\n")) + "\n" + self.blank()
        return ""

    def blank(self) -> str:
        """A blank line that stays inside the open quotes."""
        return "".join(self.prefix).rstrip() + "\n"


def to_md(markdown: str) -> str:
    """Markdown prose as safe Markdown: rebuilt from the tokens, so raw HTML is text,
    links keep only allowed targets, headings are bold and rules blank (neither may
    start a slide), math is normalised to GitHub's rules (``$x$``
    without inner spaces; display math as ``$$`` blocks on their own lines)."""
    blocks = _MdBlocks()
    out: list[str] = []
    heading = False
    table: list[list[str]] | None = None  # the rows of a pipe table being read
    for tok in parse(markdown):
        if tok.type == "table_open":
            table = []
        elif table is not None:
            if tok.type == "tr_open":
                table.append([])
            elif tok.type == "inline":
                table[-1].append(_MdInline()(tok.children or []).replace("|", "\\|").replace("\n", " ").strip())
            elif tok.type == "table_close":
                rows = ["| " + " | ".join(r) + " |" for r in table]
                rows.insert(1, "|" + "---|" * len(table[0]))
                out.append(blocks.lines("\n".join(rows)) + "\n" + blocks.blank())
                table = None
        elif tok.type == "heading_open":  # bold, as in LaTeX: a '#' would start a slide or section
            heading = True
        elif tok.type == "inline" and heading:
            out.append(blocks.lines("**" + _MdInline()(tok.children or []).strip() + "**"))
            heading = False
        else:
            out.append(blocks.block(tok))
    text = re.sub(r"[ \t]+\n", "\n", "".join(out))
    text = re.sub(r"(\n>+)+(?=\n\n|\n*$)", "", text)  # blank quote lines closing a quote
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_INLINE_SAFE = (("\\,", "\\medspace "), ("\\;", "\\medspace "), ("\\:", "\\medspace "), ("\\!", ""),
                ("\\|", "\\Vert "), ("\\{", "\\lbrace "), ("\\}", "\\rbrace "))
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)((?:[^$\\]|\\.)+?)\$(?!\$)")


def github_safe(markdown: str) -> str:
    """Inline math that GitHub, Marp, reveal.js and pandoc read alike: GitHub reads a
    backslash before ASCII punctuation inside ``$...$`` as a Markdown escape (``\\,``
    becomes ",", ``\\|`` a bar), so those become named commands every reader knows
    (``\\medspace``, ``\\Vert``, ``\\lbrace``). Display math and code are left alone."""
    out, fence = [], False
    for line in markdown.split("\n"):
        stripped = line.strip()
        if stripped.startswith("```"):
            fence = not fence
        if fence or stripped.startswith("$$") or stripped.startswith("    "):
            out.append(line)
            continue
        line = _INLINE_MATH.sub(lambda m: "$" + _safe(m.group(1)) + "$", line)
        if "\\\\" in line and not re.match(r"\s*([-*+|>]|\d+\.)\s", line):  # a matrix in running text
            line = _INLINE_MATH.sub(lambda m: f"\n\n$$\n{m.group(1)}\n$$\n\n" if "\\\\" in m.group(1) else m.group(0), line)
        out.append(line)
    return "\n".join(out)


def _safe(tex: str) -> str:
    names = dict(_INLINE_SAFE)

    def one(m: re.Match[str]) -> str:
        good = names.get(m.group(0))
        if good is None:
            return m.group(0)
        follows = tex[m.end():m.end() + 1]
        return good.rstrip() + (" " if good and follows.isalpha() else "")

    return re.sub(r"\\[^A-Za-z]", one, _columns_as_rows(tex))


_COLUMN = re.compile(r"\\begin\{bmatrix\}((?:(?!\\begin\{|\\end\{|&).)*?)\\end\{bmatrix\}(\^T)?")


def _columns_as_rows(tex: str) -> str:
    """A column vector inline as the transpose of a row ([a \\ b] is [a & b]^T), which has
    no row break for a Markdown reader to eat; a transposed column is the row itself."""
    def one(m: re.Match[str]) -> str:
        entries = [e.strip() for e in m.group(1).split("\\\\")]
        if len(entries) < 2:
            return m.group(0)
        row = "\\begin{bmatrix} " + " & ".join(entries) + " \\end{bmatrix}"
        return row if m.group(2) else row + "^T"

    return _COLUMN.sub(one, tex)
