"""A displayed formula: the LaTeX a reader sees together with the mathematics it claims.

Every formula a document shows (a step line, an answer, a value at a point, a Taylor
polynomial, a reading of a direction) is a ``Formula``: its text *is* the LaTeX the writers
print (it is ``Markup``, so templates print it as it is), and it carries

- ``forms``: the sides of the displayed chain ``A = B = C ≈ D`` in order, as SymPy
  expressions (a derivative as ``sp.Derivative``), shaped expression trees (vectors and
  matrices), ready-made sympify-readable strings, or ``None`` for a side that is not
  mathematics (a word, "…");
- ``relations``: one per neighbouring pair, from ``RELATIONS``;
- ``where``: values of symbols at a point, substituted into every form (``{x1: 1}``);
- ``shapes``: the document's shapes, for shaped forms.

Build one with ``chain``: it joins the sides' LaTeX with the relations' LaTeX, so the text
and the forms come from the same pieces and cannot drift apart. ``derive.check`` checks
every ``=`` of every formula before anything is written (``check_view``), and the ``tree``
writer serialises them (DESIGN.md, "The document tree").

To show a new kind of formula: build it with ``chain`` (or ``Formula(tex, forms,
relations)``) where the view is built, and put it in the view like any other math string.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from markupsafe import Markup

import sympy as sp

from solgen.math.record import record
from solgen.derive.check import false_relation
from solgen.errors import CheckError

RELATIONS: dict[str, str] = {"=": "=", "≈": r"\approx", "<": "<", ">": ">", "≤": r"\le", "≥": r"\ge",
                             "≠": r"\ne", "⇒": r"\Rightarrow"}


class Formula(Markup):
    """LaTeX (the string itself) with the sides and relations it displays."""

    forms: tuple[Any, ...]
    relations: tuple[str, ...]
    where: Mapping[Any, Any]
    shapes: Mapping[str, Any]

    def __new__(cls, tex: Any = "", forms: Iterable[Any] = (), relations: Iterable[str] = (),
                where: Mapping[Any, Any] | None = None, shapes: Mapping[str, Any] | None = None) -> Formula:
        forms = tuple(forms)
        if not forms and cls is Formula:  # Markup's own methods (strip, join, %) rebuild with the text alone:
            return Markup(tex)  # type: ignore[return-value]  # a piece of a formula is plain LaTeX
        obj = super().__new__(cls, tex)
        obj.forms = tuple(forms)
        obj.relations = tuple(relations)
        obj.where = dict(where or {})
        obj.shapes = dict(shapes or {})
        if obj.forms and len(obj.relations) != len(obj.forms) - 1:
            raise ValueError(f"a formula of {len(obj.forms)} sides needs {len(obj.forms) - 1} relations: {tex}")
        for r in obj.relations:
            if r not in RELATIONS:
                raise ValueError(f"unknown relation {r!r} in {tex}")
        return obj

    @property
    def tex(self) -> str:
        return str.__str__(self)

    def retex(self, tex: str) -> Formula:
        """The same claim written as ``tex`` (a writer's layout of the same sides)."""
        return Formula(tex, self.forms, self.relations, self.where, self.shapes)


class FormulaRow(Markup):
    """Several formulas displayed on one line (``x_0 = (1, 1), \\quad x_1 = (0.8, -1)``):
    the text is theirs joined by ``sep``; each is checked and serialised on its own."""

    parts: tuple[Formula, ...]

    def __new__(cls, parts: Iterable[Formula], sep: str = ", \\quad ") -> FormulaRow:
        if isinstance(parts, str):  # Markup's own methods rebuild with the text alone: plain LaTeX
            return Markup(parts)  # type: ignore[return-value]
        items = tuple(parts)
        obj = super().__new__(cls, sep.join(str.__str__(p) for p in items))
        obj.parts = items
        return obj


def row(parts: Iterable[Any], sep: str = ", \\quad ") -> Any:
    """One formula as it is, several as a ``FormulaRow``."""
    items = list(parts)
    return items[0] if len(items) == 1 else FormulaRow(items, sep)


@record
class Side:
    """One side of a chain: its LaTeX and what it means (``form``)."""

    tex: str
    form: Any = None


def chain(*items: Any, where: Mapping[Any, Any] | None = None, shapes: Mapping[str, Any] | None = None,
          sep: str = " ") -> Formula:
    """``chain(Side(a), "=", Side(b), "≈", Side(c))``: the formula ``a = b \\approx c``.
    A side may also be given as a ``(tex, form)`` pair."""
    sides: list[Side] = []
    relations: list[str] = []
    for i, item in enumerate(items):
        if i % 2:
            relations.append(item)
        else:
            sides.append(item if isinstance(item, Side) else Side(*item))
    tex = sides[0].tex
    for rel, side in zip(relations, sides[1:]):
        tex += f"{sep}{RELATIONS[rel]}{sep}{side.tex}"
    return Formula(tex, [s.form for s in sides], relations, where, shapes)


def formulas(view: Any) -> Iterable[Formula]:
    """Every formula in a view (dicts, lists, tuples and objects with ``__dict__`` walked
    iteratively), in document order."""
    stack: list[Any] = [view]
    seen: set[int] = set()
    while stack:
        value = stack.pop()
        if isinstance(value, Formula):
            yield value
            continue
        if isinstance(value, FormulaRow):
            stack.extend(reversed(value.parts))
            continue
        if isinstance(value, (str, bytes, int, float)) or value is None or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, Mapping):
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, (list, tuple)):
            stack.extend(reversed(value))


def check(view: Any) -> int:
    """Check every ``=`` (and every inequality between numbers) of every formula in
    ``view``; a false one is an internal error naming the formula, raised before anything
    is written. Returns how many formulas were checked. A formula shown twice (the same
    text, sides and point) is checked once, and a derivative worked out for one formula is
    reused by the next."""
    count = 0
    done: set[Any] = set()
    memo: dict[Any, Any] = {}
    for f in formulas(view):
        if len(f.forms) < 2:
            continue
        count += 1
        checker = getattr(f, "checker", None)
        key = None if checker is not None else _key(f)
        if key is not None and key in done:
            continue
        bad = checker(f) if checker is not None else false_relation(f.forms, f.relations, f.where, memo)
        if bad is not None:
            raise CheckError(f"internal error: a displayed formula is false ({f.relations[bad]} between "
                             f"sides {bad + 1} and {bad + 2}): {f.tex}")
        if key is not None:
            done.add(key)
    return count


def _key(f: Formula) -> Any:
    """What makes two formulas the same check (None: not hashable, check it each time)."""
    try:
        forms = tuple(x.as_immutable() if isinstance(x, sp.MatrixBase) else x for x in f.forms)
        key = (str(f), tuple(f.relations), forms, tuple(sorted((str(k), v) for k, v in (f.where or {}).items())))
        hash(key)
    except TypeError:
        return None
    return key
