"""What every export reads: a problem file's variants, each derived, checked and worded.

``collect(path, count)`` gives an ``Exercise``: for each variant (the file's ``variants:``
draws, or the file as it is when it has none) its parameters, the intro, and per question
(the parts sharing an id) the prompt and the answer fields, and the worked solution, as
Markdown with ``$...$`` math (from the Markdown handout writer: the solution a student
sees in an LMS is the handout's). The exports (``moodle.py``, ``canvas.py``,
``prairielearn.py``, ``exam.py``) turn these into their targets' files; ``md_html``
turns the Markdown into HTML whose math is ``\\( \\)`` / ``\\[ \\]`` (MathJax, as Moodle, Canvas
and PrairieLearn read it), every character from the file escaped.

A field is a number (a value at a point, a directional derivative, an estimate: graded
with a tolerance) or a choice (``choices: N``: the key and its distractors). A part with a
symbolic answer and no ``choices`` has no field: an LMS cannot grade it; its solution is
still shown.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Sequence, TypeAlias

import sympy as sp

from solgen.derive.malrules import graded

if TYPE_CHECKING:
    from solgen.asks.base import Result
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererProtocol
    from markdown_it.token import Token
    from markdown_it.utils import EnvType, OptionsDict

    from solgen.present.choices import Choices
    from solgen.present.view import Tex
    from solgen.present.words import Words

REL_TOL = 1e-3  # numerical answers: within 0.1% of the value ...
ABS_TOL = 1e-3  # ... or 0.001, whichever is larger


@dataclass
class Field:
    kind: str  # "number", "choice" or "symbolic" (PrairieLearn and printed exams only)
    label: str  # LaTeX of what is asked, e.g. \frac{\partial f}{\partial x}(1, 2)
    value: Any = None  # number: the exact value (a SymPy number; SymPy is untyped)
    choices: Choices | None = None  # choice
    part: str = ""  # the part's id
    ask: str = ""
    value_tex: str = ""  # number: the exact value's LaTeX
    pos: tuple[int, ...] = ()  # the entry of a vector (i,) or matrix (i, j) answer

    @property
    def text(self) -> str:
        """symbolic: the answer in Python syntax (x**2*cos(y)), as graders' symbolic inputs read it."""
        from solgen.formats.json import expr_text
        from solgen.math.named import unfold

        return expr_text(unfold(self.value))

    @property
    def number(self) -> float:
        return float(sp.N(self.value, 17))

    @property
    def tolerance(self) -> float:
        return max(REL_TOL * abs(self.number), ABS_TOL)


@dataclass
class Question:
    id: str
    prompt_md: str
    solution_md: str
    fields: list[Field] = field(default_factory=list)
    prompt_tex: str = ""  # the prompt with its options, for printed exams


@dataclass
class Variant:
    number: int | None  # None: a file without variants
    params: dict[str, str]
    intro_md: str | None
    questions: list[Question]
    figures: dict[str, str]  # SVG files the solution shows, by name
    solution_md: str  # the whole worked solution
    handout_tex: str = ""  # the LaTeX handout of this variant (exam keys print its worked solutions)


@dataclass
class Exercise:
    id: str
    title: str
    path: str
    variants: list[Variant]
    variables: list[str] = field(default_factory=list)


if TYPE_CHECKING:
    WordsFor: TypeAlias = Callable[[Exercise], Words]  # the words catalog of an exercise's problem file


