"""One file's render, in the worker: load -> solve -> present -> write texts (and, with
``pdf``, compile them), for a problem file (``work``) or a section (``work_section``).
Every failure becomes the ``Outcome``'s error (and its file and line), never an exception.

This module imports the engine (SymPy) at its top: the pipeline loads it only when a file
is rendered (``pipeline._work``), never for a cached one. The writers that need Jinja or
markdown-it are loaded only for the formats asked for (``math/lazy.py``). SymPy's own
first-use import (``sympy.tensor.tensor``, from the first ``Add``) is made here with the
rest, so it too is imported with the collector paused (``lazy.importing``).

To add a step to the render: extend ``work`` (it runs in the worker) and ``Job``.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

import sympy.tensor.tensor  # noqa: F401 - SymPy imports it (and sympy.combinatorics) at the first sum it builds

from solgen.build import BuildError, compile_pdf
from solgen.build.jobs import Job, Outcome
from solgen.build.workers import _memory_error
from solgen.derive import calculus
from solgen.errors import SolgenError
from solgen.input import paths
from solgen.input.config import find_config, load_config
from solgen.input.problem import MAX_FILE_BYTES, load_problem
from solgen.math import lazy
from solgen.present.formula import check as check_formulas
from solgen.present.view import build_view
from solgen.present.words import load_words
from solgen.input.section_files import is_section
from solgen.formats.inline import draw_figures


def work(path: str, job: Job, deadline: float | None = None, progress: Any = None) -> Outcome:
    """Load, derive, render and (``pdf``) compile one problem file (runs in the worker).
    ``progress(text)`` is told what is being worked on, so a timeout can name it;
    ``deadline`` (time.monotonic()) bounds pdflatex."""
    tell = progress or (lambda text: None)
    if is_section(path):
        return work_section(path, job, deadline, tell)
    out = Outcome(path)
    doing: dict[str, Any] = {"what": "loading the file", "line": None}

    def part_started(part: Any) -> None:
        doing.update(what=f"part ({part.id}), the {part.ask},", line=part.line)
        tell(f"part ({part.id}), the {part.ask}, at line {part.line}")

    try:
        try:
            got = paths.read(path, None, MAX_FILE_BYTES + 1)
        except paths.PathError as exc:
            raise type(exc)(str(exc)) from None  # an error of this file, without a line
        out.digests = {got.real: got.digest}
        problem = load_problem(path, got.data, job.variant, job.seed)
        stem = problem.id if job.variant is None else f"{problem.id}-v{job.variant:02d}"
        out.id, out.id_line, out.warnings, out.inputs = problem.id, problem.id_line, problem.warnings, (path,)
        problem = course_defaults(problem, path, out)
        formats, kinds, templates, pdf = job.formats, job.kinds or ("handout",), job.templates, job.pdf
        if job.lang is not None:
            problem = replace(problem, lang=job.lang)
        if not formats:
            return out
        solution = calculus.solve(problem, progress=part_started)
        doing.update(what="rendering", line=None)
        tell("rendering")
        out.fallbacks = solution.fallbacks()
        if "json" in formats:
            out.files[f"{stem}.json"] = lazy.load("json").to_json(solution)
        text_formats = [f for f in formats if f not in ("json", "tree")]
        if text_formats or "tree" in formats:
            tdir = Path(templates) if templates else None
            words = load_words(getattr(problem, "lang", "en"), tdir)
            view = build_view(solution, words)
            check_formulas(view)  # every displayed = true, before anything is written
            draw_figures(view)  # the figures as pgfplots and SVG (numpy: only for a file that has one)
            if "tree" in formats:
                out.files[f"{stem}.tree.json"] = lazy.load("tree").to_tree(view, stem)
            for fmt in text_formats:
                for kind in kinds:
                    suffix = "" if kind == "handout" else f"-{kind}"
                    out.files[f"{stem}{suffix}.{fmt}"] = lazy.load("templates").render(view, fmt, kind, tdir, words)
            if {"md", "html"} & set(text_formats):  # figures: SVG files beside the documents that show them
                out.files.update(figure_files(view, kinds))
            if job.body_only and "tex" in text_formats:
                _bodies(out, tdir)
        _bounded(out)
        if pdf:
            _compile(out, deadline, tell, doing)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, not raised
        _failed(out, exc, doing, job)
    if out.error and not out.tex:
        out.files.clear()
    return out


def course_defaults(doc: Any, path: str, out: Outcome) -> Any:
    """``doc`` (a problem or section) with the course, author and lang of the nearest
    solgen.toml where the file gives none; the solgen.toml joins ``out.inputs`` (the cache)."""

    found = find_config(path)
    if found is None:
        return doc
    config = load_config(found)
    out.inputs = (*out.inputs, found)
    out.digests = {**out.digests, config.real: config.digest}
    changes: dict[str, Any] = {}
    for key in ("course", "author"):
        if getattr(doc, key) is None and getattr(config, key) is not None:
            changes[key] = getattr(config, key)
    if config.lang is not None and not doc.lang_given:
        changes["lang"] = config.lang
    return replace(doc, **changes) if changes else doc


SECTION_KINDS = ("slides", "handout", "worksheet")  # what a section makes when no kind is asked for


def work_section(path: str, job: Job, deadline: float | None, tell: Any) -> Outcome:
    """Load a section, solve every problem it names, render its deck, handout and
    worksheet (``job.kinds``, else SECTION_KINDS) and (``pdf``) compile them. A section
    has no JSON of its own: its problems' JSON comes from rendering them."""
    out = Outcome(path)
    doing: dict[str, Any] = {"what": "loading the section", "line": None}
    try:
        section = lazy.load("section_load").load_section(path)  # the section modules: only for sections
        out.id, out.id_line, out.inputs, out.warnings = section.id, section.id_line, section.files, section.warnings
        out.digests = dict(section.digests)
        section = course_defaults(section, path, out)
        if "json" in job.formats:  # said, never silently skipped
            out.warnings = (*out.warnings, (section.id_line, "a section has no JSON of its own: render its problem "
                                            "files with --format json for theirs"))
        if job.lang is not None:
            section = replace(section, lang=job.lang)

        tdir = Path(job.templates) if job.templates else None
        words = load_words(section.lang, tdir)

        def progress(text: str) -> None:
            doing.update(what=text, line=None)
            tell(text)

        view = lazy.load("section").build_section_view(section, words, progress)
        out.warnings = (*out.warnings, *view["image_warnings"])
        check_formulas(view)  # every displayed = true, before anything is written
        draw_figures(view)
        doing.update(what="rendering", line=None)
        tell("rendering")
        if "tree" in job.formats:
            out.files[f"{section.id}.tree.json"] = lazy.load("tree").to_tree(view, section.id)
        text_formats = [f for f in job.formats if f not in ("json", "tree")]
        if text_formats:
            for fmt in text_formats:
                for kind in job.kinds or SECTION_KINDS:
                    suffix = "" if kind == "handout" else f"-{kind}"
                    out.files[f"{section.id}{suffix}.{fmt}"] = lazy.load("templates").render(view, fmt, f"section-{kind}", tdir, words)
            if {"md", "html"} & set(text_formats):  # the problems' figures, beside the documents that show them
                out.files.update(figure_files(view))
            out.files.update(view["images"].for_formats(text_formats))  # the slides' pictures, beside the documents
            if job.body_only and "tex" in text_formats:
                _bodies(out, tdir)
        _bounded(out)
        if job.pdf:
            _compile(out, deadline, tell, doing, view["images"].for_formats(("tex",)))
    except Exception as exc:  # noqa: BLE001 - every failure is reported, not raised
        _failed(out, exc, doing, job)
    if out.error and not out.tex:
        out.files.clear()
    return out


