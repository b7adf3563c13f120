"""A problem file with ``shapes:``: its variables (vectors or matrices), sizes, shaped names,
constants, assumptions and functions, read into ``Shaped`` (kept on the ``Problem``).

    variables: [w]                           # or several, vectors or matrices: [W, b]
    shapes: {w: [d], X: [m, d], y: [m]}      # vectors are columns; sizes symbols or integers
    constants: [lambda]                      # optional; then other names are errors
    assume: {A: symmetric, y: onehot}        # symmetric | positive_definite | onehot | probability
    functions: {L: "norm(X w - y)^2 + lambda * w^T w"}

Errors are ``SpecError`` at the line of the key at fault.
"""

from __future__ import annotations

import keyword
from dataclasses import field
from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.errors import SpecError
from solgen.input.expr import FUNCTIONS as SCALAR_FUNCTIONS, NAME_RE

# names a file cannot declare: the functions, pi and Euler's e (E is free: a size, a matrix)
RESERVED = set(SCALAR_FUNCTIONS) | {"pi", "e"}
from solgen.math.shaped import ONE, PY_NAMES, Node, Sym, latex, shape_text, text
from solgen.input.shaped import SPECIAL, ParseError, Scope, parse
from solgen.input.problem import Function, _dependency_order
import re

MAX_SHAPED = 24
MAX_VARIABLES = 6
MAX_INT_SIZE = 12  # integer sizes are used as they are by the checker
MATRIX_ASSUMPTIONS = ("symmetric", "positive_definite")
VECTOR_ASSUMPTIONS = ("onehot", "probability")


@record
class Shaped:
    """What ``shapes:`` declares, for the matrix engine and the writers."""

    variable: Sym
    shapes: dict[str, tuple[sp.Expr, sp.Expr]]
    written: dict[str, list[Any]]  # as in the file, for JSON
    sizes: tuple[str, ...]
    constants: tuple[str, ...]
    assume: dict[str, str]
    functions: dict[str, Node]
    scope: Scope = field(compare=False, hash=False)
    variables: tuple[Sym, ...] = ()  # every variable, the first is ``variable``

    def var(self, name: str) -> Sym:
        return next(v for v in self.variables if v.name == name)

    @property
    def symmetric(self) -> frozenset[str]:
        return frozenset(n for n, k in self.assume.items() if k in MATRIX_ASSUMPTIONS)

    @property
    def sums_to_one(self) -> frozenset[str]:
        return frozenset(n for n, k in self.assume.items() if k in VECTOR_ASSUMPTIONS)

    def symbols(self) -> dict[str, str]:
        """Names written otherwise in JSON (``lamda``) -> as in the file (``lambda``)."""
        names = set(self.shapes) | set(self.constants) | set(self.functions) | set(self.sizes)
        for f in self.functions.values():
            names |= f.atoms_named()
        return {PY_NAMES[n]: n for n in sorted(names) if n in PY_NAMES or keyword.iskeyword(n)}

    @property
    def literal_indices(self) -> set[int]:
        return self.scope.literal_indices

    def where(self) -> str:
        """w \\in R^d, X \\in R^{m x d}, ... in LaTeX."""
        out = []
        for name, (r, c) in self.shapes.items():
            dims = latex_size(r) if c == ONE else f"{latex_size(r)} \\times {latex_size(c)}"
            out.append(f"{latex(Sym(name, (r, c)))} \\in \\mathbb{{R}}^{{{dims}}}")
        return ", ".join(out)


def latex_size(s: sp.Expr) -> str:
    return sp.latex(s)


def _line(data: Any, key: str) -> int:
    return data.key_lines.get(key, data.line)


def _size(value: Any, line: int, taken: set[str]) -> sp.Expr:
    if isinstance(value, bool):
        raise SpecError("a size is a name such as m or a positive integer", line)
    if isinstance(value, int):
        if not 1 <= value <= MAX_INT_SIZE:
            raise SpecError(f"an integer size must be from 1 to {MAX_INT_SIZE} (use a size symbol such as n for larger ones)", line)
        return sp.Integer(value)
    name = str(value)
    if not NAME_RE.match(name) or name in RESERVED or name in SPECIAL or name in taken:
        raise SpecError(f"size {name!r} must be a new name such as m, n or d", line)
    return sp.Symbol(name)


