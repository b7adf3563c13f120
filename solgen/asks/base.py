"""What every ask has: a typed ``Result`` (the writers and JSON read it by attribute) and
an ``Ask`` entry (its keys, how to read them, derive, present)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import sympy as sp

from solgen.present import blocks

if TYPE_CHECKING:
    from solgen.derive.calculus import Engine
    from solgen.derive.rules import Rule
    from solgen.input.problem import Part, Problem
    from solgen.present.view import Tex

COMMON_KEYS = frozenset({"id", "ask", "prompt", "answer", "notes", "choices"})


@dataclass(frozen=True)
class Entry:
    """One step tree: ``index`` is (i,) for a gradient entry, (i, j) for a matrix entry."""

    index: tuple[int, ...]
    tree: "Rule"


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Ask:
    """An ask's entry in the registry."""

    name: str
    keys: frozenset[str]  # the part keys it reads, beyond id, ask, prompt, answer, notes
    read: Callable[[Any, dict, dict, str], None]  # (data, ctx, kw, pid): check and fill Part fields
    derive: Callable[["Engine", "Part"], Result]
    present: Callable[[Any, "Tex", "Problem"], dict[str, Any]]
    shaped: bool = False  # works in a file with shapes: (vectors and matrices); else an error there
    layout: "blocks.Layout" = blocks.default  # the part's blocks for the templates (present/blocks.py)


def at_point(engine: "Engine", part: "Part", result: Any) -> Any:
    """``result`` (an expression, a list or a matrix) at the part's point ``at``, exactly;
    None when the part has no point."""
    if not part.at:
        return None
    if isinstance(result, (list, tuple)):
        return [at_point(engine, part, r) for r in result]
    return engine.at(result, part)


def factored(result: Any, factor: Callable[[sp.Expr], sp.Expr]) -> Any:
    """``simplify: factor``: the result with common factors pulled out, or None if that
    changes nothing (a list, a matrix or one expression)."""
    if isinstance(result, list) and result and isinstance(result[0], list):
        rows = [[factor(e) for e in row] for row in result]
        return rows if rows != [list(r) for r in result] else None
    if isinstance(result, list):
        out = [factor(e) for e in result]
        return out if out != list(result) else None
    out1 = factor(result)
    return out1 if out1 != result else None


def no_wrt(data: Any, pid: str) -> None:
    """``wrt:`` names one of several vector or matrix variables; a scalar problem has none."""
    from solgen.errors import SpecError

    if "wrt" in data:
        raise SpecError(f"part ({pid}): 'wrt' picks one of several vector or matrix variables (a file with 'shapes'); "
                        "here every partial is taken, or ask for one with ask: partial", data.key_lines["wrt"])


def derivative(expr: Any, *variables: Any) -> Any:
    """What a derivative's symbol means, as a ``Formula`` side: d(expr)/d(variables),
    unevaluated, with the file's named functions opened (sympify reads it back)."""
    from solgen.math.named import unfold

    return sp.Derivative(unfold(expr), *variables)


def matrix_form(rows: Any) -> Any:
    """A list (a column) or a list of rows as a SymPy Matrix, named functions opened."""
    from solgen.math.named import unfold

    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in rows]
    return sp.Matrix([[unfold(e) for e in row] for row in rows])

