"""A run over a course: the files of a command line grouped by their nearest solgen.toml,
each group with its own Job and output folder (the toml's ``formats``, ``templates`` and
``out`` where no flag gives them). The toml's ``course``, ``author`` and ``lang`` apply per
file, in the pipeline (``build/render.course_defaults``). Used by ``solgen render`` and
``solgen watch``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

from solgen.math.record import record
from solgen.build.jobs import Batch, Job, walk_batch
from solgen.input.config import ConfigError, find_config, load_config


@record
class Flags:
    """The options a solgen.toml may give, as typed on the command line (None, (): not given)."""

    out: str | None = None
    formats: tuple[str, ...] = ()
    templates: str | None = None


def course_batches(files: tuple[str, ...] | list[str], job: Job,
                   flags: Flags) -> list[tuple[Batch, Job, Path, str | None]]:
    """``files`` (folders walked, as ``pipeline.walk_batch`` does) grouped by their nearest
    solgen.toml, each group a Batch with its Job and output folder: the toml's formats,
    templates and out where no flag gives them. The walk's warnings go with the first
    group. Raises ConfigError for a solgen.toml that cannot be used (with the files it
    would have applied to in ``error.files``)."""
    log = logging.getLogger("solgen")
    walked = walk_batch(files)
    groups: dict[str | None, Batch] = {}
    for path in walked.units:
        group = groups.setdefault(find_config(path), Batch(warnings=[] if groups else list(walked.warnings)))
        group.units.append(path)
        if path in walked.errors:
            group.errors[path] = walked.errors[path]
    batches = []
    for found, batch in groups.items():
        group_job, out = job, Path(flags.out or "out")
        if found is not None:
            try:
                config = load_config(found)
            except ConfigError as exc:
                exc.files = batch.units  # type: ignore[attr-defined]
                exc.warnings = batch.warnings  # type: ignore[attr-defined]
                raise
            log.info("%s: course defaults for %d file(s)", found, len(batch.units))
            formats = job.formats if flags.formats or not config.formats else config.formats
            if job.pdf and "tex" not in formats:
                formats = ("tex", *formats)
            templates = job.templates if flags.templates or not config.templates else config.templates
            group_job = replace(job, formats=formats, templates=templates)
            out = Path(flags.out) if flags.out else Path(shown(config.out) if config.out else "out")
        batches.append((batch, group_job, out, found))
    return batches


def shown(path: str) -> str:
    """``path`` relative to the working folder when it lies inside it (as printed)."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel
