"""What a derivation gives for one part: a typed ``Result`` (the writers and JSON read it by
attribute) with its step trees (``Entry``). Each ask (``asks/<ask>.py``) subclasses
``Result`` with its own fields."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, ClassVar
from solgen.math.record import record

if TYPE_CHECKING:
    from solgen.derive.rules import Rule
    from solgen.input.problem import Part


@record
class Entry:
    """One step tree: ``index`` is (i,) for a gradient entry, (i, j) for a matrix entry."""

    index: tuple[int, ...]
    tree: "Rule"


@record
class Result:
    """The derivation of one part. Subclasses add typed fields; ``answer`` is what JSON
    gives as the part's ``result``; every other field (but ``part`` and ``entries``) goes
    into the JSON under its own name, so each option's effect reaches it."""

    part: "Part"
    entries: tuple[Entry, ...] = ()
    ANSWER: ClassVar[str | None] = None  # the field ``answer`` gives (not repeated in the JSON)

    @property
    def answer(self) -> Any:
        return None

    def json_fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("part", "entries", self.ANSWER)}
