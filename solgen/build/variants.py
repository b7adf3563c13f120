"""``solgen variants FILE``: the variants' stress test (as R/exams' ``stresstest_exercise``).

Every variant is loaded, derived, checked and rendered (LaTeX and JSON) in a worker under
the time limit, as ``solgen render FILE --variant K`` would; a row per variant gives its
parameters, its answers and its seconds. The test fails when a variant errs, when two
variants give the same answer to the same part (students could copy), or when ``where``
rejects more than ``MAX_REJECTED`` of the draws (the constraints fight the ranges).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

from solgen.build.jobs import Job, Outcome
from solgen.input.variants import block

Process = Callable[..., Iterator[Outcome]]  # the pipeline's process(files, job, timeout, jobs)

MAX_REJECTED = 0.5  # the share of draws ``where`` may reject before the test fails


@dataclass
class Row:
    variant: int
    params: dict[str, str]
    answers: dict[str, Any] = field(default_factory=dict)  # part id (and ask) -> the graded answer text
    seconds: float = 0.0
    error: str | None = None
    line: int | None = None


@dataclass
class Report:
    rows: list[Row]
    failures: list[str]
    tried: int
    accepted: int
    rejected: int = 0


def part_answers(doc: dict) -> dict[str, Any]:
    """A JSON document's graded answers: each part's ``value`` at its point if it has one,
    else its ``result`` (text parts have none)."""
    out: dict[str, Any] = {}
    for i, part in enumerate(doc.get("parts", [])):
        if part.get("ask") in ("text", "figure", "identity") or "result" not in part:
            continue
        key = f"({part.get('id')}) {part.get('ask')}" + (f" #{i}" if any(
            p.get("id") == part.get("id") and p.get("ask") == part.get("ask") for p in doc["parts"][:i]) else "")
        out[key] = part["value"] if part.get("value") is not None else part["result"]
    return out


def stress(process: Process, path: str, count: int | None = None, seed: int | None = None, timeout: float = 20.0) -> Report:
    variants = block(path, seed)
    n = count or variants.count
    draws, tried, rejected = variants.draws(n)
    rows: list[Row] = []
    failures: list[str] = []
    if len(draws) < n:
        failures.append(f"only {len(draws)} distinct draws meet 'where' after {tried} tries; {n} were asked for")
    # rejected: by where (a repeated draw is skipped, not rejected)
    if tried and rejected / tried > MAX_REJECTED:
        failures.append(f"'where' rejects too many draws ({rejected} of {tried}); widen the ranges or relax 'where'")
    job = Job(("tex", "json"), ("handout",), seed=seed)
    for k, params in enumerate(draws, start=1):
        row = Row(k, {name: str(v) for name, v in params.items()})
        start = time.monotonic()
        (outcome,) = list(process((path,), replace(job, variant=k), timeout, 1))
        row.seconds = time.monotonic() - start
        if outcome.error is not None:
            row.error, row.line = outcome.error, outcome.line
            failures.append(f"variant {k}: {outcome.error}" + (f" (line {outcome.line})" if outcome.line else ""))
        else:
            doc = json.loads(next(t for name, t in outcome.files.items() if name.endswith(".json")))  # type: ignore[arg-type]
            row.answers = part_answers(doc)
        rows.append(row)
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        for part, answer in row.answers.items():
            text = json.dumps(answer, sort_keys=True)
            if (part, text) in seen:
                failures.append(f"variants {seen[(part, text)]} and {row.variant} give part {part} the same answer {_short(text)}")
            else:
                seen[(part, text)] = row.variant
    return Report(rows, failures, tried, len(draws), rejected)


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def table(report: Report) -> str:
    """The rows as a plain-text table."""
    head = ["variant", "params", "answers", "seconds"]
    lines = []
    for row in report.rows:
        params = ", ".join(f"{k}={v}" for k, v in row.params.items())
        answers = "error: " + row.error if row.error else "; ".join(
            f"{k.split(' ')[0]} {json.dumps(v, ensure_ascii=False)}" for k, v in row.answers.items())
        lines.append([f"{row.variant:>3}", params, _short(answers, 70), f"{row.seconds:.2f}"])
    widths = [max(len(head[i]), *(len(r[i]) for r in lines)) if lines else len(head[i]) for i in range(4)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in lines]
    return "\n".join(out)
