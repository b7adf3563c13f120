"""``solgen export PATH... --to moodle|canvas|prairielearn|exam``: problem files (and their
variants) to an LMS's import format or printable exam forms.

Each file's variants are first derived in a worker under the time limit (as ``solgen
render`` does: a file that errs or runs too long is reported as ``FILE:LINE: error:`` and
left out); then every export is built in memory from ``formats/quiz.py``'s ``Exercise``
and written all or nothing into ``--out``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from solgen.build import compile_pdf, safe_target, write_all
from solgen.build.jobs import Job, Outcome, expand
from solgen.errors import BuildError, SolgenError
from solgen.formats.canvas import to_canvas
from solgen.formats.exam import to_exam
from solgen.formats.moodle import to_moodle
from solgen.formats.prairielearn import to_prairielearn
from solgen.formats.quiz import collect
from solgen.input.problem import load_problem
from solgen.input.variants import block
from solgen.present.words import load_words
from solgen.input.section_files import is_section

Process = Callable[..., Iterator[Outcome]]  # the pipeline's process(files, job, timeout, jobs)

TARGETS = ("moodle", "canvas", "prairielearn", "exam")


@dataclass
class ExportResult:
    files: dict[str, bytes | str] = field(default_factory=dict)  # relative path -> content
    errors: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _checked(process: Process, path: str, count: int | None, timeout: float) -> Outcome | None:
    """Derive every variant of ``path`` in a worker under the time limit: the first failure, or None."""
    try:
        first = load_problem(path)
    except Exception as exc:  # noqa: BLE001 - reported as the file's error
        return Outcome(path, error=str(exc), line=getattr(exc, "line", None))
    numbers: list[int | None] = [None]
    if first.params:
        numbers = list(range(1, (count or block(path).count) + 1))
    for k in numbers:
        (outcome,) = list(process((path,), Job(("json",), ("handout",), variant=k), timeout, 1))
        if outcome.error is not None:
            return outcome
    return None


def export(process: Process, paths: tuple[str, ...], target: str, out: Path, count: int | None = None, forms: int = 2,
           timeout: float = 20.0, quiz_name: str = "solgen") -> ExportResult:
    """The export of the problem files ``paths`` to ``target``, each variant derived first
    by ``process`` (the pipeline's, under its time limit)."""
    result = ExportResult()
    exercises = []
    for path in expand(paths):
        if is_section(path):
            result.notes.append(f"{path}: a section; export its problem files")
            continue
        failed = _checked(process, path, count, timeout)
        if failed is not None:
            result.errors.append(failed)
            continue
        try:
            exercises.append(collect(path, count))
        except SolgenError as exc:
            result.errors.append(Outcome(path, error=str(exc), line=exc.line))
        except Exception as exc:  # noqa: BLE001 - a bug, said as one, never a traceback
            result.errors.append(Outcome(path, error=f"internal error while exporting ({type(exc).__name__}: {exc}); "
                                                     "please report this problem file"))
    if not exercises:
        return result
    ids = [e.id for e in exercises]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        result.errors.append(Outcome(exercises[ids.index(dup, ids.index(dup) + 1)].path, error=f"a second problem with id {dup!r}"))
        return result

    def words_for(ex: Any) -> Any:
        return load_words(load_problem(ex.path).lang)

    if target == "moodle":
        data, notes = to_moodle(exercises, words_for)
        result.files[f"{quiz_name}-moodle.xml"] = data
        result.notes += notes
    elif target == "canvas":
        data, notes = to_canvas(exercises, quiz_name, words_for)
        result.files[f"{quiz_name}-canvas.zip"] = data
        result.notes += notes
    elif target == "prairielearn":
        files, notes = to_prairielearn(exercises, words_for)
        result.files.update(files)
        result.notes += notes
    elif target == "exam":
        files, notes = to_exam(exercises, forms, words_for)
        for name in [n for n in files if n.endswith(".tex")]:
            try:
                files[name[:-4] + ".pdf"] = compile_pdf(str(files[name]), name[:-4], runs=2, timeout=timeout * 4 if timeout else None)
            except BuildError as exc:  # said of the exam's .tex, with its line (not of a problem file)
                where = f" (line {exc.line})" if exc.line else ""
                raise BuildError(f"{exc}{where}", None, name) from None
        result.files.update(files)
        result.notes += notes
    return result


def write(result: ExportResult, out: Path) -> list[Path]:
    """Every file of the export, all or nothing; returns their paths."""
    targets: dict[Path, str | bytes] = {}
    for rel, data in result.files.items():
        *folders, name = rel.split("/")
        where = out
        for folder in folders:
            where = safe_target(where, folder)
            where.mkdir(parents=True, exist_ok=True)
        out.mkdir(parents=True, exist_ok=True)
        targets[safe_target(where, name)] = data
    write_all(targets)
    return list(targets)
