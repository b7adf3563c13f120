"""The command line: ``solgen render``, ``solgen check``, ``solgen new``. Options and
printing only: the work is ``pipeline.process``; errors print as
``FILE:LINE: error: message``, the run goes on with the next file, and the exit status
is 1 if any file failed. ``--debug`` shows tracebacks and runs in-process.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import click

from solgen.input import LANGS
from solgen.pipeline import DEFAULT_TIMEOUT, MAX_TIMEOUT, Job, Outcome, preload, process, stoppable, write


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


def _printable(text: str) -> str:
    """One line, no control or format characters: text from a problem file cannot forge
    another error line or send escape sequences to the terminal."""
    import unicodedata

    return "".join(
        ch if ch.isprintable() and unicodedata.category(ch) != "Cf" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def _warn(outcome: Outcome) -> None:
    for line, message in outcome.warnings:
        click.echo(f"{_printable(outcome.path)}:{line}: warning: {_printable(message)}", err=True)


def _report(outcome: Outcome) -> None:
    where = outcome.where or outcome.path
    loc = f"{where}:{outcome.line}" if outcome.line else where
    click.echo(f"{_printable(loc)}: error: {_printable(outcome.error or '')}", err=True)
    if outcome.trace:
        click.echo(outcome.trace, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="solgen")
def main() -> None:
    """solgen writes worked solutions for multivariable calculus problems.

    A problem file (YAML) names a function, its variables and the parts to ask:
    gradient, hessian, jacobian, partial, laplacian, taylor, directional,
    evaluate, text.
    solgen derives every part with SymPy, records and checks every step, and
    renders a handout, worksheet or slide deck in LaTeX, Markdown or HTML,
    or JSON for auto-graders.

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
@click.option("--slides", is_flag=True, help="A slide deck (Beamer, Markdown slides, an HTML deck) instead of a handout.")
@click.option("--all", "all_kinds", is_flag=True, help="Handout, worksheet and slides in one run.")
@click.option("--out", "-o", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the outputs.")
@click.option("--pdf", is_flag=True, help="Also compile each .tex with pdflatex (twice, no shell escape).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="Folder whose tex/, md/, html/ templates and words/ catalogs override the built-ins by name.")
@click.option("--lang", type=click.Choice(list(LANGS)), default=None,
              help="Language of every generated sentence (default: the file's lang, else en).")
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=Seconds(), help=TIMEOUT_HELP)
@click.option("--jobs", "-j", default=None, type=click.IntRange(1, 256),
              help="Files rendered at once, each in its own worker (default: the number of cores).")
@click.option("--no-cache", is_flag=True, help="Derive everything again (the cache keeps unchanged files' outputs).")
@click.option("--debug", is_flag=True, help="Show tracebacks; run in-process (--timeout bounds pdflatex only).")
def render(files: tuple[str, ...], formats: tuple[str, ...], worksheet: bool, slides: bool, all_kinds: bool,
           out_dir: str, pdf: bool, templates: str | None, lang: str | None, timeout: float, jobs: int | None,
           no_cache: bool, debug: bool) -> None:
    """Derive and render each problem or section FILE (or every one under a folder) into
    the output folder.

    \b
    Output names, for a problem with id 1.2 and a section with id section-3:
      out/1.2.tex   out/1.2-worksheet.tex   out/1.2-slides.tex   out/1.2.md   out/1.2.html   out/1.2.json
      out/section-3-slides.tex   out/section-3.tex   out/section-3-worksheet.tex
    Without --slides, --worksheet or --all, a problem makes its handout and a section its
    deck, handout and worksheet. A file's outputs are written all or nothing; an unchanged
    file's come from the cache. With SOURCE_DATE_EPOCH set, PDFs are the same byte for
    byte on every run.
    """
    job = _job(formats, worksheet, slides, all_kinds, pdf, templates, lang, debug)
    failed, done = run_batch(files, job, Path(out_dir), timeout, jobs, not no_cache)
    sys.exit(1 if failed else 0)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_batch(files: tuple[str, ...] | list[str], job: Job, out: Path, timeout: float, jobs: int | None,
              use_cache: bool, quiet_unchanged: bool = False) -> tuple[int, int]:
    """Render ``files`` (folders expanded) into ``out``: a line per file, a progress bar on
    a terminal for batches, a summary; returns (failed, done). Used by render and watch."""
    from solgen.pipeline import walk_batch

    cache = None
    if use_cache and not job.debug:
        from solgen.cache import Cache

        cache = Cache(job)
    failed = done = 0
    batch = walk_batch(files)
    for warning in batch.warnings:
        click.echo(_printable(warning), err=True)
    total = len(dict.fromkeys(os.path.realpath(p) for p in batch.units))
    bar = None
    if total > 1 and sys.stderr.isatty():
        bar = click.progressbar(length=total, label="rendering", file=sys.stderr, show_pos=True)
        bar.__enter__()
    try:
        with stoppable():
            for outcome in process(files, job, timeout, jobs or default_jobs(), cache, batch):
                done += 1
                if bar is not None:
                    bar.update(1)
                write(outcome, out)  # from the cache too: an output edited or removed by hand is made again
                if outcome.error is not None:
                    failed += 1
                    _report(outcome)
                    _warn(outcome)
                    continue
                if outcome.cached and quiet_unchanged:
                    continue
                names = ", ".join(str(out / n) for n in outcome.files) or "nothing written"
                note = f" ({outcome.fallbacks} step(s) without a rule)" if outcome.fallbacks else ""
                note += " (unchanged)" if outcome.cached else ""
                click.echo(_printable(f"{outcome.path} -> {names}{note}"))
                _warn(outcome)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if done > 1 and not quiet_unchanged:
        click.echo(f"{done - failed} of {done} problem files rendered" + (f", {failed} failed" if failed else ""))
    return failed, done


def render_options(func: Any) -> Any:
    """The options render and watch share."""
    for option in reversed([
        click.option("--format", "-f", "formats", multiple=True, type=click.Choice(["tex", "md", "html", "json"]),
                     help="Output format; repeat for several. Default: tex."),
        click.option("--worksheet", is_flag=True, help="Questions with room to work, no steps or answers."),
        click.option("--slides", is_flag=True, help="A slide deck instead of a handout."),
        click.option("--all", "all_kinds", is_flag=True, help="Handout, worksheet and slides in one run."),
        click.option("--out", "-o", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False),
                     help="Folder for the outputs."),
        click.option("--pdf", is_flag=True, help="Also compile each .tex with pdflatex (twice, no shell escape)."),
        click.option("--templates", type=click.Path(file_okay=False, exists=True),
                     help="Folder whose tex/, md/, html/ templates and words/ catalogs override the built-ins by name."),
        click.option("--lang", type=click.Choice(list(LANGS)), default=None,
                     help="Language of every generated sentence (default: the file's lang, else en)."),
        click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=Seconds(), help=TIMEOUT_HELP),
        click.option("--jobs", "-j", default=None, type=click.IntRange(1, 256),
                     help="Files rendered at once, each in its own worker (default: the number of cores)."),
        click.option("--debug", is_flag=True, help="Show tracebacks; run in-process."),
    ]):
        func = option(func)
    return func


