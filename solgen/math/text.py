"""An expression as text SymPy's ``sympify`` reads back to the same value (the JSON's and the
tree's expressions): ``str()``, with the symbols ``sympify`` would misread spelt out
(``Symbol('lambda')``) and solgen's own functions (sigmoid) in what SymPy knows."""

from __future__ import annotations

import keyword
from functools import lru_cache
from typing import Any, cast

import sympy as sp
from sympy.printing.str import StrPrinter


class _Printer(StrPrinter):  # type: ignore[misc]  # SymPy ships no types: StrPrinter is Any
    """``str()`` of an expression, but with the symbols sympify would misread spelt out, and
    solgen's own functions (sigmoid) written in what sympify knows."""

    _MEMO_MAX = 100_000

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[tuple[sp.Basic, bool], str] = {}

    def _print(self, expr: Any, **kwargs: Any) -> str:
        """Each expression printed once: a Hessian's entries are the results of its step
        trees, printed again in its answer (settings are fixed; what a part prints depends
        only on it and, for a Float, on whether it is the whole expression)."""
        if kwargs or not isinstance(expr, sp.Basic):
            return cast(str, super()._print(expr, **kwargs))
        key = (expr, self._print_level > 0)
        out = self._memo.get(key)
        if out is None:
            out = cast(str, super()._print(expr))
            if len(self._memo) > self._MEMO_MAX:
                self._memo.clear()
            self._memo[key] = out
        return out

    def _print_sigmoid(self, expr: sp.Expr) -> str:
        return f"(1/(1 + exp(-({self._print(expr.args[0])}))))"

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        name: str = expr.name
        if keyword.iskeyword(name) or hasattr(sp, name) or not name.isidentifier():
            return f"Symbol({name!r})"
        return name


@lru_cache(maxsize=1)
def _printer() -> _Printer:
    return _Printer()


def expr_text(expr: Any) -> str:
    return cast(str, _printer().doprint(expr)) if isinstance(expr, sp.Basic) else str(expr)