def _bodies(out: Outcome, tdir: Path | None) -> None:
    """``--body-only``: each .tex cut to its body (headed by solgen's macros), and solgen.sty."""
    texbody = lazy.load("texbody")  # Jinja: only for --body-only
    for name in [n for n in out.files if n.endswith(".tex")]:
        out.files[name] = texbody.body_only(str(out.files[name]), tdir)
    out.files[texbody.STY] = texbody.sty(tdir)


MAX_OUTPUT = 64 << 20  # bytes: the largest file a render may write


def _bounded(out: Outcome) -> None:
    """Every output is UTF-8 text (or bytes) of at most MAX_OUTPUT bytes; else a BuildError
    (a section showing one problem hundreds of times, a character no UTF-8 file can hold)."""
    for name, data in out.files.items():
        if isinstance(data, str):
            try:
                size = len(data.encode("utf-8"))
            except UnicodeEncodeError as exc:
                raise BuildError(f"{name} would hold U+{ord(data[exc.start]):04X}, which is no character "
                                 "(half of a UTF-16 pair); remove it from the file") from None
        else:
            size = len(data)
        if size > MAX_OUTPUT:
            raise BuildError(f"{name} would be {size / (1 << 20):.0f} MiB, more than the {MAX_OUTPUT >> 20} MiB "
                             "an output may be; show fewer problems or parts")