def _numbers(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    flat = [x for v in items for x in (v if isinstance(v, list) else [v])]
    return bool(flat) and all(isinstance(x, sp.Basic) and x.is_number and x.is_real for x in flat)


def _fields(result: Result, view: dict[str, Any], tex: Tex) -> list[Field]:
    part = result.part
    if part.choices:
        return [Field("choice", "", choices=view["choices"], part=part.id, ask=part.ask)]
    value: Any = None
    estimated = getattr(result, "estimated", None)  # a taylor part's estimate (TaylorResult)
    if part.ask == "taylor" and estimated is not None:
        value = estimated
    elif part.ask in ("gradient", "hessian", "jacobian", "partial", "directional", "evaluate", "laplacian"):
        value = graded(result)
    if not isinstance(value, (sp.Basic, list)):  # a matrix expression (shapes:): graded by its choices only
        return []
    kind = "number" if _numbers(value) else "symbolic"
    if kind == "symbolic" and (part.ask == "directional" or not _plain(value)):
        return []
    name = tex(sp.Symbol(part.of)) if part.of else ""
    point = f"({tex.point(part)})" if part.at else ""
    out: list[Field] = []
    if isinstance(value, list) and value and isinstance(value[0], list):
        for i, row in enumerate(value):
            for j, v in enumerate(row):
                out.append(Field(kind, f"[{_ask_symbol(part.ask)} {name}{point}]_{{{i + 1}{j + 1}}}", v, part=part.id, ask=part.ask,
                                 pos=(i, j)))
    elif isinstance(value, list):
        labels = _labels(result, name, point, tex, len(value))
        out += [Field(kind, lab, v, part=part.id, ask=part.ask, pos=(i,)) for i, (lab, v) in enumerate(zip(labels, value))]
    else:
        lab = _labels(result, name, point, tex, 1)[0]
        out.append(Field(kind, lab, value, part=part.id, ask=part.ask))
    return out


def _plain(value: Any) -> bool:
    """Every name in the answer a plain identifier (a grader's symbolic input reads it)."""
    items = value if isinstance(value, list) else [value]
    flat = [x for v in items for x in (v if isinstance(v, list) else [v])]
    return all(isinstance(e, sp.Basic) and all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", s.name) and s.name not in ("lambda", "E", "I")
                                                for s in e.free_symbols) for e in flat)


def _ask_symbol(ask: str) -> str:
    return {"hessian": "\\nabla^2", "jacobian": "J"}.get(ask, "")


def _labels(result: Any, name: str, point: str, tex: Tex, n: int) -> list[str]:
    part = result.part
    variables = tex.variables
    if part.ask == "gradient" and n == len(variables):
        return [f"\\frac{{\\partial {name}}}{{\\partial {tex(v)}}}{point}" for v in variables]
    if part.ask == "directional":
        return [f"D_{{{tex(sp.Symbol(r.name))}}} {name}{point}" for r in result.readings]
    if part.ask == "partial":
        below = " ".join("\\partial " + tex(v) for v in part.order)
        top = f"\\partial^{{{len(part.order)}}}" if len(part.order) > 1 else "\\partial"
        return [f"\\frac{{{top} {name}}}{{{below}}}{point}"]
    if part.ask == "taylor":
        return [f"{name}({tex.point(type('P', (), {'at': part.estimate})())}) \\approx"]
    if part.ask == "laplacian":
        return [f"\\Delta {name}{point}"]
    return [f"{name}{point}" + (f"_{{{i + 1}}}" if n > 1 else "") for i in range(n)]