def read_shaped(data: Any) -> tuple[tuple[sp.Symbol, ...], dict[str, Any], Shaped]:
    shapes_in = data["shapes"]
    sline = _line(data, "shapes")
    if not isinstance(shapes_in, dict) or not shapes_in:
        raise SpecError("'shapes' maps names to sizes, e.g. {w: [d], X: [m, d], y: [m]}", sline)
    if len(shapes_in) > MAX_SHAPED:
        raise SpecError(f"at most {MAX_SHAPED} shaped names", sline)
    shapes: dict[str, tuple[sp.Expr, sp.Expr]] = {}
    written: dict[str, list[Any]] = {}
    sizes: list[str] = []
    for name, dims in shapes_in.items():
        line = shapes_in.key_lines[name]
        if not NAME_RE.match(name) or name in RESERVED or name in SPECIAL:
            raise SpecError(f"{name!r} cannot be a vector or matrix name", line)
        if not isinstance(dims, list) or not 1 <= len(dims) <= 2:
            raise SpecError(f"shape of {name} must be [n] (a column vector) or [m, n] (a matrix)", line)
        got = tuple(_size(v, line, set(shapes_in)) for v in dims)
        for s in got:
            if s.is_Symbol and s.name not in sizes:
                sizes.append(s.name)
        shapes[name] = (got[0], got[1] if len(got) == 2 else ONE)
        written[name] = [v if isinstance(v, int) else str(v) for v in dims]
    names = data.get("variables")
    vline = _line(data, "variables")
    if not isinstance(names, list) or not 1 <= len(names) <= MAX_VARIABLES:
        raise SpecError("with 'shapes', 'variables' names the vectors or matrices to differentiate by, e.g. [w] "
                        f"or [W, b] (at most {MAX_VARIABLES})", vline)
    var_names = [str(n) for n in names]
    for var in var_names:
        if var not in shapes:
            raise SpecError(f"the variable {var!r} needs a shape in 'shapes', e.g. {var}: [d] or {var}: [k, d]", vline)
        if shapes[var] == (ONE, ONE):
            raise SpecError(f"the variable {var} must be a vector ({var}: [d]) or a matrix ({var}: [k, d]); it is "
                            f"{shape_text(shapes[var])}", vline)
        if shapes[var][0] == ONE:
            raise SpecError(f"the variable {var} is a row ({shape_text(shapes[var])}); write it as a column "
                            f"({var}: [{shapes[var][1]}]) and use {var}^T", vline)
    if len(set(var_names)) != len(var_names):
        raise SpecError("'variables' names a variable twice", vline)
    var = var_names[0]
    constants: tuple[str, ...] = ()
    closed = "constants" in data
    if closed:
        cl = _line(data, "constants")
        items = data["constants"]
        if not isinstance(items, list):
            raise SpecError("'constants' must be a list of names such as [lambda]", cl)
        for item, line in zip(items, items.item_lines):
            item = str(item)
            if item in shapes:
                raise SpecError(f"{item!r} is declared by 'shapes' alone; do not list it in 'constants'", line)
            if not NAME_RE.match(item) or item in RESERVED or item in SPECIAL or item in sizes:
                raise SpecError(f"{item!r} cannot be a constant (a size, a built-in, or not a name)", line)
        constants = tuple(str(i) for i in items)
    assume: dict[str, str] = {}
    if "assume" in data:
        raw = data["assume"]
        aline = _line(data, "assume")
        if not isinstance(raw, dict):
            raise SpecError("'assume' maps names to symmetric, positive_definite, onehot or probability", aline)
        for name, kind in raw.items():
            line = raw.key_lines[name]
            if name not in shapes:
                raise SpecError(f"'assume' names {name!r}, which has no shape", line)
            r, c = shapes[name]
            if kind in MATRIX_ASSUMPTIONS:
                if r != c or c == ONE:
                    raise SpecError(f"{kind} needs a square matrix; {name} is {shape_text(shapes[name])}", line)
            elif kind in VECTOR_ASSUMPTIONS:
                if c != ONE or name in var_names:
                    raise SpecError(f"{kind} is for a data vector (not the variable); {name} is {shape_text(shapes[name])}", line)
            else:
                raise SpecError(f"assumption {kind!r} for {name!r}: use one of "
                                f"{', '.join(MATRIX_ASSUMPTIONS + VECTOR_ASSUMPTIONS)}", line)
            assume[name] = str(kind)
    scope = Scope(shapes, var, set(sizes), set(constants) if closed else None, variables=frozenset(var_names))
    scope.symmetric = frozenset(n for n, k in assume.items() if k in MATRIX_ASSUMPTIONS)
    funcs = data.get("functions")
    fline = _line(data, "functions")
    parts = data.get("parts")
    only_identities = isinstance(parts, list) and parts and all(isinstance(p, dict) and p.get("ask") == "identity" for p in parts)
    if funcs is None and only_identities:  # a proof needs no function: its lhs and rhs are its own
        funcs = type(data)()  # an empty mapping with lines, as the loader makes them
        if hasattr(data, "key_lines"):
            funcs.key_lines = {}
    elif not isinstance(funcs, dict) or not funcs:
        raise SpecError("'functions' must map names to expressions, e.g. L: \"norm(X w - y)^2\"", fline)
    for name, value in funcs.items():
        line = funcs.key_lines[name]
        if not NAME_RE.match(name) or name in RESERVED or name in SPECIAL or name in shapes or name in sizes \
                or name in constants:
            raise SpecError(f"{name!r} cannot name a function (it is declared, a built-in, or not a name)", line)
        if isinstance(value, list):
            raise SpecError("with 'shapes', a vector function is one expression (such as sigmoid(X w)), not a list", line)
    functions: dict[str, Any] = {}
    for name in _dependency_order(funcs):
        value, line = funcs[name], funcs.key_lines[name]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise SpecError("expected an expression such as \"norm(X w - y)^2\"", line)
        src = str(value)
        try:
            node = parse(src, scope)
        except ParseError as exc:
            where = f" (column {exc.column})" if exc.column else ""
            raise SpecError(f"in {name}: {src[:60]!r}{where}: {exc}", line) from None
        scope.functions[name] = node
        functions[name] = Function(name, (node,), False, (src,), line)  # type: ignore[arg-type]
    functions = {n: functions[n] for n in funcs}
    shaped = Shaped(Sym(var, shapes[var], "var"), shapes, written, tuple(sizes), constants, assume,
                    dict(scope.functions), scope, tuple(Sym(v, shapes[v], "var") for v in var_names))
    return tuple(sp.Symbol(v) for v in var_names), functions, shaped