def _job(formats: tuple[str, ...], worksheet: bool, slides: bool, all_kinds: bool, pdf: bool, templates: str | None,
         lang: str | None, debug: bool) -> Job:
    formats = tuple(dict.fromkeys(formats or ("tex",)))
    if pdf and "tex" not in formats:
        formats = ("tex", *formats)
    if pdf:
        from solgen.build import pdflatex

        if pdflatex() is None:
            raise click.UsageError("--pdf needs pdflatex on the PATH (TeX Live: texlive-latex-extra and friends)")
    kind = "-".join(k for k, on in (("slides", slides), ("worksheet", worksheet)) if on)
    kinds: tuple[str, ...] = ("handout", "worksheet", "slides") if all_kinds else (kind,) if kind else ()
    return Job(formats, kinds, templates, lang, debug, pdf)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@render_options
def watch(paths: tuple[str, ...], formats: tuple[str, ...], worksheet: bool, slides: bool, all_kinds: bool,
          out_dir: str, pdf: bool, templates: str | None, lang: str | None, timeout: float, jobs: int | None,
          debug: bool) -> None:
    """Render PATHS (files or folders), then again on every save: says what changed and
    what it rebuilt (unchanged files come from the cache). Ctrl-C stops."""
    job = _job(formats, worksheet, slides, all_kinds, pdf, templates, lang, debug)
    try:
        from watchfiles import watch as changes
    except ImportError:  # pragma: no cover - a dependency of solgen
        raise click.UsageError("solgen watch needs the watchfiles package (pip install watchfiles)") from None
    out = Path(out_dir)
    run_batch(paths, job, out, timeout, jobs, True)
    if not debug:  # SymPy, the engine and the templates, once: a re-render's worker starts with them
        preload(job, paths)
    roots = _watched(paths, templates)
    click.echo(_printable(f"watching {', '.join(roots)} (Ctrl-C stops)"))
    try:
        while True:
            folders = watched_folders(roots)
            again = False
            for batch in changes(*folders, watch_filter=_watch_filter, raise_interrupt=False, recursive=False,
                                 ignore_permission_denied=True):
                watch_step(paths, batch, job, out, timeout, jobs)
                if watched_folders(roots, quiet=True) != folders:  # a folder came or went: watch the new set
                    again = True
                    break
            if not again:
                break
    except KeyboardInterrupt:  # pragma: no cover - watchfiles turns it into the end of the loop
        pass
    click.echo("stopped watching")


