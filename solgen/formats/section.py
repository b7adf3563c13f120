"""A ``Section`` -> the view the ``section-<kind>.<fmt>.j2`` templates read.

Each problem a section names is loaded, solved (every step checked) and presented once by
the problem pipeline (``present/view.build_view``), whatever the number of items that show
it; an item keeps the questions of its ``parts`` (in the problem's order) and says with
``show`` whether the templates print the questions, the answers, or both. Markdown slides
and intros are prose (``Prose``), with computed spans replaced first (``compute.py``).
Errors in a problem file name that file and line; errors of an item, the section's line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable

from solgen.math.record import record
from solgen.errors import SolgenError, SpecError
from solgen.input.paths import course_root
from solgen.formats.inline import Prose  # TODO(layout): a prose node that renders itself
from solgen.present.words import Words, text
from solgen.formats.section_load import Item, Section
from solgen.input.markdown import parse
from solgen.derive.calculus import solve, Solution
from solgen.input.problem import Problem, load_problem
import re
from solgen.present.view import build_view
from solgen.asks.inline import substitute
from solgen.formats.section_slides import Images, Notes, build_body, md_first_line, plan_frames


@record
class Title(Prose):
    """A slide title written in Markdown (``# Calculate $f_x(x, y)$``): one line of prose."""

    def as_format(self, fmt: str) -> str:
        out = super().as_format(fmt).strip()
        if fmt == "html" and out.startswith("<p>") and out.endswith("</p>"):
            out = out[3:-4]
        return out


def split_title(markdown: str) -> tuple[str | None, str]:
    """(the first heading's text, the rest) when the Markdown starts with a heading."""
    tokens = parse(markdown)
    if len(tokens) >= 2 and tokens[0].type == "heading_open" and tokens[0].map:
        lines = markdown.split("\n")
        return tokens[1].content, "\n".join(lines[tokens[0].map[1]:])
    return None, markdown


def _md_line(item: Item) -> int:
    return item.line + (1 if item.text and "\n" in item.text.rstrip("\n") else 0)


def _solve(path: str, raw: bytes | None, lang: str, progress: Callable[[str], None]) -> tuple[Problem, Solution]:
    """The problem at ``path`` (``raw``: its bytes, as the section's loader read them),
    loaded and solved (errors name the problem file and line)."""
    try:
        problem = replace(load_problem(path, raw), lang=lang)
        if problem.problems:
            raise SpecError("this file holds several problems (problems:); a section names a file of one problem", problem.id_line)
        solution = solve(problem, progress=lambda part: progress(f"{path}: part ({part.id}), the {part.ask}, at line {part.line}"))
    except SolgenError as exc:
        if exc.file is None:
            exc.file = path
        raise
    return problem, solution


def problem_label(problem: Any, words: Words) -> Any:
    """How a TA names a problem on a slide: "Problem 1.2" for a numbered one, else its title
    ("Aside: quick matrix proof"), never a file id such as "gradient-picture"."""
    if re.fullmatch(r"\d+(\.\d+)*[a-z]?", problem.id) or not problem.title:
        return words("document.untitled", id=text(problem.id))
    return text(problem.title)


def build_section_view(section: Section, words: Words, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    tell = progress or (lambda t: None)
    images = Images(section.id, course_root(section.path))
    solved: dict[str, tuple[Any, Any]] = {}  # path -> (problem, solution)
    views: dict[tuple[str, str | None], dict[str, Any]] = {}  # (path, detail) -> view of the parts shown
    shown_parts: dict[str, set[str] | None] = {}  # path -> the part ids shown anywhere (None: all)
    for it in section.items:
        if it.kind == "problem" and it.path is not None:
            before = shown_parts.get(it.path, set())
            shown_parts[it.path] = None if it.parts is None or before is None else before | set(it.parts)
    items: list[dict[str, Any]] = []
    topics = list(section.agenda or ())
    topic_index = 0
    asked: set[tuple[str, tuple[str, ...]]] = set()
    explicit = section.agenda is not None and topics != [i.text for i in section.items if i.kind == "topic"]
    for item in section.items:
        notes = Notes(item.notes) if item.notes else None
        if item.kind == "md":
            computed: list[Any] = []  # the computed spans' formulas, checked with the view and in its tree
            source = substitute(item.text or "", words, _md_line(item), item.file, computed)
            title, body = split_title(source)
            skipped = source.count("\n") - body.count("\n")  # the heading's lines
            items.append({"kind": "md", "title": Title(title) if title else None, "notes": notes,
                          "body": build_body(body, md_first_line(item) + skipped, item.file, images),
                          "formulas": computed})
        elif item.kind == "agenda":
            items.append({"kind": "agenda", "index": topics.index(item.text or ""), "notes": notes})
        elif item.kind == "topic":
            index = topic_index if not explicit else topics.index(item.text) if item.text in topics else None
            items.append({"kind": "topic", "title": item.text, "index": index, "notes": notes,
                          "agenda": section.agenda_repeat and index is not None})
            topic_index += 1
        else:
            assert item.path is not None
            if item.path not in solved:
                tell(f"{item.path}")
                solved[item.path] = _solve(item.path, section.sources.get(item.path), section.lang, tell)
                same = [p for p, (other, _) in solved.items() if p != item.path and other.id == solved[item.path][0].id]
                if same:  # their figures (1.2-fig-g.svg) and numbering would collide
                    raise SpecError(f"{item.path} has the id {solved[item.path][0].id!r}, as {same[0]} has: "
                                    "two problems of a section need different ids", item.line, item.file)
            problem, solution = solved[item.path]
            ids = list(dict.fromkeys(p.id for p in problem.parts))
            for pid in item.parts or ():
                if pid not in ids:
                    raise SpecError(f"{item.path} has no part {pid!r} (its parts: {', '.join(ids)})",
                                    item.parts_line or item.line, item.file)
            view_key = (item.path, item.detail)
            if view_key not in views:  # presented with the parts the section shows: a step refers
                wanted = shown_parts[item.path]  # to another part's ("derived in (a)") only if it is shown
                kept = tuple(d for d in solution.derivations if wanted is None or d.part.id in wanted)
                if item.detail:  # this slide's detail, whatever the problem file says
                    kept = tuple(replace(d, part=replace(d.part, detail=item.detail)) for d in kept)
                views[view_key] = build_view(Solution(problem, kept), words)
            questions = [q for q in views[view_key]["questions"] if item.parts is None or q["id"] in item.parts]
            key = (problem.id, tuple(q["id"] for q in questions))
            repeat = item.show == "answers" and key in asked  # its questions were posed earlier
            if item.show in ("questions", "all"):
                asked.add(key)
            intro = None
            computed = []
            if item.intro:
                intro = Prose(substitute(item.intro, words, item.line, item.file, computed))
            label = problem_label(problem, words)
            items.append({
                "kind": "problem",
                "id": problem.id,
                "label": label,  # "Problem 1.2", or the problem's title when its id is not a number
                "notes": notes,
                "title": item.title or label,
                "frames": {q["id"]: plan_frames(q, item.show == "answers") for q in questions},
                "detail": item.detail,
                "answer_titles": {q["id"]: text(item.title) if item.title else text(f"{label} ({q['id']})")
                                  for q in questions},
                "show": item.show,
                "repeat": repeat,
                "questions": questions,
                "asks": item.show in ("questions", "all"),
                "answers": item.show in ("answers", "all"),
                "intro": intro,
                "formulas": computed,  # the intro's computed spans
                "problem_intro": views[view_key].get("intro"),
            })
    header = [h for h in (section.course, section.section, section.author, section.date) if h]
    agenda_title = section.agenda_title or words("section.agenda")
    return {  # plain strings here are text: the templates escape them (the problems' views carry their math)
        "id": section.id,
        "title": section.title,
        "heading": section.title or section.id,
        "course": section.course,
        "author": section.author,
        "date": section.date,
        "header": header,
        "agenda": {"title": agenda_title, "topics": topics} if section.agenda is not None else None,
        "slides": items,
        "images": images,  # the slides' pictures: copied beside the documents, given to pdflatex
        "image_warnings": images.warnings,
        "questions": [q for it in items if it["kind"] == "problem" for q in it["questions"]],  # every one shown
        "lang": words.lang,
    }
