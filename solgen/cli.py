"""The command line: ``solgen render``, ``solgen check``, ``solgen new``. Options and
printing only: the work is ``pipeline.process``; errors print as
``FILE:LINE: error: message``, the run goes on with the next file, and the exit status
is 1 if any file failed. ``--debug`` shows tracebacks and runs in-process.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import sys
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from solgen.build import pdflatex, safe_target, write_all
from solgen.build import scaffold
from solgen.build.cache import Cache
from solgen.build.course import Flags, course_batches, shown as _shown
from solgen.errors import SolgenError
from solgen.input import ID_RE, LANGS
from solgen.input.config import ConfigError
from solgen.input.paths import walk
from solgen.math import lazy
from solgen.pipeline import (DEFAULT_TIMEOUT, MAX_TIMEOUT, Job, Outcome, expand, preload, process, stoppable,
                             walk_batch, write)
from solgen.input.section_files import is_section


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
    return "".join(
        ch if ch.isprintable() and unicodedata.category(ch) != "Cf" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def _quiet() -> bool:
    """-q/--quiet was given (on solgen or on the command): print errors only."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().meta.get("solgen.quiet"))


def _say(text: str) -> None:
    """A line of the run's report on stdout, unless -q."""
    if not _quiet():
        click.echo(text)


def _set_quiet(ctx: click.Context, param: Any, value: bool) -> None:
    if value:
        ctx.find_root().meta["solgen.quiet"] = True


