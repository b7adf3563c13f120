"""text: a question answered in prose (no derivation): a prompt, an answer, notes."""

from __future__ import annotations

from typing import Any

from solgen.math.record import record
from solgen.asks.base import Ask, Result
from solgen.present import blocks
from solgen.errors import SpecError


@record
class TextResult(Result):
    pass


def read(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    if not kw.get("prompt"):
        raise SpecError(f"part ({pid}): a text part needs a 'prompt'", data.line)


def derive(engine: Any, part: Any) -> TextResult:
    return TextResult(part)


def present(r: TextResult, tex: Any, problem: Any) -> dict[str, Any]:
    return {"groups": [], "answer": [], "answer_short": []}


ASK = Ask("text", frozenset(), read, derive, present, shaped=True, layout=blocks.text)
