"""The command line: ``solgen render``, ``solgen check``, ``solgen new``. Wiring only.

Each problem file is loaded, derived, rendered and (with ``--pdf``) compiled in a worker
process under a wall-clock limit (``--timeout``, for the whole file, pdflatex included)
and a memory limit (``WORKER_MEMORY``), so a runaway SymPy computation or TeX loop is
really stopped; the worker returns finished texts and the parent writes a file's outputs
all or nothing. The worker dies with solgen: on Linux the kernel signals it when solgen
dies (even by SIGKILL), and on SIGTERM, SIGHUP or Ctrl-C solgen stops it (and its
pdflatex) and removes temporary folders before exiting. Errors are printed as
``FILE:LINE: error: message`` and the run goes on with the next file (a folder, a missing
file, or a second file with an id seen before is such an error); the exit status is 1 if
any file failed. ``--debug`` shows tracebacks and runs in-process.
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import click

DEFAULT_TIMEOUT = 20.0
MAX_TIMEOUT = 24 * 3600.0
WORKER_MEMORY = 2 << 30  # bytes of address space a worker may add to what it started with (RLIMIT_AS)
STOP_GRACE = 2.0  # seconds a stopped worker has to clean up (kill pdflatex, remove its folder)
PDF_MARGIN = 0.5  # seconds of --timeout kept back from pdflatex, so its own timeout is the one reported


class Seconds(click.ParamType):
    """A finite number of seconds from 0 (no limit) to MAX_TIMEOUT."""

    name = "seconds"

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or not 0 <= seconds <= MAX_TIMEOUT:
            self.fail(f"{value!r} is not from 0 (no limit) to {MAX_TIMEOUT:g} seconds", param, ctx)
        return seconds


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
def _stoppable() -> Iterator[None]:
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
        click.echo(f"solgen: stopped by signal {stop.signum}", err=True)
        sys.exit(128 + stop.signum)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_worker(signum: int, frame: Any) -> None:
    """The worker's SIGTERM (from the parent, or from the kernel when the parent died):
    kill its pdflatex, remove its temporary folder, and exit now. No exception: one
    raised inside a destructor or a fork hook would be printed and swallowed."""
    from .build import abandon

    abandon()
    os._exit(128 + signum)


def _memory_error(what: str) -> str:
    return f"{what} needs more memory than solgen allows ({WORKER_MEMORY / (1 << 30):g} GiB); simplify it"


def _work(path: str, formats: tuple[str, ...], kinds: tuple[str, ...], templates: str | None, debug: bool,
          pdf: bool = False, deadline: float | None = None, progress: Any = None) -> Outcome:
    """Load, derive, render and (``pdf``) compile one problem file (runs in the worker).
    ``progress(text)`` is told what is being worked on, so a timeout can name it;
    ``deadline`` (time.monotonic()) bounds pdflatex."""
    tell = progress or (lambda text: None)
    from .build import BuildError
    from .derive.calculus import DeriveError
    from .spec import SpecError, load_problem
    from .words import WordsError

    out = Outcome(path)
    doing: dict[str, Any] = {"what": "loading the file", "line": None}

    def part_started(part: Any) -> None:
        doing.update(what=f"part ({part.id}), the {part.ask},", line=part.line)
        tell(f"part ({part.id}), the {part.ask}, at line {part.line}")

    try:
        problem = load_problem(path)
        out.id, out.id_line = problem.id, getattr(problem, "id_line", None)
        if not formats:
            return out
        from .derive.calculus import solve

        solution = solve(problem, progress=part_started)
        doing.update(what="rendering", line=None)
        tell("rendering")
        out.fallbacks = solution.fallbacks()
        if "json" in formats:
            from .render import to_json

            out.files[f"{problem.id}.json"] = to_json(solution)
        text_formats = [f for f in formats if f != "json"]
        if text_formats:
            from .render import render
            from .views import build_view
            from .words import load_words

            tdir = Path(templates) if templates else None
            words = load_words(getattr(problem, "lang", "en"), tdir)
            view = build_view(solution, words)
            for fmt in text_formats:
                for kind in kinds:
                    suffix = "" if kind == "handout" else f"-{kind}"
                    out.files[f"{problem.id}{suffix}.{fmt}"] = render(view, fmt, kind, tdir, words)
        if pdf:
            _compile(out, deadline, tell, doing)
    except Exception as exc:  # noqa: BLE001 - every failure is reported, not raised
        if isinstance(exc, (SpecError, DeriveError, BuildError)):
            out.error, out.line = str(exc), getattr(exc, "line", None)
        elif isinstance(exc, WordsError):  # a words catalog (the course's own, or a language) is at fault
            out.error, out.where, out.line = str(exc), exc.file, exc.line
        elif isinstance(exc, RecursionError):
            out.error = "expression too deeply nested to derive"
        elif isinstance(exc, MemoryError):
            out.error, out.line = _memory_error(doing["what"]), doing["line"]
        else:
            name = type(exc).__name__
            out.error = f"{name}: {exc}" if "jinja2" in type(exc).__module__ else f"internal error ({name}): {exc}"
            if getattr(exc, "lineno", None) and getattr(exc, "filename", None):
                out.where, out.line = exc.filename, exc.lineno  # template syntax errors
        if debug:
            out.trace = traceback.format_exc()  # here: after the except block there is none
    if out.error and not out.tex:
        out.files.clear()
    return out


def _compile(out: Outcome, deadline: float | None, tell: Any, doing: dict) -> None:
    """Add a PDF for each .tex in ``out.files``; on a TeX error, record it in ``out``
    (``out.tex``: the .tex is still written, its line is in the message; no PDF)."""
    from .build import BuildError, compile_pdf

    for name, text in list(out.files.items()):
        if not name.endswith(".tex"):
            continue
        doing.update(what=f"compiling {name}", line=None)
        tell(f"compiling {name} with pdflatex")
        left = None if deadline is None else max(0.1, deadline - time.monotonic())
        try:
            out.files[name[:-4] + ".pdf"] = compile_pdf(str(text), name[:-4], timeout=left).pdf
        except BuildError as exc:
            out.error, out.line, out.tex = str(exc), exc.line, name
            out.files = {n: t for n, t in out.files.items() if not n.endswith(".pdf")}
            return


def _become_worker(parent: int) -> None:
    """In the forked worker: die with the parent (the kernel sends SIGTERM, on which the
    worker kills its pdflatex and removes its temporary folder), leave
    Ctrl-C to the parent (which stops the worker), and use at most WORKER_MEMORY more
    memory than it started with (a MemoryError past that is reported as such)."""
    from .build import STOP_SIGNALS, die_with_parent

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


def _child(conn: Any, args: tuple, parent: int) -> None:
    try:
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


def run_limited(args: tuple, timeout: float) -> Outcome:
    """``_work(*args)`` in a forked worker, stopped after ``timeout`` seconds (SIGTERM, so
    it cleans up, then SIGKILL after STOP_GRACE), or when this process is interrupted."""
    import multiprocessing as mp

    try:
        ctx = mp.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        ctx = mp.get_context("spawn")
    deadline = time.monotonic() + timeout
    args = (*args, deadline - min(PDF_MARGIN, timeout / 10))  # pdflatex's deadline: its timeout is the one reported
    from .build import signals_held

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
        return Outcome(args[0], error=f"{doing} took longer than the {timeout:g} s allowed for a problem file; "
                       "simplify it or raise --timeout")
    finally:
        if proc.is_alive():
            proc.terminate()
            proc.join(STOP_GRACE)
        if proc.is_alive():
            proc.kill()
        if proc.pid is not None:
            proc.join(5)
        parent.close()
        child.close()


def _printable(text: str) -> str:
    """One line, no control or format characters: text from a problem file cannot forge
    another error line or send escape sequences to the terminal."""
    import unicodedata

    return "".join(
        ch if ch.isprintable() and unicodedata.category(ch) != "Cf" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def _report(outcome: Outcome) -> None:
    where = outcome.where or outcome.path
    loc = f"{where}:{outcome.line}" if outcome.line else where
    click.echo(f"{_printable(loc)}: error: {_printable(outcome.error or '')}", err=True)
    if outcome.trace:
        click.echo(outcome.trace, err=True)


def _not_a_file(path: str) -> Outcome | None:
    """An error for a folder among the files (its .yaml files are meant); None otherwise
    (a missing or unreadable file is the loader's to report)."""
    if os.path.isdir(path):
        shown = path.rstrip("/" + os.sep) or path
        return Outcome(shown, error=f"is a folder (pass the .yaml files in it, e.g. {os.path.join(shown, '*.yaml')})")
    return None


def _process(files: tuple[str, ...], formats: tuple[str, ...], kinds: tuple[str, ...], templates: str | None,
             timeout: float, debug: bool, pdf: bool = False) -> Iterator[Outcome]:
    """The outcome of each file in turn (a file listed twice is done once). The second
    file with an id seen before is an error and yields nothing to write: the outputs of
    the two would overwrite each other."""
    seen_paths: set[str] = set()
    seen_ids: dict[str, str] = {}
    for path in files:
        if _stop_signal:  # stopped, but its exception was swallowed somewhere
            raise Stopped(_stop_signal[0])
        real = os.path.realpath(path)
        if real in seen_paths:
            continue
        seen_paths.add(real)
        outcome = _not_a_file(path)
        if outcome is None:
            if debug or timeout <= 0:
                deadline = time.monotonic() + timeout if timeout > 0 else None
                outcome = _work(path, formats, kinds, templates, debug, pdf, deadline)
            else:
                outcome = run_limited((path, formats, kinds, templates, debug, pdf), timeout)
        if outcome.id is not None:
            first = seen_ids.setdefault(outcome.id, path)
            if first != path:
                outcome = Outcome(path, error=f"id {outcome.id!r} is also the id of {first}; outputs would overwrite each other",
                                  line=outcome.id_line)
        yield outcome


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="solgen")
def main() -> None:
    """solgen writes worked solutions for multivariable calculus problems.

    A problem file (YAML) names a function, its variables and the parts to ask:
    gradient, hessian, jacobian, partial, taylor, directional, evaluate, text.
    solgen derives every part with SymPy, records and checks every step, and
    renders a handout (or worksheet) in LaTeX and Markdown, or JSON.

    \b
    Start here:
      solgen new 2.1                      # scaffold problems/2.1.yaml
      solgen check problems/2.1.yaml      # validate it
      solgen render problems/2.1.yaml     # write out/2.1.tex
      solgen render problems/*.yaml --format tex --format md --pdf
    """


