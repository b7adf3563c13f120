"""The pipeline: load -> solve -> present -> write, for each problem file, under limits.

Used by the command line and the tests alike. Each problem file is loaded, derived,
rendered and (with ``pdf``) compiled in a worker process under a wall-clock limit
(``timeout``, for the whole file, pdflatex included) and a memory limit
(``WORKER_MEMORY``), so a runaway SymPy computation or TeX loop is really stopped; the
worker returns finished texts and the parent writes a file's outputs all or nothing
(``write``). The worker dies with solgen: on Linux the kernel signals it when solgen dies
(even by SIGKILL), and on SIGTERM, SIGHUP or Ctrl-C solgen stops it (and its pdflatex)
and removes temporary folders before exiting. Every failure becomes an ``Outcome`` with
an error (and its file and line), never an exception; a folder, a missing file, or a
second file with an id seen before is such an error of that file alone.

To add a step to the pipeline: extend ``_work`` (it runs in the worker) and ``Job``.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterator

from solgen.sections import is_regular

DEFAULT_TIMEOUT = 20.0
MAX_TIMEOUT = 24 * 3600.0  # --timeout's largest value
WORKER_MEMORY = 2 << 30  # bytes of address space a worker may add to what it started with (RLIMIT_AS)
STOP_GRACE = 2.0  # seconds a stopped worker has to clean up (kill pdflatex, remove its folder)
PDF_MARGIN = 0.5  # seconds of --timeout kept back from pdflatex, so its own timeout is the one reported


@dataclass(frozen=True)
class Job:
    """What to make of each problem file."""

    formats: tuple[str, ...] = ("tex",)  # tex, md, html, json
    kinds: tuple[str, ...] = ("handout",)  # handout, worksheet, slides, slides-worksheet
    templates: str | None = None  # a --templates folder
    lang: str | None = None  # overrides the file's lang
    debug: bool = False  # in-process, with tracebacks
    pdf: bool = False  # compile each .tex
    variant: int | None = None  # a file with variants: which draw (outputs named <id>-v03.*)
    seed: int | None = None  # overrides the variants' seed
    body_only: bool = False  # each .tex as a body to paste (formats/texbody.py), with solgen.sty beside it


@dataclass
class Outcome:
    """What one problem file produced: named texts to write, or an error."""

    path: str
    files: dict[str, str | bytes] = field(default_factory=dict)
    error: str | None = None
    line: int | None = None
    where: str | None = None  # a file other than the problem (a template), if the error is there
    tex: str | None = None  # the output .tex whose PDF failed: it is written (the error names its lines), no PDF
    trace: str | None = None
    fallbacks: int = 0
    id: str | None = None  # the problem's id and the line of its id key, once loaded
    id_line: int | None = None
    warnings: tuple[tuple[int, str], ...] = ()  # (line, message) in the problem file
    inputs: tuple[str, ...] = ()  # every file the render read (a section's problems too), for the cache
    digests: dict[str, str] = field(default_factory=dict)  # real path -> SHA-256 of the bytes the render read
    cached: bool = False  # taken from the cache, not derived again


class Stopped(BaseException):
    """A signal asked solgen to stop: raised so that finally-blocks stop the worker (or,
    in-process, kill pdflatex and remove its folder). A BaseException: no ``except
    Exception`` in SymPy or solgen swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_stop_signal: list[int] = []  # a stop signal that came (should its exception have been swallowed)


def _raise_stopped(signum: int, frame: Any) -> None:
    signal.signal(signum, signal.SIG_IGN)  # a second signal may not interrupt the cleanup
    _stop_signal.append(signum)
    raise Stopped(signum)


@contextmanager
def stoppable() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Stopped here (Ctrl-C raises KeyboardInterrupt already);
    on leaving, exit with 128 + the signal's number. Outside the main thread: as it is."""
    previous = {}
    _stop_signal.clear()
    try:
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                previous[sig] = signal.signal(sig, _raise_stopped)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    except Stopped as stop:
        sys.stderr.write(f"solgen: stopped by signal {stop.signum}\n")
        sys.exit(128 + stop.signum)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_worker(signum: int, frame: Any) -> None:
    """The worker's SIGTERM (from the parent, or from the kernel when the parent died):
    kill its pdflatex, remove its temporary folder, and exit now. No exception: one
    raised inside a destructor or a fork hook would be printed and swallowed."""
    from solgen.build import abandon

    abandon()
    os._exit(128 + signum)


