"""A part's layout as a list of blocks, so the templates print blocks and never ask which
ask a part is.

Each ask's ``Ask.layout`` (``asks/base.py``) fills three fields of its part's view, once the
view is complete (``present.view.build_view``):

- ``show``: the handout's blocks, in order, each a dict with one key naming its kind:
  ``{"groups": True}`` (the part's derivations), ``{"text": s}`` (a sentence as a paragraph),
  ``{"lead": s}`` (a sentence that runs into what follows), ``{"so": s}`` (the sentence
  before the answer), ``{"math": f}`` (a displayed formula), a chain ``lhs = middle = result``
  is one ``math`` block, or two (``lhs = middle``, ``= result``) when it is too wide,
  ``{"lines": [f, ...], "joined": f | None}`` (values at a point, on one line when they fit),
  ``{"items": True}`` (directional readings), ``{"figure": True}`` (a picture beside its
  answer) and ``{"end": True}`` (the end of an answer: a paragraph break in LaTeX);
- ``slide``: the answer slide, one of ``{"items": True}``, ``{"figure": True}``,
  ``{"answer": [...], "answer_section": [...]}`` (lines on an answer frame of their own),
  ``{"prose": True}`` (the answer prose alone) or ``{"short": [...], "note": s | None}``;
- ``drawn`` (the part is a picture: a worksheet shows it blank) and ``space`` (the
  worksheet's room to write, in lines).

To lay out a new kind of part: write a layout here (or reuse ``default``) and name it in
the ask's ``Ask(..., layout=...)``; a new kind of block needs a branch in each format's
``parts`` template.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from solgen.present import view as _view  # a cycle: the view calls the layouts, they measure with it
from solgen.present.formula import Formula

if TYPE_CHECKING:
    from solgen.present.words import Words

View = dict[str, Any]
Layout = Callable[[View, "Words"], None]

GROUPS: dict[str, Any] = {"groups": True}


def _has_steps(p: View) -> bool:
    groups = p.get("groups") or []
    return bool(groups and groups[0].get("lines"))


def _common(p: View, show: list[dict[str, Any]], slide: dict[str, Any], *, drawn: bool = False, space: int = 12) -> None:
    p["show"], p["slide"], p["drawn"], p["space"] = show, slide, drawn, space


def answer_blocks(p: View, words: "Words") -> list[dict[str, Any]]:
    """The derivations, "So", and the answer: its first line as a chain when the matrix of
    partials is shown."""
    show: list[dict[str, Any]] = [GROUPS]
    if _has_steps(p):
        show.append({"so": words("steps.so")})
    answer = list(p.get("answer") or [])
    if p.get("equation") and answer:
        lines = _chain(answer[0], list(p["equation"]))
        show.extend(lines)
        p["answer"] = [b["math"] for b in lines] + answer[1:]  # what the handout prints, as the tree reads it
        answer = answer[1:]
    show.extend({"math": line} for line in answer)
    show.append({"end": True})
    return show


def _chain(whole: Any, pieces: list[str]) -> list[dict[str, Any]]:
    """``lhs = middle = result`` on one line when it fits the handout's line, else ``lhs =
    middle`` and ``= result`` on two (the second formula's left side is the middle, not
    written again); either way each displayed formula is printed as it is checked."""
    lhs, middle, result = pieces
    forms = getattr(whole, "forms", ())
    if _view.width(str(whole)) <= _view.LINE or len(forms) != 3 or hasattr(whole, "checker"):
        return [{"math": whole}]
    first = Formula(f"{lhs} = {middle}", forms[:2], ["="], whole.where, whole.shapes)
    rest = Formula(f"= {result}", forms[1:], ["="], whole.where, whole.shapes)
    return [{"math": first}, {"math": rest}]


def default(p: View, words: "Words") -> None:
    """Derivations, then the answer; on a slide the short answer. A part with blocks of its
    own (critical points, iterates) shows them after its derivations."""
    if "blocks" in p:
        return steps_then_blocks(p, words)
    _common(p, answer_blocks(p, words), {"short": list(p.get("answer_short") or []), "note": None})


def hessian(p: View, words: "Words") -> None:
    """As ``default``, said first that the matrix is symmetric (so half its entries are derived)."""
    default(p, words)
    if p.get("symmetric") and _has_steps(p):
        p["show"].insert(0, {"text": words("hessian.symmetric")})


def jacobian(p: View, words: "Words") -> None:
    """As ``default``, saying after the answer when the Jacobian is a Hessian."""
    default(p, words)
    if p.get("equals_hessian"):
        p["show"].append({"lead": words("jacobian.equals_hessian")})
        p["slide"]["note"] = words("jacobian.equals_hessian_short")


def steps_then_blocks(p: View, words: "Words") -> None:
    """A lead sentence, the derivations, then the ask's own blocks (critical points, iterates)."""
    show: list[dict[str, Any]] = [{"text": p["lead"]}] if p.get("lead") else []
    show.append(GROUPS)
    show.extend(p.get("blocks") or [])
    _common(p, show, {"short": list(p.get("answer_short") or []), "note": None})


def taylor(p: View, words: "Words") -> None:
    """The general polynomial, the derivatives it needs, their values at the point and the
    polynomial there, and an estimate."""
    answer = list(p.get("answer") or [])
    show: list[dict[str, Any]] = [{"lead": p.get("intro")}, {"math": answer[0]}]
    if _has_steps(p):
        show.append({"lead": words("taylor.needs")})
    show.append(GROUPS)
    general = p.get("general") or {}
    if general.get("hessian"):
        show.extend({"math": line} for line in general.get("lines") or [])
    at_lines = list(p.get("at_lines") or [])
    estimate = list(p.get("estimate_lines") or [])
    if at_lines:
        show.append({"lead": words("taylor.at_point")})
        # the values on one line when they fit: a layout of the at_lines formulas, kept out of the view's fields
        show.append({"lines": at_lines, "joined": p.pop("at_joined", None)})
        show.append({"lead": words("taylor.around")})
        show.append({"math": answer[-1]})
        if estimate:
            show += [{"lead": p["estimate_intro"]}, {"math": estimate[0]}, {"lead": p["estimate_exact"]}, {"math": estimate[1]}]
    section = answer[:1] + ([",\\quad ".join(str(a) for a in at_lines)] if at_lines else []) + answer[1:] + estimate
    _common(p, show, {"answer": answer[:1] + at_lines + answer[1:] + estimate, "answer_section": section})


def figure(p: View, words: "Words") -> None:
    """A picture beside its answer lines and legend; blank on a worksheet."""
    _common(p, [{"figure": True}], {"figure": True}, drawn=True)


def directional(p: View, words: "Words") -> None:
    """The gradient's derivation, then one reading per direction."""
    _common(p, [GROUPS, {"lead": p["intro"]}, {"items": True}], {"items": True})


def text(p: View, words: "Words") -> None:
    """A question answered in prose only: less room on a worksheet."""
    _common(p, answer_blocks(p, words), {"prose": True}, space=5)
