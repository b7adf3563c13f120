"""Prose as written in problem files, sections and words catalogs: Markdown with ``$...$``
math, parsed once with markdown-it-py and its dollarmath plugin (raw HTML off, so
``<script>`` is text), and the whitelist every formula must pass (``safe_math``: known
control words, a few control symbols, balanced braces, matched environments). Reading and
checking only: the writers in ``formats/prose.py`` render the tokens per format, and a
formula ``safe_math`` refuses is shown there as code (``refused_math`` says so at load).

To allow another LaTeX command in prose math: add it to ``MATH_COMMANDS`` (and its
arguments to ``_ARITY``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from solgen.math import lazy

if TYPE_CHECKING:
    from markdown_it.token import Token

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# -- math --------------------------------------------------------------------------------

# Control words allowed inside $...$ in prose. Anything else is shown as code.
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
    star ast prime emptyset setminus neg land lor ell hbar imath jmath Re Im wp aleph
    Upsilon varsigma varrho varkappa mathsf mathit mathfrak mathring widehat widetilde
    overrightarrow underset overset stackrel binom dbinom cfrac lfloor rfloor lceil rceil
    lvert rvert lbrace rbrace backslash odot otimes oplus ominus vee wedge bigcup bigcap
    bigl bigr Bigl Bigr biggl biggr Bigg colon ll gg subsetneq supset supseteq perp
    parallel nexists varnothing bot dagger bullet diamond angle uparrow downarrow
    longrightarrow Longrightarrow longleftarrow implies impliedby geqslant leqslant
    triangleq nmid iint iiint oint liminf limsup arg Pr gcd dim ker deg coth displaystyle
    textstyle pmod bmod succ prec succeq preceq succcurlyeq preccurlyeq lesssim gtrsim sqrt
    mathscr leadsto rightharpoonup nsubseteq supsetneq Longleftrightarrow longmapsto
    lfloor rfloor varPhi varPsi varTheta varLambda varSigma varOmega hslash complement
    therefore because smallsetminus triangle nearrow searrow downarrow updownarrow""".split()
)
MATH_ENVIRONMENTS = frozenset({"bmatrix", "pmatrix", "matrix", "vmatrix", "cases", "aligned"})
MATH_SYMBOLS = frozenset(",;:! {}|\\_&%#$")  # control symbols: \, \; \{ \\ ...; never \( \) \[ \]
_TOKEN_RE = re.compile(r"\\([A-Za-z]+|.)|([{}])|(\$)|([&%#])", re.S)
_ENV_RE = re.compile(r"\s*\{([A-Za-z]+\*?)\}")


def safe_math(tex: str) -> bool:
    """May this formula from a problem file go into a document as math? ASCII only;
    whitelisted control words and symbols; balanced braces; ``\\begin``/``\\end`` of
    allowed environments, matched; ``\\left``/``\\right`` paired; no bare ``$``, ``%``,
    ``#``, ``^^`` or ``@``; alignment ``&`` only inside an environment."""
    if not tex.isascii() or _CONTROL_RE.search(tex) or "^^" in tex or "@" in tex:
        return False
    if re.search(r"(?<!\\)(\\\\)*\\$", tex):  # a lone backslash at the end would escape the closing $
        return False
    stack: list[str] = []  # "{", "left" and environment names, innermost last
    pos = 0
    for m in _TOKEN_RE.finditer(tex):
        if m.start() < pos:  # the {name} after \\begin/\\end, read with it
            continue
        word, brace, dollar, special = m.groups()
        if dollar or (special in ("%", "#")):
            return False
        if special == "&" and not any(s in MATH_ENVIRONMENTS for s in stack):
            return False
        if brace == "{":
            stack.append("{")
        elif brace == "}":
            if not stack or stack.pop() != "{":
                return False
        elif word is not None:
            if len(word) == 1 and not word.isalpha():
                if word not in MATH_SYMBOLS:
                    return False
            elif word not in MATH_COMMANDS:
                return False
            elif word in ("begin", "end"):
                env = _ENV_RE.match(tex, m.end())
                if not env or env.group(1) not in MATH_ENVIRONMENTS:
                    return False
                if word == "begin":
                    stack.append(env.group(1))
                elif not stack or stack.pop() != env.group(1):
                    return False
                pos = env.end()
            elif word == "left":
                stack.append("left")
            elif word == "right":
                if not stack or stack.pop() != "left":
                    return False
    return not stack and _arguments_ok(tex)


# Commands that read arguments: how many, and whether an optional [..] may come first. A
# missing one makes TeX read the closing $ or the next paragraph ("Missing \endgroup").
_ARITY = {
    **dict.fromkeys("frac dfrac tfrac cfrac binom dbinom underset overset stackrel".split(), 2),
    **dict.fromkeys("""mathbb mathbf mathrm mathcal boldsymbol text textbf textit mathsf mathit mathfrak
        mathring mathscr operatorname hat bar tilde vec dot ddot overline underline underbrace overbrace
        widehat widetilde overrightarrow boxed pmod sqrt xrightarrow""".split(), 1),
}
_OPTIONAL = frozenset({"sqrt", "xrightarrow"})
_TEXT_ARG = frozenset({"text", "textbf", "textit"})  # their argument is text: no scripts, no math commands
_DELIMITERS = frozenset("()[]|./<>")
_DELIMITER_WORDS = frozenset("""{ } | langle rangle lVert rVert Vert vert lvert rvert lfloor rfloor lceil rceil
    lbrace rbrace backslash uparrow downarrow updownarrow""".split())