def _memory_error(what: str) -> str:
    return f"{what} needs more memory than solgen allows ({WORKER_MEMORY / (1 << 30):g} GiB); simplify it"


def _work(path: str, job: Job, deadline: float | None = None, progress: Any = None) -> Outcome:
    """Load, derive, render and (``pdf``) compile one problem file (runs in the worker).
    ``progress(text)`` is told what is being worked on, so a timeout can name it;
    ``deadline`` (time.monotonic()) bounds pdflatex."""
    tell = progress or (lambda text: None)
    from solgen.sections import is_section

    if is_section(path):
        return _work_section(path, job, deadline, tell)
    from solgen.input.problem import load_problem

    out = Outcome(path)
    doing: dict[str, Any] = {"what": "loading the file", "line": None}

    def part_started(part: Any) -> None:
        doing.update(what=f"part ({part.id}), the {part.ask},", line=part.line)
        tell(f"part ({part.id}), the {part.ask}, at line {part.line}")

    try:
        from solgen.input import paths
        from solgen.input.problem import MAX_FILE_BYTES

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
            from dataclasses import replace

            problem = replace(problem, lang=job.lang)
        if not formats:
            return out
        from solgen.derive.calculus import solve

        solution = solve(problem, progress=part_started)
        doing.update(what="rendering", line=None)
        tell("rendering")
        out.fallbacks = solution.fallbacks()
        if "json" in formats:
            from solgen.formats.json import to_json

            out.files[f"{stem}.json"] = to_json(solution)
        text_formats = [f for f in formats if f not in ("json", "tree")]
        if text_formats or "tree" in formats:
            from solgen.formats.templates import render
            from solgen.present.formula import check as check_formulas
            from solgen.present.view import build_view
            from solgen.present.words import load_words

            tdir = Path(templates) if templates else None
            words = load_words(getattr(problem, "lang", "en"), tdir)
            view = build_view(solution, words)
            check_formulas(view)  # every displayed = true, before anything is written
            if "tree" in formats:
                from solgen.formats.tree import to_tree

                out.files[f"{stem}.tree.json"] = to_tree(view, stem)
            for fmt in text_formats:
                for kind in kinds:
                    suffix = "" if kind == "handout" else f"-{kind}"
                    out.files[f"{stem}{suffix}.{fmt}"] = render(view, fmt, kind, tdir, words)
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
    from dataclasses import replace

    from solgen.config import find_config, load_config

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


def _config_current(hit: Outcome, path: str) -> bool:
    """Was the cached ``hit`` made with the solgen.toml that applies to ``path`` now (none
    then and one now, or another nearer one, is a change its input hashes cannot show)?"""
    from solgen.config import find_config

    found = find_config(path)
    return found is None or os.path.realpath(found) in hit.digests


SECTION_KINDS = ("slides", "handout", "worksheet")  # what a section makes when no kind is asked for