def collect(path: str, count: int | None = None, seed: int | None = None) -> Exercise:
    """Load, derive (every step checked) and word each variant of ``path``."""
    from solgen.formats.templates import render
    from solgen.input.problem import load_problem
    from solgen.present.view import Prompts, Tex, build_view
    from solgen.present.words import load_words
    from solgen.derive.calculus import solve

    first = load_problem(path, seed=seed)
    numbers: list[int | None] = [None]
    if first.params:
        from solgen.input.variants import block

        n = count or block(path, seed).count
        numbers = list(range(1, n + 1))
    variants = []
    for k in numbers:
        problem = first if k in (None, 1) and (k is None or first.variant == 1) else load_problem(path, variant=k, seed=seed)
        solution = solve(problem)
        words = load_words(problem.lang)
        view = build_view(solution, words)
        tex = Tex(problem, words)
        marker = words("document.solution").md()
        questions = []
        by_question: dict[str, list[Any]] = {}
        for d in solution.derivations:
            by_question.setdefault(d.part.id, []).append(d)
        for q in view["questions"]:
            single = {**view, "questions": [q], "intro": None}
            md = render(single, "md", "handout", None, words)
            cut = md.find(f"**{marker}**")
            solution_md = md[cut + len(marker) + 4:].strip() if cut >= 0 else md
            fields: list[Field] = []
            for d, pview in zip(by_question[q["id"]], q["parts"]):
                fields += _fields(d, pview, tex)
            prompt = Prompts([item for item in q["prompt"].items if not hasattr(item, "options")])  # the options are fields
            for f in fields:
                if f.kind in ("number", "symbolic"):
                    f.value_tex = tex(f.value)
            prompt_md = prompt.as_format("md")
            for p in q["parts"]:  # a figure to draw on: its blank picture goes with the question
                fig = p.get("figure")
                if fig is not None:
                    prompt_md += f"\n\n![{_md_alt(fig.alt_blank)}]({fig.svg_blank})"
            prompt_tex = q["prompt"].as_format("tex")
            for p in q["parts"]:
                if p.get("figure") is not None:
                    prompt_tex += ("\n\n\\begin{center}\\begin{adjustbox}{max totalheight=0.38\\textheight, max width=\\linewidth}\n"
                                   + str(p["figure"].tikz_blank) + "\n\\end{adjustbox}\\end{center}")  # str(): Markup + str would escape the str
            questions.append(Question(q["id"], prompt_md, solution_md, fields, prompt_tex))
        whole = render({**view, "intro": None}, "md", "handout", None, words)
        whole = whole.split("\n", 1)[1] if whole.startswith("# ") else whole  # the title is the question's name
        variants.append(Variant(k, {n: str(v) for n, v in problem.params}, view["intro"].as_format("md") if view["intro"] else None,
                                questions, _figures(view), whole.strip(),
                                render(view, "tex", "handout", None, words)))
    title = first.title or first.id
    return Exercise(first.id, title, path, variants, [v.name for v in first.variables])


def _figures(view: dict[str, Any]) -> dict[str, str]:
    """Every SVG the view's figures have (the full one and the blank one), by name."""
    return {name: svg for q in view["questions"] for p in q["parts"] if p.get("figure") is not None
            for name, svg in p["figure"].files.items()}


def _md_alt(text: str) -> str:
    """Alt text inside ![...]: no brackets, backslashes or line breaks."""
    return re.sub(r"[\[\]\\\n\r]", " ", text)


# -- Markdown -> HTML with MathJax delimiters -----------------------------------------------

def _parser(images: dict[str, str] | None) -> MarkdownIt:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.use(dollarmath_plugin, allow_space=True, double_inline=True)

    def inline(self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return "\\(" + html.escape(tokens[idx].content, quote=False) + "\\)"

    def block(self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        return "<p>\\[" + html.escape(tokens[idx].content.strip(), quote=False) + "\\]</p>\n"

    def image(self: RendererProtocol, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
        tok = tokens[idx]
        src = tok.attrGet("src") or ""
        alt = "".join(c.content for c in (tok.children or []))
        if images is None or src not in images:
            return html.escape(alt)
        return f'<img src="{html.escape(images[src], quote=True)}" alt="{html.escape(alt, quote=True)}">'

    md.add_render_rule("math_inline", inline)
    md.add_render_rule("math_inline_double", block)
    md.add_render_rule("math_block", block)
    md.add_render_rule("math_block_label", block)
    md.add_render_rule("image", image)
    return md


def md_html(markdown: str, images: dict[str, str] | None = None) -> str:
    """Markdown (the writers' own) -> HTML, math as ``\\( \\)``; raw HTML in it is text;
    an image whose file is in ``images`` points at ``images[name]``, any other is its alt text."""
    return _XML_BAD.sub("\ufffd", _parser(images).render(markdown))


# characters XML 1.0 cannot hold (YAML's "\x01" escapes can put them into prose)
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def plain_math(latex: str) -> str:
    """LaTeX for a MathJax field: ``\\( ... \\)``."""
    return "\\(" + latex + "\\)"


def safe_name(text: str) -> str:
    """A file or folder name from an id (ids are [A-Za-z0-9._-] already)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)