def _watch_filter(change: Any, path: str) -> bool:
    return path.endswith((".yaml", ".yml", ".j2")) or os.path.isdir(path)


def watched_folders(roots: list[str], quiet: bool = False) -> list[str]:
    """Every folder under ``roots``, each watched on its own (not recursively: watchfiles
    would follow folder links anywhere, /usr or /proc), found by the path policy's walk:
    iterative, unreadable folders skipped with a warning, folder links followed only
    inside their root."""
    from solgen.input.paths import walk

    folders: list[str] = []
    for root in roots:
        found = walk(root, suffixes=())
        if not quiet:
            for warning in found.warnings:
                click.echo(_printable(warning), err=True)
        folders += found.folders
    return sorted(dict.fromkeys(folders))


def _watched(paths: tuple[str, ...], templates: str | None) -> list[str]:
    """The folders to watch: the paths' own, the folders beside a section (its problems),
    and the templates folder."""
    roots: list[str] = []
    for path in paths:
        folder = path if os.path.isdir(path) else os.path.dirname(path) or "."
        roots.append(folder)
        from solgen.sections import is_section

        if os.path.isfile(path) and is_section(path):
            roots.append(os.path.dirname(os.path.abspath(folder)))  # the course folder: ../problems/
    if templates:
        roots.append(templates)
    real: dict[str, str] = {}
    for r in roots:
        real.setdefault(os.path.realpath(r), r)
    keep = [r for k, r in real.items() if not any(k != o and k.startswith(o + os.sep) for o in real)]
    return keep


def watch_step(paths: tuple[str, ...], batch: Any, job: Job, out: Path, timeout: float, jobs: int | None) -> tuple[int, int]:
    """One round of ``watch``: say which files changed, re-render (unchanged ones come from
    the cache and are not printed), say what was rebuilt."""
    changed = sorted({os.path.relpath(p) for _, p in batch})
    click.echo(_printable(f"changed: {', '.join(changed)}"))
    failed, done = run_batch(paths, job, out, timeout, jobs, True, quiet_unchanged=True)
    return failed, done


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=Seconds(),
              help="Seconds allowed per problem file; 0: no limit.")
@click.option("--jobs", "-j", default=None, type=click.IntRange(1, 256),
              help="Files checked at once (default: the number of cores).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def check(files: tuple[str, ...], timeout: float, jobs: int | None, debug: bool) -> None:
    """Validate each problem or section FILE (or every one under a folder) and derive every
    part, writing nothing."""
    from solgen.pipeline import walk_batch

    failed = 0
    batch = walk_batch(files)
    for warning in batch.warnings:
        click.echo(_printable(warning), err=True)
    with stoppable():
        for outcome in process(files, Job(("json",), ("handout",), debug=debug), timeout, jobs or default_jobs(), None, batch):
            if outcome.error is not None:
                failed += 1
                _report(outcome)
            else:
                click.echo(_printable(f"{outcome.path}: ok"))
            _warn(outcome)
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
    from solgen.build import safe_target, write_atomic
    from solgen.input.problem import ID_RE

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