def _work_section(path: str, job: Job, deadline: float | None, tell: Any) -> Outcome:
    """Load a section, solve every problem it names, render its deck, handout and
    worksheet (``job.kinds``, else SECTION_KINDS) and (``pdf``) compile them. A section
    has no JSON of its own: its problems' JSON comes from rendering them."""
    out = Outcome(path)
    doing: dict[str, Any] = {"what": "loading the section", "line": None}
    try:
        from dataclasses import replace

        from solgen.sections.load import load_section

        section = load_section(path)
        out.id, out.id_line, out.inputs, out.warnings = section.id, section.id_line, section.files, section.warnings
        out.digests = dict(section.digests)
        section = course_defaults(section, path, out)
        if "json" in job.formats:  # said, never silently skipped
            out.warnings = (*out.warnings, (section.id_line, "a section has no JSON of its own: render its problem "
                                            "files with --format json for theirs"))
        if job.lang is not None:
            section = replace(section, lang=job.lang)
        from solgen.present.words import load_words
        from solgen.sections.view import build_section_view

        tdir = Path(job.templates) if job.templates else None
        words = load_words(section.lang, tdir)

        def progress(text: str) -> None:
            doing.update(what=text, line=None)
            tell(text)

        view = build_section_view(section, words, progress)
        out.warnings = (*out.warnings, *view["image_warnings"])
        from solgen.present.formula import check as check_formulas

        check_formulas(view)  # every displayed = true, before anything is written
        doing.update(what="rendering", line=None)
        tell("rendering")
        if "tree" in job.formats:
            from solgen.formats.tree import to_tree

            out.files[f"{section.id}.tree.json"] = to_tree(view, section.id)
        text_formats = [f for f in job.formats if f not in ("json", "tree")]
        if text_formats:
            from solgen.formats.templates import render

            for fmt in text_formats:
                for kind in job.kinds or SECTION_KINDS:
                    suffix = "" if kind == "handout" else f"-{kind}"
                    out.files[f"{section.id}{suffix}.{fmt}"] = render(view, fmt, f"section-{kind}", tdir, words)
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
    from solgen.formats.texbody import STY, body_only, sty

    for name in [n for n in out.files if n.endswith(".tex")]:
        out.files[name] = body_only(str(out.files[name]), tdir)
    out.files[STY] = sty(tdir)


MAX_OUTPUT = 64 << 20  # bytes: the largest file a render may write


def _bounded(out: Outcome) -> None:
    """Every output is UTF-8 text (or bytes) of at most MAX_OUTPUT bytes; else a BuildError
    (a section showing one problem hundreds of times, a character no UTF-8 file can hold)."""
    from solgen.errors import BuildError

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
    from solgen.errors import SolgenError

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
    from solgen.build import BuildError, compile_pdf

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


