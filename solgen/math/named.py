"""Functions of the problem file kept by name inside other functions.

When ``L`` uses ``p`` (``p: "sigmoid(3w + b)"``, ``L: "-(y log(p) + (1 - y) log(1 - p))"``), a
TA writes the steps and the answer with ``p`` in them (``(p - y) x``), not with ``p``'s
definition pasted in. So the parser puts ``p(w, b)``, an instance of a ``Named`` class that
knows its definition, where the file says ``p``; it prints as ``p``, the chain rule goes
through it by name (``derive/diff.py``), and everything that needs numbers (the checker,
values at a point) sees the definition through ``unfold``. SymPy's own ``diff`` works on it
too (``fdiff`` differentiates the definition), so every step stays checkable.
"""

from __future__ import annotations

from typing import ClassVar

import sympy as sp
from solgen.math import tidy as house  # a cycle: tidy reads Named; both by module, at call time


USED = False  # set once a problem keeps a function by name; until then nothing here has work to do


class Named(sp.Function):
    """``name(x1, ..., xn)``: a function of the file, standing for its ``definition`` in
    the variables ``params`` (its arguments are always those variables, or a point)."""

    definition: ClassVar[sp.Expr]
    params: ClassVar[tuple[sp.Symbol, ...]]
    source_name: ClassVar[str]
    family: ClassVar[list["Named"]]  # every named function of the problem, this one included

    @classmethod
    def eval(cls, *args: sp.Expr) -> None:
        return None  # stays by name, even at a point; ``unfold`` gives its value

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.diff(self.definition, self.params[argindex - 1]).xreplace(dict(zip(self.params, self.args)))

    def _eval_is_real(self) -> bool:
        return True  # solgen's functions are real (the checker refuses the others)

    def _eval_evalf(self, prec: int) -> sp.Expr:
        return unfold(self)._eval_evalf(prec)

    def _latex(self, printer: object, exp: str | None = None) -> str:  # printed as its name: p, s_1
        tex = printer._print(sp.Symbol(self.source_name))  # type: ignore[attr-defined]
        return f"{tex}^{{{exp}}}" if exp else tex

    def _sympystr(self, printer: object) -> str:
        return printer._print(sp.Symbol(self.source_name))  # type: ignore[attr-defined]

    def opened(self) -> sp.Expr:
        """The definition at this instance's arguments (one level: inner names stay)."""
        if self.args == self.params:
            return self.definition  # as written (xreplace would rebuild its sums in SymPy's order)
        return self.definition.xreplace(dict(zip(self.params, self.args)))


def make(name: str, definition: sp.Expr, variables: tuple[sp.Symbol, ...], family: list) -> sp.Expr:
    """``name`` applied to the variables its definition uses, in the problem's order; the
    definition itself when it uses none (a constant needs no name to differentiate).
    ``family`` is the problem's list of named functions (shared; this one is added)."""
    params = tuple(v for v in variables if v in unfold(definition).free_symbols)
    if not params:
        return definition
    cls = type(f"Named_{name}", (Named,), {"definition": definition, "params": params, "source_name": name, "family": family})
    instance = cls(*params)
    family.append(instance)
    return instance


def used(value: sp.Expr) -> sp.Expr:
    """``value`` as a function's reference in another's expression; from then on the named
    machinery has work to do in this process."""
    global USED
    if isinstance(value, Named):
        USED = True
    return value


def fold(expr: sp.Expr, family: list) -> sp.Expr:
    """``expr`` with each named function's definition, where it appears as written, put
    back as its name: sigma(3w + b)(1 - sigma(3w + b)) -> p (1 - p)."""
    return house.replace_kept(expr, {f.opened(): f for f in family}) if family else expr


def softmax_derivative(f: Named, var: sp.Symbol) -> sp.Expr | None:
    """d s_i / d var for a softmax family, s_k = e^{a_k} / (e^{a_1} + ... + e^{a_n}), each
    e^{a_k} the numerator of a named function of the file: s_i (a_i' - sum_k s_k a_k'),
    which for a_k = z_k is the textbook s_i (delta_ij - s_j). None for anything else."""
    def parts(g: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
        pieces = sp.Mul.make_args(g)
        if len(pieces) != 2:
            return None
        top = next((p for p in pieces if isinstance(p, sp.exp)), None)
        bottom = next((p for p in pieces if isinstance(p, sp.Pow) and p.exp == -1 and isinstance(p.base, sp.Add)), None)
        if top is None or bottom is None:
            return None
        return top.args[0], bottom.base

    mine = parts(f.opened())
    if mine is None:
        return None
    total = mine[1]
    by_numerator = {}
    for other in f.family:
        found = parts(other.opened())
        if found is not None and found[1] == total:
            by_numerator[found[0]] = other
    if not all(isinstance(t, sp.exp) and t.args[0] in by_numerator for t in total.args):
        return None
    terms = [sp.diff(mine[0], var)]
    for t in total.args:
        a = t.args[0]
        terms.append(house.tmul(-1, by_numerator[a], sp.diff(a, var)))
    inner = house.tidy(sp.Add(*terms, evaluate=False))
    return house.tmul(f, inner)


def unfold(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every named function replaced by its definition, all the way down."""
    if not USED or not isinstance(expr, sp.Basic) or not expr.has(Named):
        return expr
    found = {a: unfold(a.opened()) for a in expr.atoms(Named)}
    return expr.xreplace(found)


def names_in(expr: sp.Expr) -> list[Named]:
    """The named functions ``expr`` uses, directly or through others, each once."""
    out: list[Named] = []
    todo = sorted(expr.atoms(Named), key=str) if USED and isinstance(expr, sp.Basic) else []
    while todo:
        item = todo.pop(0)
        if item not in out:
            out.append(item)
            todo.extend(sorted(item.opened().atoms(Named), key=str))
    return out