TIMEOUT_HELP = ("Seconds allowed per problem file, from loading it to its last PDF (pdflatex gets what "
                "is left); 0: no limit.")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(["tex", "md", "html", "json"]),
              help="Output format; repeat for several. Default: tex.")
@click.option("--worksheet", is_flag=True, help="Questions with room to work, no steps or answers.")
@click.option("--slides", is_flag=True, help="A slide deck (Beamer / Markdown slides) instead of a handout.")
@click.option("--out", "-o", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the outputs.")
@click.option("--pdf", is_flag=True, help="Also compile each .tex with pdflatex (twice, no shell escape).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="Folder with tex/ and md/ templates overriding the built-ins by name.")
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=Seconds(), help=TIMEOUT_HELP)
@click.option("--debug", is_flag=True, help="Show tracebacks; run in-process (--timeout bounds pdflatex only).")
def render(files: tuple[str, ...], formats: tuple[str, ...], worksheet: bool, slides: bool, out_dir: str,
           pdf: bool, templates: str | None, timeout: float, debug: bool) -> None:
    """Derive and render each problem FILE into the output folder.

    \b
    Output names, for a problem with id 1.2:
      out/1.2.tex   out/1.2-worksheet.tex   out/1.2-slides.tex   out/1.2.md   out/1.2.json
    A file's outputs are written all or nothing. With SOURCE_DATE_EPOCH set, PDFs are
    the same byte for byte on every run.
    """
    from .build import BuildError, pdflatex, safe_target, write_all

    formats = tuple(dict.fromkeys(formats or ("tex",)))
    kind = "-".join(k for k, on in (("slides", slides), ("worksheet", worksheet)) if on) or "handout"
    if pdf and "tex" not in formats:
        formats = ("tex", *formats)
    if pdf and pdflatex() is None:
        raise click.UsageError("--pdf needs pdflatex on the PATH (TeX Live: texlive-latex-extra and friends)")
    out = Path(out_dir)
    failed = done = 0
    with _stoppable():
        for outcome in _process(files, formats, (kind,), templates, timeout, debug, pdf):
            done += 1
            if outcome.tex:
                outcome.where = str(out / outcome.tex)  # the .tex is written: the error names its line
            if outcome.error is None or outcome.tex:
                try:
                    for name in outcome.files:
                        safe_target(out, name)  # refuses names that would leave the folder
                    write_all({out / name: data for name, data in outcome.files.items()})
                except BuildError as exc:
                    outcome.error, outcome.line, outcome.where = str(exc), None, None
            if outcome.error is not None:
                failed += 1
                _report(outcome)
                continue
            names = ", ".join(str(out / n) for n in outcome.files)
            note = f" ({outcome.fallbacks} step(s) without a rule)" if outcome.fallbacks else ""
            click.echo(f"{outcome.path} -> {names}{note}")
    if done > 1:
        click.echo(f"{done - failed} of {done} problem files rendered" + (f", {failed} failed" if failed else ""))
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=Seconds(),
              help="Seconds allowed per problem file; 0: no limit.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def check(files: tuple[str, ...], timeout: float, debug: bool) -> None:
    """Validate each problem FILE and derive every part, writing nothing."""
    failed = 0
    with _stoppable():
        for outcome in _process(files, ("json",), ("handout",), None, timeout, debug):
            if outcome.error is not None:
                failed += 1
                _report(outcome)
            else:
                click.echo(f"{outcome.path}: ok")
    sys.exit(1 if failed else 0)


SCAFFOLD = '''\
# A solgen problem file. Render it with:  solgen render problems/{id}.yaml --format tex
id: "{id}"
title: "Gradient and Hessian"          # shown as the document title
course: "Course name"                  # optional: course, section, date, author
section: "Section 1"
variables: [x1, x2]                    # ordered; x1 prints as x_1, mu as \\mu
assume: {{x2: positive}}                 # optional per variable: positive | nonnegative | real
functions:                             # ^ and ** both mean power; other names are constants
  f: "x1^2 + exp(x1*x2) + 2*log(x2)"
  # g: ["x1*x2", "x1 + x2^2"]          # a list is a vector-valued function
parts:                                 # parts with the same id form one question
  - {{id: a, ask: gradient, of: f}}
  - {{id: a, ask: hessian, of: f}}
  - {{id: b, ask: taylor, of: f, order: 2, at: {{x1: 0, x2: 1}}}}
  - {{id: c, ask: directional, of: f, at: {{x1: 1, x2: 1}}, directions: {{d1: [1, 1], d2: [1, -1]}}}}
  - id: d
    ask: text
    prompt: "What does the gradient tell us at a point?"   # prose is Markdown with $math$
    answer: "The direction of steepest ascent, $\\\\nabla f(x)$."
'''


@main.command()
@click.argument("problem_id")
@click.option("--dir", "directory", default="problems", show_default=True, type=click.Path(file_okay=False),
              help="Folder to create the file in.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(problem_id: str, directory: str, force: bool) -> None:
    """Scaffold DIRECTORY/PROBLEM_ID.yaml, a commented problem file that renders as it is."""
    from .build import safe_target, write_atomic
    from .spec import ID_RE

    if not ID_RE.match(problem_id) or problem_id.startswith("-") or problem_id in (".", ".."):
        raise click.BadParameter("use letters, digits, '.', '_' or '-' (it names the output files)", param_hint="ID")
    target = safe_target(Path(directory), f"{problem_id}.yaml")
    if target.exists() and not force:
        click.echo(f"{target}: error: exists already (use --force to overwrite)", err=True)
        sys.exit(1)
    write_atomic(target, SCAFFOLD.format(id=problem_id))
    click.echo(f"wrote {Path(directory) / target.name}; render it with: solgen render {Path(directory) / target.name}")


if __name__ == "__main__":  # pragma: no cover
    main()
