"""Multiple choice in documents: a part with ``choices: N`` lists the key and its
distractors (``derive/malrules.py``) under the question's prompt, in an order fixed by the
problem id, the part and the variant (the key is not always (a)), and its solution says
which letter is right ("Answer: (c).", ``choice.key`` in the words catalogs).

``Choices`` and ``Both`` are data; ``formats/inline.py`` renders them, like a Sentence.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any, Protocol

from solgen.math.record import record
from solgen.present.words import Sentence, Words

if TYPE_CHECKING:
    from solgen.input.problem import Part, Problem
    from solgen.present.view import Tex

from solgen.math import lazy

LETTERS = "abcdefgh"


class Renderable(Protocol):
    """What a template prints: a Sentence, Choices, Both, a view's TexMath."""

    def as_format(self, fmt: str) -> str: ...


class Derived(Protocol):
    """A part's derivation (asks.base.Result), as far as choices reads it."""

    @property
    def part(self) -> Part: ...


@record
class Option:
    letter: str
    tex: str  # the answer's LaTeX
    key: bool
    malrule: str | None  # None for the key
    answer: Any  # the value: a SymPy expression (untyped), a list of them, or a list of rows


@record
class Choices:
    intro: Sentence  # "Choose one:"
    options: tuple[Option, ...]

    @property
    def key(self) -> Option:
        return next(o for o in self.options if o.key)


@record
class Both:
    """Two renderable pieces, one after the other (the TA's answer text, then the key)."""

    first: object  # a Sentence, Choices or Both: formats.inline renders each
    second: object

    def __bool__(self) -> bool:
        return True


def answer_tex(answer: Any, tex: Tex) -> str:
    if isinstance(answer, list) and answer and isinstance(answer[0], list):
        return tex.mat(answer)
    if isinstance(answer, list):
        return tex.col(answer) if len(answer) > 1 else tex(answer[0])
    return tex(answer)


def choices(problem: Problem, result: Derived, tex: Tex, words: Words) -> Choices:
    """The options of a multiple-choice part, in their fixed order."""
    malrules = lazy.load("malrules")  # the mal-rules: only for a part with choices
    key = malrules.graded(result)
    items = [(key, None)] + [(d.answer, d.malrule) for d in malrules.distractors(problem, result.part)]
    order = list(range(len(items)))
    random.Random(f"solgen-choices:{problem.id}:{result.part.id}:{result.part.line}:{problem.variant}").shuffle(order)
    options = tuple(Option(LETTERS[i], answer_tex(items[j][0], tex), j == 0, items[j][1], items[j][0])
                    for i, j in enumerate(order))
    return Choices(words("choice.prompt"), options)
