"""The command line: ``solgen render``, ``solgen check``, ``solgen new``. Wiring only.

Each problem file is loaded, derived and rendered in a worker process under a wall-clock
limit (``--timeout``), so a runaway SymPy computation is really stopped; the worker
returns finished texts and the parent writes them atomically. Errors are printed as
``FILE:LINE: error: message`` and the run goes on with the next file; the exit status
is 1 if any file failed. ``--debug`` shows tracebacks and runs in-process.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

DEFAULT_TIMEOUT = 20.0


@dataclass
class Outcome:
    """What one problem file produced: named texts to write, or an error."""

    path: str
    files: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    line: int | None = None
    where: str | None = None  # a file other than the problem (a .tex), if the error is there
    trace: str | None = None
    fallbacks: int = 0


def _work(path: str, formats: tuple[str, ...], kinds: tuple[str, ...], templates: str | None, debug: bool,
          progress: Any = None) -> Outcome:
    """Load, derive and render one problem file (runs in the worker). ``progress(text)``
    is told what is being worked on, so a timeout can name it."""
    tell = progress or (lambda text: None)
    from .build import BuildError
    from .derive.calculus import DeriveError
    from .spec import SpecError, load_problem
    from .words import WordsError

    out = Outcome(path)
    try:
        problem = load_problem(path)
        if not formats:
            return out
        from .derive.calculus import solve

        solution = solve(problem, progress=lambda part: tell(f"part ({part.id}), the {part.ask}, at line {part.line}"))
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
    except (SpecError, DeriveError, BuildError) as exc:
        out.error, out.line = str(exc), getattr(exc, "line", None)
    except WordsError as exc:  # a words catalog (the course's own, or a language) is at fault
        out.error, out.where, out.line = str(exc), exc.file, exc.line
    except RecursionError:
        out.error = "expression too deeply nested to derive"
    except Exception as exc:  # noqa: BLE001 - any other failure is reported, not raised
        name = type(exc).__name__
        out.error = f"{name}: {exc}" if "jinja2" in type(exc).__module__ else f"internal error ({name}): {exc}"
        if getattr(exc, "lineno", None) and getattr(exc, "filename", None):
            out.where, out.line = exc.filename, exc.lineno  # template syntax errors
    if debug and out.error:
        out.trace = traceback.format_exc()
    return out


def _child(conn: Any, args: tuple) -> None:
    try:
        conn.send(_work(*args, progress=lambda text: conn.send(text)))
    finally:
        conn.close()


def run_limited(args: tuple, timeout: float) -> Outcome:
    """``_work(*args)`` in a forked worker, killed after ``timeout`` seconds."""
    import multiprocessing as mp

    try:
        ctx = mp.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, args), daemon=True)
    proc.start()
    child.close()
    import time

    deadline = time.monotonic() + timeout
    doing = "loading"
    try:
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
            proc.kill()
        proc.join(5)
        parent.close()


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


def _process(files: tuple[str, ...], formats: tuple[str, ...], kinds: tuple[str, ...], templates: str | None,
             timeout: float, debug: bool) -> list[Outcome]:
    outcomes = []
    for path in files:
        args = (path, formats, kinds, templates, debug)
        outcome = _work(*args) if debug or timeout <= 0 else run_limited(args, timeout)
        outcomes.append(outcome)
    return outcomes


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


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(["tex", "md", "html", "json"]),
              help="Output format; repeat for several. Default: tex.")
@click.option("--worksheet", is_flag=True, help="Questions with room to work, no steps or answers.")
@click.option("--slides", is_flag=True, help="A slide deck (Beamer / Markdown slides) instead of a handout.")
@click.option("--out", "-o", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the outputs.")
@click.option("--pdf", is_flag=True, help="Also compile each .tex with pdflatex (twice, no shell escape).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="Folder with tex/ and md/ templates overriding the built-ins by name.")
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=float,
              help="Seconds allowed per problem file (0: no limit).")
@click.option("--debug", is_flag=True, help="Show tracebacks; run in-process without the time limit.")
def render(files: tuple[str, ...], formats: tuple[str, ...], worksheet: bool, slides: bool, out_dir: str,
           pdf: bool, templates: str | None, timeout: float, debug: bool) -> None:
    """Derive and render each problem FILE into the output folder.

    \b
    Output names, for a problem with id 1.2:
      out/1.2.tex   out/1.2-worksheet.tex   out/1.2-slides.tex   out/1.2.md   out/1.2.json
    """
    from .build import BuildError, compile_pdf, pdflatex, safe_target, write_atomic

    formats = tuple(dict.fromkeys(formats or ("tex",)))
    kind = "-".join(k for k, on in (("slides", slides), ("worksheet", worksheet)) if on) or "handout"
    if pdf and "tex" not in formats:
        formats = ("tex", *formats)
    if pdf and pdflatex() is None:
        raise click.UsageError("--pdf needs pdflatex on the PATH (TeX Live: texlive-latex-extra and friends)")
    out = Path(out_dir)
    failed = 0
    for outcome in _process(files, formats, (kind,), templates, timeout, debug):
        tex_failed = False
        if outcome.error is None and pdf:
            for name, text in list(outcome.files.items()):
                if name.endswith(".tex"):
                    try:
                        outcome.files[name[:-4] + ".pdf"] = compile_pdf(text, name[:-4]).pdf  # type: ignore[assignment]
                    except BuildError as exc:
                        # keep the .tex (its line is in the message), write no PDF
                        outcome.error, outcome.line, outcome.where = str(exc), exc.line, str(out / name)
                        tex_failed = True
                        break
        if outcome.error is None or tex_failed:
            try:
                targets = {safe_target(out, name): data for name, data in outcome.files.items()}
                for target, data in targets.items():
                    write_atomic(target, data)
            except (BuildError, OSError) as exc:
                outcome.error = str(exc)
        if outcome.error is not None:
            failed += 1
            _report(outcome)
            continue
        names = ", ".join(str(out / n) for n in outcome.files)
        note = f" ({outcome.fallbacks} step(s) without a rule)" if outcome.fallbacks else ""
        click.echo(f"{outcome.path} -> {names}{note}")
    if len(files) > 1:
        click.echo(f"{len(files) - failed} of {len(files)} problem files rendered" + (f", {failed} failed" if failed else ""))
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=float,
              help="Seconds allowed per problem file (0: no limit).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def check(files: tuple[str, ...], timeout: float, debug: bool) -> None:
    """Validate each problem FILE and derive every part, writing nothing."""
    failed = 0
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