def _group_end(tex: str, i: int, open_: str = "{", close: str = "}") -> int | None:
    """The index after the group opened at ``tex[i]``; None if it is never closed."""
    depth = 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            i += 2
            continue
        depth += ch == open_
        depth -= ch == close
        i += 1
        if depth == 0:
            return i
    return None


def _argument(tex: str, i: int) -> tuple[int, int] | None:
    """(start, end) of the argument that starts at or after ``tex[i]`` (a group, a command
    or one character); None when there is none (the end, a closing brace, a script...)."""
    while i < len(tex) and tex[i].isspace():
        i += 1
    if i >= len(tex) or tex[i] in "}&^_$%#'":
        return None
    if tex[i] == "{":
        end = _group_end(tex, i)
        return None if end is None else (i, end)
    if tex[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", tex[i:], re.S)
        if not m or m.group(1) in ("left", "right", "begin", "end", "\\"):
            return None
        return i, i + m.end()
    return i, i + 1


def _arguments_ok(tex: str) -> bool:
    """Has every command its arguments, every ``^``/``_`` its script (one of each per
    atom), and every ``\\left``/``\\right`` a delimiter?"""
    for m in re.finditer(r"\\([A-Za-z]+|.)", tex, re.S):
        word = m.group(1)
        pos = m.end()
        if word in ("left", "right", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr"):
            d = re.match(r"\s*(\\([A-Za-z]+|.)|.)", tex[pos:], re.S)
            if not d or (d.group(2) is None and d.group(1) not in _DELIMITERS) or \
                    (d.group(2) is not None and d.group(2) not in _DELIMITER_WORDS):
                return False
            continue
        if word not in _ARITY:
            continue
        if word in _OPTIONAL:
            j = pos
            while j < len(tex) and tex[j].isspace():
                j += 1
            if j < len(tex) and tex[j] == "[":
                end = _group_end(tex, j, "[", "]")
                if end is None:
                    return False
                pos = end
        for _ in range(_ARITY[word]):
            arg = _argument(tex, pos)
            if arg is None:
                return False
            if word in _TEXT_ARG and re.search(r"(?<!\\)[\^_&]|\\[A-Za-z]", tex[arg[0] + 1:arg[1] - 1]):
                return False
            pos = arg[1]
    i = 0
    while i < len(tex):  # scripts: each needs its argument, and an atom has one ^ and one _ at most
        ch = tex[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "^_'":
            seen: set[str] = set()
            while i < len(tex) and tex[i] in "^_'":
                kind = "^" if tex[i] in "^'" else "_"
                if tex[i] == "'":
                    if seen:  # x^2' and x_1' are a double superscript; x'' and x'_1 are fine
                        return False
                    while i < len(tex) and tex[i] == "'":
                        i += 1
                    seen.add("'")
                    continue
                if kind in seen and not (kind == "^" and seen == {"'"}):
                    return False
                if kind == "^" and "^" in seen:
                    return False
                seen.add(kind)
                arg = _argument(tex, i + 1)
                if arg is None:
                    return False
                i = arg[1]
                while i < len(tex) and tex[i].isspace():
                    i += 1
            continue
        i += 1
    return True


def refused_math(markdown: str) -> list[tuple[str, str]]:
    """The formulas of a prose field that ``safe_math`` refuses (they are shown as code),
    each with why: for a warning, so a TA can fix them instead of finding code in the handout."""
    if "$" not in markdown:  # no $, no formula (dollarmath's delimiters): nothing to parse
        return []
    refused = []
    for tok in parse(markdown):
        for t in [tok, *(tok.children or [])]:
            formula = t.content.strip()
            if t.type.startswith("math") and not safe_math(formula):
                unknown = [w for w in re.findall(r"\\([A-Za-z]+)", formula) if w not in MATH_COMMANDS]
                why = f"\\{unknown[0]}, which solgen does not allow" if unknown else \
                    "a command, ^ or _ without its argument (write e.g. \\frac{a}{b}, x^{2})" \
                    if not _arguments_ok(formula) else "an unbalanced or unsafe construct"
                refused.append((formula, why))
    return refused


# -- parsing -----------------------------------------------------------------------------

def parse(markdown: str) -> list[Token]:
    """Prose -> markdown-it tokens (block tokens; inline ones as ``children``). markdown-it
    is imported on the first parse (``input/mdparser.py``): a file whose prose has no
    formula to check, rendered as JSON only, never needs it."""
    tokens: list[Token] = lazy.load("mdparser").parser().parse(table_math(markdown))
    return tokens


_TABLE_ROW = re.compile(r"(?m)^[ \t]*\|.*$")


def table_math(markdown: str) -> str:
    """In a pipe-table row a ``|`` inside ``$...$`` is math, not a cell border (GitHub's
    tables would split the cell there, and turn ``\\|`` into ``|``, a norm into an absolute
    value): ``\\|`` becomes ``\\Vert`` and ``|`` becomes ``\\vert``."""
    if "|" not in markdown or "$" not in markdown:
        return markdown

    def row(m: re.Match) -> str:
        out, inside = [], False
        for piece in re.split(r"(?<!\\)(\$+)", m.group(0)):
            if piece and set(piece) == {"$"}:
                inside = not inside
            elif inside:
                piece = piece.replace("\\|", "\\Vert ").replace("|", "\\vert ")
            out.append(piece)
        return "".join(out)

    return _TABLE_ROW.sub(row, markdown)
