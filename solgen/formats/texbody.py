"""``--body-only``: a LaTeX body to paste into a course's own document, as pandoc writes one
without ``--standalone``, and ``solgen.sty`` for that document's preamble.

A body is what lies between ``\\begin{document}`` and ``\\end{document}`` of the full .tex,
headed by solgen's macros (the ``macros()`` of ``templates/tex/preamble.tex.j2``, all ``\\providecommand``, so a
course that defines them keeps its own and a second pasted body redefines nothing). It
loads no package and sets no page geometry: the course's preamble does (``\\usepackage{solgen}``
loads what the body needs: amsmath, amssymb, mathrsfs, adjustbox, tikz).

To change a macro: edit ``macros()`` in preamble.tex.j2; the full documents, the sty and bodies
share it (the sty is the same template rendered with ``sty``).
"""

from __future__ import annotations

from pathlib import Path
from solgen.formats.templates import environment

STY = "solgen.sty"
HEAD = ("% A solgen body (solgen render --body-only): paste it into a document whose preamble has\n"
        "% \\usepackage{solgen} (solgen.sty, written beside this file), or amsmath, amssymb and adjustbox\n"
        "% (tikz too for figures, hyperref for links). The macros below are \\providecommand: yours win.\n")


def macros(templates: Path | None = None) -> str:
    return environment("tex", templates).get_template("preamble.tex.j2").render(macros_only=True).strip() + "\n"


def sty(templates: Path | None = None) -> str:
    return environment("tex", templates).get_template("preamble.tex.j2").render(sty=True).strip() + "\n"


def body_only(tex: str, templates: Path | None = None) -> str:
    """The body of a full .tex, headed by solgen's macros."""
    begin, end = "\\begin{document}", "\\end{document}"
    start, stop = tex.find(begin), tex.rfind(end)
    if start < 0 or stop < start:  # a template that writes no document: as it is
        return tex
    body = tex[start + len(begin):stop].strip("\n")
    counter = "\\ifcsname c@MaxMatrixCols\\endcsname\\setcounter{MaxMatrixCols}{20}\\fi% amsmath: matrices up to 20 columns\n"
    return HEAD + macros(templates) + counter + "\n" + body + "\n"