def json_header(problem: Any) -> dict[str, Any]:
    """JSON's ``functions`` (in solgen's grammar, as results are), ``shapes`` as in the file,
    and ``symbols``: the names JSON spells otherwise (``lamda``) -> as in the file."""
    shaped = problem.shapes
    return {
        "functions": {name: text(f.exprs[0], py_names=True) for name, f in problem.functions.items()},
        "shapes": shaped.written,
        "symbols": shaped.symbols(),
    }


def read_back(src: str, shaped: Shaped, symbols: dict[str, str] | None = None) -> Node:
    """A JSON result string (solgen's grammar, ``lamda`` for ``lambda``) back to a tree."""
    for py, name in (symbols or {}).items():
        src = _rename(src, py, name)
    shapes = {**shaped.shapes, **{"d" + v.name: v.shape for v in shaped.variables}}  # dw in a step's differential
    declared = set(shapes) | set(shaped.sizes) | set(shaped.functions) | set(shaped.constants)
    scope = Scope(shapes, shaped.variable.name, set(shaped.sizes), None, dict(shaped.functions), shaped.symmetric,
                  frozenset({"i", "j"} - declared), variables=frozenset(v.name for v in shaped.variables))
    return parse(src, scope)


def _rename(src: str, old: str, new: str) -> str:
    return re.sub(rf"(?<![A-Za-z0-9_]){re.escape(old)}(?![A-Za-z0-9_])", new, src)


__all__ = ["Shaped", "read_shaped", "read_back", "text"]
