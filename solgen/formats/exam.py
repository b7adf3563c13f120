"""Printed exams (``solgen export ... --to exam --forms K``): K forms ``exam-A.pdf``, ... and a
key per form ``exam-A-key.pdf``, with ``forms.csv`` saying which variant of each problem a
form uses.

Every form has the same pages in the same order: a cover with the name and ID box, then one
page per question (the prompt at the top, the answer box at the same place at the foot of
the page, whatever the prompt's length), so scans line up (Gradescope-style fixed layout).
The form letter and "page i of n" are on every page. Form ``i`` (0-based) takes variant
``i mod count + 1`` of each problem. The key repeats the form's pages with the answers in
the boxes, then the worked solutions of its variants (the LaTeX handouts' bodies).
"""

from __future__ import annotations

import csv
import io
import string
from typing import TYPE_CHECKING

from solgen.formats.quiz import Exercise, Question, Variant

if TYPE_CHECKING:
    from solgen.formats.quiz import WordsFor
    from solgen.present.words import Sentence, Words

BOX_HEIGHT = "7cm"
_PREAMBLE_EXTRA = r"""\usepackage{fancyhdr}
\usepackage{lastpage}
\pagestyle{fancy}
\fancyhf{}
\renewcommand{\headrulewidth}{0.4pt}
"""


def _preamble(picks: list[tuple[Exercise, Variant]]) -> str:
    """The house preamble, from the variant's handout that loads the most (figures need pgfplots)."""
    heads = [v.handout_tex.split("\\begin{document}", 1)[0] for _, v in picks]
    return max(heads, key=len)


def _escape(text: str) -> str:
    from solgen.formats.prose import escape_tex

    return escape_tex(text)


def _box(title: str, content: str) -> str:
    return ("\\noindent\\fbox{\\parbox[t][" + BOX_HEIGHT + "][t]{\\dimexpr\\linewidth-2\\fboxsep-2\\fboxrule\\relax}{"
            + "\\textbf{" + title + "}\\par\\medskip " + content + "}}")


def _answer(q: Question) -> str:
    lines = []
    for f in q.fields:
        if f.kind in ("number", "symbolic"):
            lines.append(f"$\\displaystyle {f.label} = {f.value_tex}$" if f.label else f"${f.value_tex}$")
        elif f.kind == "choice":
            assert f.choices is not None  # a choice field has its choices
            key = f.choices.key
            lines.append(f"({key.letter}) $\\displaystyle {key.tex}$")
    return "\\par\\smallskip ".join(lines)


def _document(picks: list[tuple[Exercise, Variant]], letter: str, key: bool, words: Words, title: str) -> str:
    preamble = _preamble(picks)
    form = words("exam.form", letter=_text(letter)).tex()
    page = words("exam.page").tex()
    of = words("exam.of").tex()
    out = [preamble, _PREAMBLE_EXTRA,
           f"\\fancyhead[L]{{{_escape(title)}}}\\fancyhead[R]{{\\textbf{{{form}}}}}",
           f"\\fancyfoot[C]{{{form} \\textperiodcentered{{}} {page} \\thepage{{}} {of} \\pageref{{LastPage}}}}",
           "\\begin{document}",
           "\\begin{center}{\\Large\\bfseries " + _escape(title) + ("" if not key else " \\textemdash{} " + words("exam.key").tex())
           + "}\\\\[1ex]{\\large " + form + "}\\end{center}\\bigskip",
           "\\noindent\\fbox{\\parbox{\\dimexpr\\linewidth-2\\fboxsep-2\\fboxrule\\relax}{\\vspace{1ex}"
           + words("exam.name").tex() + " \\hrulefill\\par\\vspace{3ex}" + words("exam.id").tex() + " \\hrulefill\\par\\vspace{1ex}}}",
           "\\bigskip\\par " + words("exam.instructions").tex(),
           "\\newpage"]
    for ex, v in picks:
        for q in v.questions:
            # the question in a box of fixed height: the answer box is at the same place on
            # every form, whatever the prompt's length (a prompt too long overflows, never adds a page)
            out.append("\\noindent\\begin{minipage}[t][\\dimexpr\\textheight-" + BOX_HEIGHT + "-2\\baselineskip\\relax][t]{\\linewidth}")
            out.append(f"\\section*{{{_escape(ex.title)} ({_escape(q.id)})}}")
            out.append(q.prompt_tex)
            out.append("\\end{minipage}\\par")
            out.append(_box(words("exam.answer").tex(), _answer(q) if key else ""))
            out.append("\\newpage")
    if key:
        for ex, v in picks:
            body = v.handout_tex.split("\\begin{document}", 1)[1].rsplit("\\end{document}", 1)[0]
            out.append(body)
            out.append("\\newpage")
    out.append("\\end{document}")
    return "\n".join(out) + "\n"


def _text(value: str) -> Sentence:
    from solgen.present.words import text

    return text(value)


def to_exam(exercises: list[Exercise], forms: int, words_for: WordsFor) -> tuple[dict[str, bytes | str], list[str]]:
    """The forms' and keys' .tex (``exam-A.tex``, ``exam-A-key.tex``, ...; the export compiles
    each to its PDF) and ``forms.csv``."""
    files: dict[str, bytes | str] = {}
    notes: list[str] = []
    words = words_for(exercises[0])
    title = exercises[0].title if len(exercises) == 1 else words("exam.title").tex()
    rows = io.StringIO()
    table = csv.writer(rows, lineterminator="\n")
    table.writerow(["form", "problem", "variant", "params"])
    for i in range(forms):
        letter = string.ascii_uppercase[i]
        picks = []
        for ex in exercises:
            v = ex.variants[i % len(ex.variants)]
            picks.append((ex, v))
            table.writerow([letter, ex.id, v.number if v.number is not None else "", "; ".join(f"{k}={x}" for k, x in v.params.items())])
        if len(exercises) and all(len(ex.variants) < forms for ex in exercises) and i == len(exercises[0].variants):
            notes.append(f"{forms} forms from {len(exercises[0].variants)} variants: some forms repeat a variant")
        for key in (False, True):
            name = f"exam-{letter}" + ("-key" if key else "")
            tex = _document(picks, letter, key, words, title)
            files[f"{name}.tex"] = tex
    files["forms.csv"] = rows.getvalue()
    return files, notes