def _set_verbose(ctx: click.Context, param: Any, value: bool) -> None:
    """-v: solgen's log (logger "solgen" and its children, e.g. "solgen.cache") at INFO on stderr."""
    if not value:
        return
    log = logging.getLogger("solgen")
    log.setLevel(logging.INFO)
    if not any(getattr(h, "solgen_verbose", False) for h in log.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        log.addHandler(handler)


class _Stderr(logging.StreamHandler):
    """A handler writing to whatever sys.stderr is when a record comes (click's test
    runner and pytest swap it), never to a stream closed since."""
    solgen_verbose = True

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def verbosity(func: Any) -> Any:
    """-q and -v, accepted on ``solgen`` itself and on each command (``solgen -q render``,
    ``solgen render -q``)."""
    func = click.option("-v", "--verbose", is_flag=True, expose_value=False, is_eager=True, callback=_set_verbose,
                        help="Also log what solgen does (files, solgen.toml, cache) on stderr.")(func)
    return click.option("-q", "--quiet", is_flag=True, expose_value=False, is_eager=True, callback=_set_quiet,
                        help="Print errors only (no progress, no warnings).")(func)


def _warn(outcome: Outcome) -> None:
    if _quiet():
        return
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
@verbosity
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
      solgen new --course cse446          # a course folder with solgen.toml

    \b
    Course defaults (course, author, lang, templates, out, formats) come from
    the nearest solgen.toml above a file; the file's own fields and flags win.
    Shell completion (bash): eval "$(_SOLGEN_COMPLETE=bash_source solgen)"
    """
TIMEOUT_HELP = ("Seconds allowed per problem file, from loading it to its last PDF (pdflatex gets what "
                "is left); 0: no limit.")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--format", "-f", "formats", multiple=True, type=click.Choice(["tex", "md", "html", "json", "tree"]),
              help="Output format; repeat for several. Default: tex. `tree` writes <id>.tree.json, the "
                   "document every writer reads, each formula with the sides it claims.")
@click.option("--worksheet", is_flag=True, help="Questions with room to work, no steps or answers.")
@click.option("--slides", is_flag=True, help="A slide deck (Beamer, Markdown slides, an HTML deck) instead of a handout.")
@click.option("--all", "all_kinds", is_flag=True, help="Handout, worksheet and slides in one run.")
@click.option("--out", "-o", "out_dir", default=None, type=click.Path(file_okay=False),
              help="Folder for the outputs (default: solgen.toml's out, else out/).")
@click.option("--pdf", is_flag=True, help="Also compile each .tex with pdflatex (twice, no shell escape).")
@click.option("--templates", type=click.Path(file_okay=False, exists=True),
              help="Folder whose tex/, md/, html/ templates and words/ catalogs override the built-ins by name.")
@click.option("--lang", type=click.Choice(list(LANGS)), default=None,
              help="Language of every generated sentence (default: the file's lang, else solgen.toml's, else en).")
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=Seconds(), help=TIMEOUT_HELP)
@click.option("--jobs", "-j", default=None, type=click.IntRange(1, 256),
              help="Files rendered at once, each in its own worker (default: the number of cores).")
@click.option("--no-cache", is_flag=True, help="Derive everything again (the cache keeps unchanged files' outputs).")
@click.option("--body-only", is_flag=True,
              help="Each .tex as a body to paste into your own document (no preamble), with solgen.sty beside it.")
@click.option("--debug", is_flag=True, help="Show tracebacks; run in-process (--timeout bounds pdflatex only).")
@click.option("--variant", type=click.IntRange(1, 500), default=None,
              help="For a file with variants: render draw K (outputs named <id>-v03.tex, ...).")
@verbosity
def render(files: tuple[str, ...], formats: tuple[str, ...], worksheet: bool, slides: bool, all_kinds: bool,
           out_dir: str | None, pdf: bool, templates: str | None, lang: str | None, timeout: float, jobs: int | None,
           no_cache: bool, body_only: bool, debug: bool, variant: int | None) -> None:
    """Derive and render each problem or section FILE (or every one under a folder) into
    the output folder.

    \b
    Output names, for a problem with id 1.2 and a section with id section-3:
      out/1.2.tex   out/1.2-worksheet.tex   out/1.2-slides.tex   out/1.2.md   out/1.2.html   out/1.2.json
      out/1.2.tree.json (--format tree)
      out/section-3-slides.tex   out/section-3.tex   out/section-3-worksheet.tex
    Without --slides, --worksheet or --all, a problem makes its handout and a section its
    deck, handout and worksheet. A file's outputs are written all or nothing; an unchanged
    file's come from the cache. With SOURCE_DATE_EPOCH set, PDFs are the same byte for
    byte on every run.
    """
    job = _job(formats, worksheet, slides, all_kinds, pdf, templates, lang, debug, body_only)
    if variant is not None:
        job = replace(job, variant=variant)
    failed, done = run_course(files, job, Flags(out_dir, formats, templates), timeout, jobs, not no_cache)
    sys.exit(1 if failed else 0)


def run_course(files: tuple[str, ...] | list[str], job: Job, flags: Flags, timeout: float, jobs: int | None,
               use_cache: bool, quiet_unchanged: bool = False) -> tuple[int, int]:
    """``run_batch`` for each solgen.toml's group of ``files``; one summary. A solgen.toml
    that cannot be used is an error at its line and fails the files under it."""
    failed = done = 0
    groups: list = []
    pending = list(files)
    while pending:
        try:
            groups += course_batches(pending, job, flags)
            pending = []
        except ConfigError as exc:  # that toml's files fail; the others go on
            for warning in getattr(exc, "warnings", []):
                click.echo(_printable(warning), err=True)
            click.echo(f"{_printable(exc.file or '')}:{exc.line or 1}: error: {_printable(str(exc))}", err=True)
            bad = set(getattr(exc, "files", []))
            failed += len(bad)
            done += len(bad)

            pending = [p for p in expand(pending) if p not in bad]
    for batch, group_job, out, found in groups:
        logging.getLogger("solgen").info("rendering %d file(s) as %s into %s%s", len(batch.units),
                                         ", ".join(group_job.formats), out, f" (defaults from {found})" if found else "")
        f, d = run_batch(batch.units, group_job, out, timeout, jobs, use_cache, quiet_unchanged, summary=False,
                         batch=batch)
        failed, done = failed + f, done + d
    if done > 1 and not quiet_unchanged:
        _say(f"{done - failed} of {done} problem files rendered" + (f", {failed} failed" if failed else ""))
    return failed, done


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_batch(files: tuple[str, ...] | list[str], job: Job, out: Path, timeout: float, jobs: int | None,
              use_cache: bool, quiet_unchanged: bool = False, summary: bool = True, batch: Any = None) -> tuple[int, int]:
    """Render ``files`` (folders expanded) into ``out``: a line per file, a progress bar on
    a terminal for batches, a summary; returns (failed, done). Used by render and watch."""
    cache = None
    if use_cache and not job.debug:
        cache = Cache(job)
    failed = done = 0
    batch = batch or walk_batch(files)
    for warning in batch.warnings:
        click.echo(_printable(warning), err=True)
    total = len(dict.fromkeys(os.path.realpath(p) for p in batch.units))
    bar = None
    if total > 1 and sys.stderr.isatty() and not _quiet():
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
                _say(_printable(f"{outcome.path} -> {names}{note}"))
                _warn(outcome)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if done > 1 and not quiet_unchanged and summary:
        _say(f"{done - failed} of {done} problem files rendered" + (f", {failed} failed" if failed else ""))
    return failed, done


def render_options(func: Any) -> Any:
    """The options render and watch share."""
    for option in reversed([
        click.option("--format", "-f", "formats", multiple=True, type=click.Choice(["tex", "md", "html", "json", "tree"]),
                     help="Output format; repeat for several. Default: tex."),
        click.option("--worksheet", is_flag=True, help="Questions with room to work, no steps or answers."),
        click.option("--slides", is_flag=True, help="A slide deck instead of a handout."),
        click.option("--all", "all_kinds", is_flag=True, help="Handout, worksheet and slides in one run."),
        click.option("--out", "-o", "out_dir", default=None, type=click.Path(file_okay=False),
                     help="Folder for the outputs (default: solgen.toml's out, else out/)."),
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
    return verbosity(func)


def _job(formats: tuple[str, ...], worksheet: bool, slides: bool, all_kinds: bool, pdf: bool, templates: str | None,
         lang: str | None, debug: bool, body_only: bool = False) -> Job:
    if body_only and pdf:
        raise click.UsageError("--body-only writes bodies to paste into your own document: compile that one (not --pdf)")
    formats = tuple(dict.fromkeys(formats or ("tex",)))
    if pdf and "tex" not in formats:
        formats = ("tex", *formats)
    if pdf:
        if pdflatex() is None:
            raise click.UsageError("--pdf needs pdflatex on the PATH (TeX Live: texlive-latex-extra and friends)")
    kind = "-".join(k for k, on in (("slides", slides), ("worksheet", worksheet)) if on)
    kinds: tuple[str, ...] = ("handout", "worksheet", "slides") if all_kinds else (kind,) if kind else ()
    return Job(formats, kinds, templates, lang, debug, pdf, body_only=body_only)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@render_options
def watch(paths: tuple[str, ...], formats: tuple[str, ...], worksheet: bool, slides: bool, all_kinds: bool,
          out_dir: str | None, pdf: bool, templates: str | None, lang: str | None, timeout: float, jobs: int | None,
          debug: bool) -> None:
    """Render PATHS (files or folders), then again on every save: says what changed and
    what it rebuilt (unchanged files come from the cache). Ctrl-C stops."""
    job = _job(formats, worksheet, slides, all_kinds, pdf, templates, lang, debug)
    try:
        from watchfiles import watch as changes
    except ImportError:  # pragma: no cover - a dependency of solgen
        raise click.UsageError("solgen watch needs the watchfiles package (pip install watchfiles)") from None
    flags = Flags(out_dir, formats, templates)
    run_course(paths, job, flags, timeout, jobs, True)
    if not debug:  # SymPy, the engine and the templates, once: a re-render's worker starts with them
        preload(job, paths)
    roots = _watched(paths, templates)
    _say(_printable(f"watching {', '.join(roots)} (Ctrl-C stops)"))
    try:
        while True:
            folders = watched_folders(roots)
            again = False
            for batch in changes(*folders, watch_filter=_watch_filter, raise_interrupt=False, recursive=False,
                                 ignore_permission_denied=True):
                watch_step(paths, batch, job, flags, timeout, jobs)
                if watched_folders(roots, quiet=True) != folders:  # a folder came or went: watch the new set
                    again = True
                    break
            if not again:
                break
    except KeyboardInterrupt:  # pragma: no cover - watchfiles turns it into the end of the loop
        pass
    _say("stopped watching")


def _watch_filter(change: Any, path: str) -> bool:
    return path.endswith((".yaml", ".yml", ".j2", ".toml")) or os.path.isdir(path)


def watched_folders(roots: list[str], quiet: bool = False) -> list[str]:
    """Every folder under ``roots``, each watched on its own (not recursively: watchfiles
    would follow folder links anywhere, /usr or /proc), found by the path policy's walk:
    iterative, unreadable folders skipped with a warning, folder links followed only
    inside their root."""
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

        if os.path.isfile(path) and is_section(path):
            roots.append(os.path.dirname(os.path.abspath(folder)))  # the course folder: ../problems/
    if templates:
        roots.append(templates)
    real: dict[str, str] = {}
    for r in roots:
        real.setdefault(os.path.realpath(r), r)
    keep = [r for k, r in real.items() if not any(k != o and k.startswith(o + os.sep) for o in real)]
    return keep


def watch_step(paths: tuple[str, ...], batch: Any, job: Job, out: Path | Flags, timeout: float,
               jobs: int | None) -> tuple[int, int]:
    """One round of ``watch``: say which files changed, re-render (unchanged ones come from
    the cache and are not printed), say what was rebuilt. ``out``: the output folder, or
    the command line's Flags (solgen.toml's out where --out is not given)."""
    changed = sorted({os.path.relpath(p) for _, p in batch})
    _say(_printable(f"changed: {', '.join(changed)}"))
    flags = out if isinstance(out, Flags) else Flags(str(out), job.formats, job.templates)
    failed, done = run_course(paths, job, flags, timeout, jobs, True, quiet_unchanged=True)
    return failed, done


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=Seconds(),
              help="Seconds allowed per problem file; 0: no limit.")
@click.option("--jobs", "-j", default=None, type=click.IntRange(1, 256),
              help="Files checked at once (default: the number of cores).")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@verbosity
def check(files: tuple[str, ...], timeout: float, jobs: int | None, debug: bool) -> None:
    """Validate each problem or section FILE (or every one under a folder) and derive every
    part, writing nothing."""
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
                _say(_printable(f"{outcome.path}: ok"))
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
@click.argument("problem_id", required=False)
@click.option("--section", "section_id", metavar="ID", help="Scaffold a section file, DIR/ID.yaml (default DIR: sections).")
@click.option("--course", "course_dir", metavar="DIR", type=click.Path(file_okay=False),
              help="Scaffold a course folder: DIR/solgen.toml, DIR/problems/1.1.yaml and 1.2.yaml, DIR/sections/section-1.yaml.")
@click.option("--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Folder to create the file in (default: problems, or sections for --section).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@verbosity
def new(problem_id: str | None, section_id: str | None, course_dir: str | None, directory: str | None, force: bool) -> None:
    """Scaffold a commented file that renders as it is: PROBLEM_ID gives DIR/PROBLEM_ID.yaml,
    --section ID a section file, --course DIR a whole course folder."""
    if sum(x is not None for x in (problem_id, section_id, course_dir)) != 1:
        raise click.UsageError("give one of: an ID (a problem), --section ID, --course DIR")

    def checked(name: str, hint: str) -> str:
        if not ID_RE.match(name) or name.startswith("-") or name in (".", ".."):
            raise click.BadParameter("use letters, digits, '.', '_' or '-' (it names the output files)", param_hint=hint)
        return name

    files: dict[Path, str] = {}
    if course_dir is not None:
        root = Path(course_dir)
        name = root.resolve().name or "Course"
        files[safe_target(root, "solgen.toml")] = scaffold.COURSE_TOML.format(course=name.replace('"', "'"))
        files[safe_target(root / "problems", "1.1.yaml")] = _problem_text("1.1", in_course=True)
        files[safe_target(root / "problems", "1.2.yaml")] = scaffold.SECOND_PROBLEM
        files[safe_target(root / "sections", "section-1.yaml")] = scaffold.SECTION.format(
            id="section-1", path=str(root / "sections" / "section-1.yaml"), header="",
            problems=scaffold.SECTION_PROBLEMS)
        if not (root / ".gitignore").exists():
            files[root.resolve() / ".gitignore"] = scaffold.GITIGNORE
        done = f"render it with: solgen render {root}"
    elif section_id is not None:
        folder = Path(directory or "sections")
        target = safe_target(folder, f"{checked(section_id, '--section')}.yaml")
        files[target] = scaffold.SECTION.format(
            id=section_id, path=str(folder / target.name), problems=scaffold.SECTION_PROBLEMS_HINT,
            header='course: "Course name"               # optional: course, section, author, date\n'
                   'author: "TA: Your Name"\n')
        done = f"render it with: solgen render {folder / target.name}"
    else:
        folder = Path(directory or "problems")
        target = safe_target(folder, f"{checked(str(problem_id), 'ID')}.yaml")
        files[target] = SCAFFOLD.format(id=problem_id)
        done = f"render it with: solgen render {folder / target.name}"
    existing = [p for p in files if p.exists() and p.name != ".gitignore"]
    if existing and not force:
        click.echo(f"{_shown(str(existing[0]))}: error: exists already (use --force to overwrite)", err=True)
        sys.exit(1)
    write_all(files)
    for path in files:
        _say(f"wrote {_shown(str(path))}")
    _say(done)


def _problem_text(problem_id: str, in_course: bool = False) -> str:
    """``SCAFFOLD`` for ``problem_id``; in a course, without the header fields its
    solgen.toml gives."""
    text = SCAFFOLD.format(id=problem_id)
    if in_course:
        text = "\n".join(line for line in text.splitlines() if not line.startswith(("course:", "section:"))) + "\n"
    return text


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--count", "-n", type=click.IntRange(1, 500), default=None, help="Variants to try (default: the file's count).")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="Override the file's seed.")
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=Seconds(), help="Seconds allowed per variant.")
@verbosity
def variants(file: str, count: int | None, seed: int | None, timeout: float) -> None:
    """Stress-test FILE's variants: each one derives and renders; print a table of
    parameters, answers and seconds; exit 1 if a variant fails, two variants share an
    answer, or 'where' rejects too many draws."""
    try:
        with stoppable():
            report = lazy.load("variants").stress(process, file, count, seed, timeout)
    except SolgenError as exc:
        loc = f"{file}:{exc.line}" if getattr(exc, "line", None) else file
        click.echo(f"{_printable(loc)}: error: {_printable(str(exc))}", err=True)
        sys.exit(1)
    click.echo(lazy.load("variants").table(report))
    _say(f"{report.accepted} variants from {report.tried} draws ({report.rejected} rejected by where)")
    for failure in report.failures:
        click.echo(f"{_printable(file)}: error: {_printable(failure)}", err=True)
    sys.exit(1 if report.failures else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--to", "target", required=True, type=click.Choice(["moodle", "canvas", "prairielearn", "exam"]),
              help="moodle: Moodle XML; canvas: a QTI 1.2 zip; prairielearn: question folders; exam: printable forms (PDF).")
@click.option("--count", "-n", type=click.IntRange(1, 500), default=None, help="Variants per problem (default: each file's count).")
@click.option("--forms", type=click.IntRange(1, 26), default=2, show_default=True, help="exam: the number of forms (A, B, ...).")
@click.option("--out", "-o", "out_dir", default="out", show_default=True, type=click.Path(file_okay=False), help="Folder for the export.")
@click.option("--name", "quiz_name", default="solgen", show_default=True, help="Base name of the quiz file (moodle, canvas).")
@click.option("--timeout", default=DEFAULT_TIMEOUT, show_default=True, type=Seconds(), help="Seconds allowed per variant.")
@verbosity
def export(paths: tuple[str, ...], target: str, count: int | None, forms: int, out_dir: str, quiz_name: str, timeout: float) -> None:
    """Export problem files (each variant) to an LMS or as printable exam forms."""
    if not ID_RE.match(quiz_name) or quiz_name.startswith("-"):
        raise click.BadParameter("use letters, digits, '.', '_' or '-'", param_hint="--name")
    try:
        with stoppable():
            result = lazy.load("export").export(process, paths, target, Path(out_dir), count, forms, timeout, quiz_name)
            for outcome in result.errors:
                _report(outcome)
            written = lazy.load("export").write(result, Path(out_dir)) if result.files and not result.errors else []
    except SolgenError as exc:
        loc = f"{exc.file or paths[0]}:{exc.line}" if exc.line else (exc.file or paths[0])
        click.echo(f"{_printable(loc)}: error: {_printable(str(exc))}", err=True)
        sys.exit(1)
    for note in result.notes:
        if not _quiet():
            click.echo(f"note: {_printable(note)}", err=True)
    for path in written:
        _say(f"wrote {_printable(str(path))}")
    sys.exit(1 if result.errors or not written else 0)


def run(prog_name: str | None = None) -> None:
    """The ``solgen`` command (the console script and ``python -m solgen``): ``main``, then
    out without Python's teardown. Once a command has finished (its files written, its exit
    code known), the atexit handlers run and the streams are flushed, and the process ends:
    dismantling the modules and collecting the objects one by one would only cost time
    (a hundredth of a second; a tenth with SymPy loaded). An exception that is not an
    exit (a bug) still ends the normal way, with its traceback."""
    try:
        main(prog_name=prog_name)
        code: object = 0  # pragma: no cover - click's standalone mode always exits
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):  # as sys.exit("message") does
        click.echo(str(code), err=True)
        code = 1
    atexit._run_exitfuncs()  # noqa: SLF001 - what a normal exit runs first: cleanups, logging's flush
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (solgen ... | head): nothing more to say
            pass
    os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    run()