def _become_worker(parent: int) -> None:
    """In the forked worker: die with the parent (the kernel sends SIGTERM, on which the
    worker kills its pdflatex and removes its temporary folder), leave
    Ctrl-C to the parent (which stops the worker), and use at most WORKER_MEMORY more
    memory than it started with (a MemoryError past that is reported as such)."""
    from solgen.build import STOP_SIGNALS, die_with_parent

    signal.signal(signal.SIGTERM, _stop_worker)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.name != "posix":  # pragma: no cover - no signal masks, parent-death signals or rlimits
        return
    import resource

    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # held by the parent while it forked
    die_with_parent(signal.SIGTERM, parent)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + WORKER_MEMORY  # on top of what it shares with the parent
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int:
    """Bytes of address space this process uses now (Linux; elsewhere 0)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


# The worker's collector runs every WORKER_GC_THRESHOLD[0] new objects instead of 700:
# importing SymPy and deriving make millions of objects, hardly any of them garbage in a
# cycle, and scanning them every 700 costs a tenth of a render. The worker is short-lived
# and under WORKER_MEMORY.
WORKER_GC_THRESHOLD = (10_000, 10, 10)


def _child(conn: Any, args: tuple, parent: int) -> None:
    try:
        gc.set_threshold(*WORKER_GC_THRESHOLD)
        _become_worker(parent)
        try:
            outcome = _work(*args, progress=lambda text: conn.send(text))
        except MemoryError:
            outcome = Outcome(args[0], error=_memory_error("this problem file"))
        try:
            conn.send(outcome)
        except MemoryError:
            conn.send(Outcome(args[0], error=_memory_error("this problem file's output")))
    except BaseException:  # noqa: BLE001 - the parent is gone (a broken pipe): leave quietly
        os._exit(1)
    finally:
        conn.close()


def allowance(path: str, timeout: float) -> tuple[float, str]:
    """The seconds a file's worker may take, and what they are for: ``timeout`` for a
    problem file; for a section, ``timeout`` for it and again for each problem it names."""
    from solgen.sections import is_section, referenced

    if not is_section(path):
        return timeout, "a problem file"
    n = referenced(path)
    return min(MAX_TIMEOUT, timeout * (1 + n)), f"this section ({timeout:g} s for it and for each of the {n} files it names)"


def run_limited(args: tuple, timeout: float, what: str = "a problem file") -> Outcome:
    """``_work(*args)`` in a forked worker, stopped after ``timeout`` seconds (SIGTERM, so
    it cleans up, then SIGKILL after STOP_GRACE), or when this process is interrupted."""
    import multiprocessing as mp

    try:
        ctx = mp.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        ctx = mp.get_context("spawn")
    deadline = time.monotonic() + timeout
    args = (*args, deadline - min(PDF_MARGIN, timeout / 10))  # pdflatex's deadline: its timeout is the one reported
    from solgen.build import signals_held

    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, args, os.getpid()), daemon=True)
    doing = "loading"
    try:
        with signals_held():  # not while forking: the worker sets its own handlers first
            proc.start()
        child.close()
        while parent.poll(max(0.0, deadline - time.monotonic())):
            try:
                message = parent.recv()
            except EOFError:
                proc.join(1)
                return Outcome(args[0], error=f"the worker stopped unexpectedly (exit code {proc.exitcode})")
            if isinstance(message, Outcome):
                return message
            doing = message
        return Outcome(args[0], error=f"{doing} took longer than the {timeout:g} s allowed for {what}; "
                       "simplify it or raise --timeout")
    finally:
        _stop(proc)
        parent.close()
        child.close()


@dataclass
class Batch:
    """The files a batch names, folders walked (``input/paths.walk``): ``units`` in order,
    ``errors`` of some of them (a file linked out of its folder, a folder with nothing to
    read), and ``warnings`` (a folder that could not be read, a folder link not followed)."""

    units: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def walk_batch(paths: tuple[str, ...] | list[str]) -> Batch:
    """The files to render: each file as given, and for a folder every ``.yaml``/``.yml``
    file under it (problems and sections), sorted, the folder named being the root no link
    may lead out of; hidden folders are skipped, and so are folders named ``words`` (a
    course's catalogs, templates/words/*.yaml, are not problems). A folder with no file
    solgen could read is an error of that folder."""
    from solgen.input.paths import walk

    batch = Batch()
    for path in paths:
        if os.path.isdir(path):
            found = walk(path, skip=("words",))
            batch.warnings += found.warnings
            batch.units += found.files
            for file in found.outside:
                batch.errors[file] = f"a link to a file outside the folder {path}: not rendered"
            if not found.files:
                shown = path.rstrip("/" + os.sep) or path
                batch.units.append(shown)
                batch.errors[shown] = ("is a folder with no problem or section file (.yaml) solgen could read"
                                       if found.folders else "is a folder solgen cannot read")
        else:
            batch.units.append(path)
    return batch


def expand(paths: tuple[str, ...] | list[str]) -> list[str]:
    """The files of ``walk_batch(paths)``."""
    return walk_batch(paths).units


def _spawn(args: tuple, timeout: float) -> dict[str, Any]:
    """A worker for ``_work(*args)``, as run_limited starts one; its pipe, deadline and state."""
    import multiprocessing as mp

    from solgen.build import signals_held

    try:
        ctx = mp.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        ctx = mp.get_context("spawn")
    deadline = time.monotonic() + timeout
    args = (*args, deadline - min(PDF_MARGIN, timeout / 10))
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, args, os.getpid()), daemon=True)
    with signals_held():
        proc.start()
    child.close()
    return {"proc": proc, "conn": parent, "deadline": deadline, "doing": "loading", "path": args[0]}


def _stop(proc: Any) -> None:
    """A worker stopped and waited for: asked (SIGTERM), then told (SIGKILL) after a grace."""
    if proc.is_alive():
        proc.terminate()
        proc.join(STOP_GRACE)
    if proc.is_alive():
        proc.kill()
    if proc.pid is not None:
        proc.join(5)


def _reap(worker: dict[str, Any]) -> None:
    _stop(worker["proc"])
    worker["conn"].close()


def run_parallel(items: list[tuple[int, str]], job: Job, timeout: float, jobs: int) -> Iterator[tuple[int, Outcome]]:
    """``(index, outcome)`` of each ``(index, path)`` as its worker finishes, at most ``jobs``
    workers at a time, each under ``timeout`` as in run_limited."""
    from multiprocessing.connection import wait

    pending = list(items)
    running: dict[Any, tuple[int, dict[str, Any]]] = {}
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                index, path = pending.pop(0)
                limit, what = allowance(path, timeout)
                worker = _spawn((path, job), limit)
                worker.update(limit=limit, what=what)
                running[worker["conn"]] = (index, worker)
            soonest = min(w["deadline"] for _, w in running.values())
            ready = wait(list(running), timeout=max(0.0, soonest - time.monotonic()))
            for conn in ready:
                index, worker = running[conn]
                try:
                    message = conn.recv()
                except EOFError:
                    worker["proc"].join(1)
                    message = Outcome(worker["path"], error=f"the worker stopped unexpectedly (exit code {worker['proc'].exitcode})")
                if not isinstance(message, Outcome):
                    worker["doing"] = message
                    continue
                del running[conn]
                _reap(worker)
                yield index, message
            now = time.monotonic()
            for conn, (index, worker) in list(running.items()):
                if now >= worker["deadline"]:
                    del running[conn]
                    _reap(worker)
                    yield index, Outcome(worker["path"], error=f"{worker['doing']} took longer than the {worker['limit']:g} s "
                                         f"allowed for {worker['what']}; simplify it or raise --timeout")
    finally:
        for _, worker in running.values():
            _reap(worker)


def process(files: tuple[str, ...] | list[str], job: Job, timeout: float, jobs: int = 1,
            cache: Any = None, batch: Batch | None = None) -> Iterator[Outcome]:
    """The outcome of each file in turn (folders expanded; a file listed twice is done
    once), in the order given, ``jobs`` files at a time. With ``cache`` (cache.Cache), an
    unchanged file's outcome is taken from it and a new success is kept in it. The second
    file with an id seen before is an error and yields nothing to write: the outputs of
    the two would overwrite each other."""
    batch = batch or walk_batch(files)
    seen_paths: set[str] = set()
    units: list[str] = []
    for path in batch.units:
        real = os.path.realpath(path)
        if real not in seen_paths:
            seen_paths.add(real)
            units.append(path)
    done: dict[int, Outcome] = {}
    todo: list[tuple[int, str]] = []
    hashes: dict[int, str | None] = {}
    for index, path in enumerate(units):
        if path in batch.errors:
            done[index] = Outcome(path, error=batch.errors[path])
            continue
        if os.path.exists(path) and not os.path.isdir(path) and not is_regular(path):  # a pipe would hang the reader
            done[index] = Outcome(path, error="not a regular file (a pipe or a device): nothing to read")
            continue
        if cache is not None and os.path.isfile(path):
            from solgen.cache import file_hash

            hashes[index] = file_hash(path)
            hit = cache.get(path)
            if hit is not None and _config_current(hit, path):
                done[index] = hit
                continue
        todo.append((index, path))
    if len(todo) > 1 and not job.debug:  # one file: its worker imports only what it needs
        try:
            _preload(job, [p for _, p in todo])
        except Exception:  # noqa: BLE001 - only a head start: each worker imports what it lacks
            pass
        gc.freeze()  # what is loaded now is not the workers' garbage: their collector leaves it (and its pages) alone
    parallel = jobs > 1 and len(todo) > 1 and not job.debug and timeout > 0
    results = run_parallel(todo, job, timeout, jobs) if parallel else None
    seen_ids: dict[str, str] = {}
    queue = iter(todo)
    for index, path in enumerate(units):
        if _stop_signal:  # stopped, but its exception was swallowed somewhere
            raise Stopped(_stop_signal[0])
        while index not in done:
            if results is not None:
                i, outcome = next(results)
            else:
                i, p = next(queue)
                outcome = _not_a_file(p) or (_work(p, job, time.monotonic() + timeout if timeout > 0 else None)
                                             if job.debug or timeout <= 0 else run_limited((p, job), *allowance(p, timeout)))
            if cache is not None and outcome.error is None and not outcome.cached:
                cache.put(units[i], outcome, hashes.get(i))
            done[i] = outcome
        outcome = done.pop(index)
        if outcome.id is not None:
            first = seen_ids.setdefault(outcome.id, path)
            if first != path:
                outcome = Outcome(path, error=f"id {outcome.id!r} is also the id of {first}; outputs would overwrite each other",
                                  line=outcome.id_line)
        yield outcome


def preload(job: Job, files: tuple[str, ...] | list[str]) -> None:
    """``_preload`` for a long-lived process (``watch``): what every render of ``files``
    needs is imported once, so a re-render's worker starts with it; never an error. A
    ``--templates`` folder is left to each worker: it may change between renders, and its
    checks run when a worker first uses it."""
    try:
        _preload(replace(job, templates=None), list(walk_batch(files).units))
    except Exception:  # noqa: BLE001 - only a head start: each worker imports what it lacks
        pass
    gc.freeze()


def _preload(job: Job, paths: list[str]) -> None:
    """Import what every worker needs (SymPy, the engine, Jinja, the templates the files
    use) once, before forking: the workers start with it, instead of each importing and
    compiling it again (a third of a second a file)."""
    from solgen.sections import is_section

    sections = any(is_section(p) for p in paths)
    problems = not all(is_section(p) for p in paths)
    import solgen.derive.calculus  # noqa: F401 - SymPy and the engine
    import solgen.sections.load  # noqa: F401
    from solgen import asks

    asks.registry()  # every ask's module
    if any(_declares_shapes(p) for p in paths):  # vectors and matrices: their engine too
        import solgen.matrix.asks  # noqa: F401
        import solgen.matrix.identity  # noqa: F401

    if any(f not in ("json", "tree") for f in job.formats):
        import solgen.present.view  # noqa: F401
        from solgen.formats.templates import environment, template_name
        from solgen.present.words import load_words

        tdir = Path(job.templates) if job.templates else None
        try:  # compiled templates and parsed catalogs, inherited by every worker
            for lang in ("en", job.lang or "en"):
                load_words(lang, tdir)
            for fmt in job.formats:
                if fmt in ("json", "tree"):
                    continue
                env = environment(fmt, tdir)
                names = [k for k in job.kinds or ("handout",)] if problems else []
                names += [f"section-{k}" for k in job.kinds or SECTION_KINDS] if sections else []
                for name in names:
                    env.get_template(template_name(name, fmt))
        except Exception:  # noqa: BLE001 - a broken template is reported by the worker that uses it
            pass


def _declares_shapes(path: str) -> bool:
    """Does the file (read as text, a few KiB) have a top-level ``shapes:`` key?"""
    from solgen.input import paths

    try:  # by the path policy: a file swapped for a pipe since it was checked cannot hang this
        head = paths.read(path, None, 1 << 20).data[:65536].decode("utf-8", "replace")
    except paths.PathError:
        return False
    return re.search(r"(?m)^shapes\s*:", head) is not None


def _not_a_file(path: str) -> Outcome | None:
    """An error for a folder that reached the workers (never, after ``walk_batch``); None
    otherwise (a missing or unreadable file is the loader's to report)."""
    if os.path.isdir(path):
        shown = path.rstrip("/" + os.sep) or path
        return Outcome(shown, error="is a folder")
    return None


def write(outcome: Outcome, out: Path) -> None:
    """Write ``outcome``'s files into ``out``, all or nothing; a failure becomes its error.
    A .tex whose PDF failed is written (the error names its lines), without the PDF."""
    from solgen.build import BuildError, safe_target, write_all

    if outcome.tex:
        outcome.where = str(out / outcome.tex)
    if outcome.error is None or outcome.tex:
        try:
            for name in outcome.files:
                safe_target(out, name)  # refuses names that would leave the folder
            write_all({out / name: data for name, data in outcome.files.items()})
        except BuildError as exc:
            outcome.error, outcome.line, outcome.where = str(exc), None, None
