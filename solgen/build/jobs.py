"""What a run is made of: a ``Job`` (what to make of each file), the ``Outcome`` of one
file (named texts to write, or an error with its file and line), the ``Batch`` of files a
command line names (folders walked), and ``write`` (an outcome into the output folder, all
or nothing). Data only: the pipeline fills them, the workers carry them, the cache stores
them.

To add an option that changes outputs: a field of ``Job`` (and ``build/cache._options``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from solgen.math.record import record
from solgen.build import BuildError, safe_target, write_all
from solgen.input.paths import walk

DEFAULT_TIMEOUT = 20.0
MAX_TIMEOUT = 24 * 3600.0  # --timeout's largest value


@record
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
    if outcome.tex:
        outcome.where = str(out / outcome.tex)
    if outcome.error is None or outcome.tex:
        try:
            for name in outcome.files:
                safe_target(out, name)  # refuses names that would leave the folder
            write_all({out / name: data for name, data in outcome.files.items()})
        except BuildError as exc:
            outcome.error, outcome.line, outcome.where = str(exc), None, None