def _failed(out: Outcome, exc: Exception, doing: dict, job: Job) -> None:
    """Record ``exc`` in ``out``: the file and line at fault, never a traceback (``--debug``: one)."""
    if isinstance(exc, SolgenError):  # the file at fault: the problem, or a template or words file
        out.error, out.line, out.where = str(exc), exc.line, exc.file
    elif isinstance(exc, RecursionError):
        out.error = "expression too deeply nested to derive"
    elif isinstance(exc, MemoryError):
        out.error, out.line = _memory_error(doing["what"]), doing["line"]
    else:
        name = type(exc).__name__
        out.error = f"{name}: {exc}" if "jinja2" in type(exc).__module__ else f"internal error ({name}): {exc}"
        if getattr(exc, "lineno", None) and getattr(exc, "filename", None):
            out.where, out.line = exc.filename, exc.lineno  # template syntax errors
    if job.debug:
        out.trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


ALL_KINDS = ("handout", "worksheet", "slides", "slides-worksheet")


def figure_files(view: dict[str, Any], kinds: tuple[str, ...] = ALL_KINDS) -> dict[str, str]:
    """The SVG files the documents of ``kinds`` show, by name: ``<id>-fig-<part>.svg`` (every
    layer: handouts and slides) and ``<id>-fig-<part>-worksheet.svg`` (no answer layers:
    worksheets, and the slides' question frames)."""
    full = any(k in ("handout", "slides") for k in kinds)
    blank = any(k != "handout" for k in kinds)
    files: dict[str, str] = {}
    for q in view["questions"]:
        for p in q["parts"]:
            fig = p.get("figure")
            if fig is not None:
                files.update({name: svg for name, svg in fig.files.items()
                              if (full and name == fig.svg) or (blank and name == fig.svg_blank)})
    return files


def _compile(out: Outcome, deadline: float | None, tell: Any, doing: dict, side: dict[str, bytes] | None = None) -> None:
    """Add a PDF for each .tex in ``out.files``; on a TeX error, record it in ``out``
    (``out.tex``: the .tex is still written, its line is in the message; no PDF)."""
    for name, text in list(out.files.items()):
        if not name.endswith(".tex"):
            continue
        doing.update(what=f"compiling {name}", line=None)
        tell(f"compiling {name} with pdflatex")
        left = None if deadline is None else max(0.1, deadline - time.monotonic())
        try:
            out.files[name[:-4] + ".pdf"] = compile_pdf(str(text), name[:-4], timeout=left, files=side)
        except BuildError as exc:
            out.error, out.line, out.tex = str(exc), exc.line, name
            out.files = {n: t for n, t in out.files.items() if not n.endswith(".pdf")}
            return

