"""A ``Section`` -> the view the ``section-<kind>.<fmt>.j2`` templates read.

Each problem a section names is loaded, solved (every step checked) and presented once by
the problem pipeline (``present/view.build_view``), whatever the number of items that show
it; an item keeps the questions of its ``parts`` (in the problem's order) and says with
``show`` whether the templates print the questions, the answers, or both. Markdown slides
and intros are prose (``Prose``), with computed spans replaced first (``compute.py``).
Errors in a problem file name that file and line; errors of an item, the section's line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from solgen.errors import SolgenError, SpecError
from solgen.present.view import Prose
from solgen.present.words import Words, text
from solgen.sections.load import Item, Section


@dataclass(frozen=True)
class Title(Prose):
    """A slide title written in Markdown (``# Calculate $f_x(x, y)$``): one line of prose."""

    def as_format(self, fmt: str) -> str:
        out = super().as_format(fmt).strip()
        if fmt == "html" and out.startswith("<p>") and out.endswith("</p>"):
            out = out[3:-4]
        return out


def split_title(markdown: str) -> tuple[str | None, str]:
    """(the first heading's text, the rest) when the Markdown starts with a heading."""
    from solgen.formats.prose import parse

    tokens = parse(markdown)
    if len(tokens) >= 2 and tokens[0].type == "heading_open" and tokens[0].map:
        lines = markdown.split("\n")
        return tokens[1].content, "\n".join(lines[tokens[0].map[1]:])
    return None, markdown


def _md_line(item: Item) -> int:
    return item.line + (1 if item.text and "\n" in item.text.rstrip("\n") else 0)


def _solve(path: str, raw: bytes | None, lang: str, progress: Callable[[str], None]) -> tuple[Any, dict[str, Any]]:
    """The problem at ``path`` (``raw``: its bytes, as the section's loader read them),
    loaded and solved (errors name the problem file and line)."""
    from solgen.derive.calculus import solve
    from solgen.input.problem import load_problem

    try:
        problem = replace(load_problem(path, raw), lang=lang)
        solution = solve(problem, progress=lambda part: progress(f"{path}: part ({part.id}), the {part.ask}, at line {part.line}"))
    except SolgenError as exc:
        if exc.file is None:
            exc.file = path
        raise
    return problem, solution


def build_section_view(section: Section, words: Words, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    from solgen.present.view import build_view
    from solgen.sections.compute import substitute

    from solgen.derive.calculus import Solution

    tell = progress or (lambda t: None)
    solved: dict[str, tuple[Any, Any]] = {}  # path -> (problem, solution)
    views: dict[str, dict[str, Any]] = {}  # path -> view of the parts the section shows
    shown_parts: dict[str, set[str] | None] = {}  # path -> the part ids shown anywhere (None: all)
    for it in section.items:
        if it.kind == "problem" and it.path is not None:
            before = shown_parts.get(it.path, set())
            shown_parts[it.path] = None if it.parts is None or before is None else before | set(it.parts)
    items: list[dict[str, Any]] = []
    topics = list(section.agenda or ())
    topic_index = 0
    asked: set[tuple[str, tuple[str, ...]]] = set()
    for item in section.items:
        if item.kind == "md":
            title, body = split_title(substitute(item.text or "", words, _md_line(item), item.file))
            items.append({"kind": "md", "title": Title(title) if title else None, "body": Prose(body)})
        elif item.kind == "topic":
            items.append({"kind": "topic", "title": item.text, "index": topic_index,
                          "agenda": section.agenda_repeat})
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
            if item.path not in views:  # presented with the parts the section shows: a step refers
                wanted = shown_parts[item.path]  # to another part's ("derived in (a)") only if it is shown
                kept = tuple(d for d in solution.derivations if wanted is None or d.part.id in wanted)
                views[item.path] = build_view(Solution(problem, kept), words)
            questions = [q for q in views[item.path]["questions"] if item.parts is None or q["id"] in item.parts]
            key = (problem.id, tuple(q["id"] for q in questions))
            repeat = item.show == "answers" and key in asked  # its questions were posed earlier
            if item.show in ("questions", "all"):
                asked.add(key)
            intro = None
            if item.intro:
                intro = Prose(substitute(item.intro, words, item.line, item.file))
            items.append({
                "kind": "problem",
                "id": problem.id,
                "title": item.title or (problem.title and words("document.title", id=text(problem.id), title=text(problem.title)))
                or words("document.untitled", id=text(problem.id)),
                "show": item.show,
                "repeat": repeat,
                "questions": questions,
                "asks": item.show in ("questions", "all"),
                "answers": item.show in ("answers", "all"),
                "intro": intro,
                "problem_intro": views[item.path].get("intro"),
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
        "questions": [q for it in items if it["kind"] == "problem" for q in it["questions"]],  # every one shown
        "lang": words.lang,
    }
