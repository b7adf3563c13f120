"""The pipeline: load -> solve -> present -> write, for each problem file, under limits.

Used by the command line and the tests alike. Each file is rendered (``build/render.py``:
loaded, derived, presented, written to texts and, with ``pdf``, compiled) in a worker
process under a wall-clock limit (``timeout``, for the whole file, pdflatex included) and a
memory limit (``build/workers.py``); the worker returns finished texts and the parent
writes a file's outputs all or nothing (``write``). Every failure becomes an ``Outcome``
with an error (and its file and line), never an exception; a folder, a missing file, or a
second file with an id seen before is such an error of that file alone. An unchanged file
is answered by the cache (``build/cache.py``) before SymPy is imported: the render module
is loaded only when a file is rendered (``math/lazy.py``).

To add a step to the render: extend ``build/render.work`` and ``Job``.
"""

from __future__ import annotations

import gc
import os
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

from solgen.build.cache import file_hash
from solgen.build.jobs import DEFAULT_TIMEOUT, MAX_TIMEOUT, Batch, Job, Outcome, expand, walk_batch, write, _not_a_file
from solgen.build import WORKER_MEMORY, Stopped, _stop_signal, stoppable
from solgen.input import paths
from solgen.input.config import find_config
from solgen.math import lazy
from solgen.input.section_files import is_regular, is_section

__all__ = ["DEFAULT_TIMEOUT", "MAX_TIMEOUT", "WORKER_MEMORY", "Batch", "Job", "Outcome", "Stopped", "allowance",
           "expand", "preload", "process", "stoppable", "walk_batch", "write"]

SECTION_KINDS = ("slides", "handout", "worksheet")  # what a section makes when no kind is asked for (build/render.py's)


def _work(path: str, job: Job, deadline: float | None = None, progress: Any = None) -> Outcome:
    """One file's render (``build/render.work``), loaded on first use: SymPy and the engine
    are imported by the first file that is rendered, not for one the cache answers."""
    return lazy.load("render").work(path, job, deadline, progress)


def _config_current(hit: Outcome, path: str) -> bool:
    """Was the cached ``hit`` made with the solgen.toml that applies to ``path`` now (none
    then and one now, or another nearer one, is a change its input hashes cannot show)?"""
    found = find_config(path)
    return found is None or os.path.realpath(found) in hit.digests


def allowance(path: str, timeout: float) -> tuple[float, str]:
    """The seconds a file's worker may take, and what they are for: ``timeout`` for a
    problem file; for a section, ``timeout`` for it and again for each problem it names."""
    if not is_section(path):
        return timeout, "a problem file"
    n = lazy.load("section_load").referenced(path)  # the section loader: only for sections
    return min(MAX_TIMEOUT, timeout * (1 + n)), f"this section ({timeout:g} s for it and for each of the {n} files it names)"


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
    results = lazy.load("workers").run_parallel(_work, allowance, todo, job, timeout, jobs) if parallel else None
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
                workers = lazy.load("workers")
                outcome = _not_a_file(p) or (workers.roomy(_work, p, job, time.monotonic() + timeout if timeout > 0 else None)
                                             if job.debug or timeout <= 0 else workers.run_limited(_work, (p, job), *allowance(p, timeout)))
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
    sections = any(is_section(p) for p in paths)
    problems = not all(is_section(p) for p in paths)
    render = lazy.load("render")  # SymPy, the engine, the present stage, the section loader
    lazy.load("askspec").registry()  # every ask's module
    if any(_declares_shapes(p) for p in paths):  # vectors and matrices: their engine too
        lazy.load("matrix_asks")
        lazy.load("matrix_identity")

    if any(f not in ("json", "tree") for f in job.formats):
        templates = lazy.load("templates")
        environment, template_name, load_words = templates.environment, templates.template_name, render.load_words
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
    try:  # by the path policy: a file swapped for a pipe since it was checked cannot hang this
        head = paths.read(path, None, 1 << 20).data[:65536].decode("utf-8", "replace")
    except paths.PathError:
        return False
    return re.search(r"(?m)^shapes\s*:", head) is not None

