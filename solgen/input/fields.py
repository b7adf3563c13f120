"""Readers for the part keys the asks share (``of``, ``at``, ``order``, ``directions``,
``decimals``, ``simplify``, ``detail``): each checks its value and raises ``SpecError``
at the key's line. An ask's ``read`` calls the ones it uses; a key no ask reads is refused
by the problem reader before."""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from solgen.errors import SpecError
from solgen.input.expr import NAME_RE, ParseError, parse_exact

SIMPLIFY = ("none", "factor")
DETAILS = ("full", "standard", "answer")


def line_of(data: Any, key: str) -> int:
    return data.key_lines.get(key, data.line)


def read_of(data: Any, ctx: dict, kw: dict, pid: str, ask: str, scalar: bool) -> None:
    """``of: f`` or ``of: grad f``: a function of the file; a scalar one where ``scalar``."""
    functions = ctx["functions"]
    if "of" not in data or data["of"] is None:
        raise SpecError(f"part ({pid}) needs 'of'", data.line)
    of = str(data["of"])
    m = re.fullmatch(r"\s*(grad\s+)?([A-Za-z][A-Za-z0-9_]*)\s*", of)
    if not m or m.group(2) not in functions:
        names = ", ".join(functions)
        raise SpecError(f"part ({pid}): of: {of!r} names no function (defined: {names}; or 'grad NAME')", data.key_lines["of"])
    name, grad = m.group(2), bool(m.group(1))
    func = functions[name]
    kw["of"], kw["grad"] = name, grad
    if grad and func.vector:
        raise SpecError(f"part ({pid}): 'grad {name}' needs a scalar function; {name} is a vector", data.key_lines["of"])
    if scalar and (func.vector or grad):
        raise SpecError(f"part ({pid}): the {ask} needs a scalar function; {of} is a vector", data.key_lines["of"])


def read_point(value: Any, line: int, what: str, ctx: dict) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
    if not isinstance(value, dict):
        raise SpecError(f"{what} must map each variable to a number, e.g. {{x1: 0, x2: 1}}", line)
    symbols = ctx["symbols"]
    for name in value:
        if name not in symbols:
            raise SpecError(f"{what} names {name!r}, which is not a variable", value.key_lines[name])
    missing = [n for n in symbols if n not in value]
    if missing:
        raise SpecError(f"{what} gives no value for {', '.join(missing)}", line)
    try:
        return tuple((symbols[n], parse_exact(value[n], ctx.get("params"))) for n in symbols)
    except ParseError as exc:
        raise SpecError(f"{what}: {exc}", line) from None


def read_at(data: Any, ctx: dict, kw: dict, pid: str, ask: str, required: bool) -> None:
    if "at" in data:
        kw["at"] = read_point(data["at"], data.key_lines["at"], f"part ({pid}): 'at'", ctx)
    elif required:
        raise SpecError(f"part ({pid}): the {ask} needs a point 'at', e.g. at: {{x1: 0, x2: 1}}", data.line)


def read_estimate(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    """``estimate: {x: 6.9, y: 2.06}``: where to read the approximation off (needs ``at``)."""
    if "estimate" in data:
        if "at" not in data:
            raise SpecError(f"part ({pid}): 'estimate' needs the point 'at' the approximation is made around",
                            data.key_lines["estimate"])
        kw["estimate"] = read_point(data["estimate"], data.key_lines["estimate"], f"part ({pid}): 'estimate'", ctx)


def read_detail(data: Any, kw: dict, pid: str, default: str) -> None:
    detail = data.get("detail", default)
    if detail not in DETAILS:
        raise SpecError(f"part ({pid}): detail must be one of {', '.join(DETAILS)}", line_of(data, "detail"))
    kw["detail"] = detail


def read_simplify(data: Any, kw: dict, pid: str, default: str) -> None:
    simplify = data.get("simplify", default)
    if simplify not in SIMPLIFY:
        raise SpecError(f"part ({pid}): simplify must be one of {', '.join(SIMPLIFY)}", line_of(data, "simplify"))
    kw["simplify"] = simplify


def read_decimals(data: Any, kw: dict, pid: str) -> None:
    if "decimals" in data:
        dec = data["decimals"]
        if isinstance(dec, bool) or not isinstance(dec, int) or not 0 <= dec <= 15:
            raise SpecError(f"part ({pid}): decimals must be an integer from 0 to 15", data.key_lines["decimals"])
        kw["decimals"] = dec


def read_taylor_order(data: Any, ctx: dict, kw: dict, pid: str, limit: int | None = None) -> None:
    """``order``: 1 to 6 for a taylor part (``limit``); a figure's two-variable picture draws 1 or 2."""
    order = data.get("order", 2)
    limit = limit if limit is not None else (2 if len(ctx["symbols"]) > 1 else 6)
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= limit:
        raise SpecError(f"part ({pid}): taylor order must be an integer from 1 to {limit}", line_of(data, "order"))
    kw["order"] = order


def read_partial_order(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    if "order" not in data or data["order"] is None:
        raise SpecError(f"part ({pid}) needs 'order'", data.line)
    order = data["order"]
    if not isinstance(order, list) or not order or len(order) > 4:
        raise SpecError(f"part ({pid}): partial order must list 1 to 4 variables, e.g. [x1, x2]", data.key_lines["order"])
    bad = [str(v) for v in order if str(v) not in ctx["symbols"]]
    if bad:
        raise SpecError(f"part ({pid}): {bad[0]!r} in order is not a variable", data.key_lines["order"])
    kw["order"] = tuple(ctx["symbols"][str(v)] for v in order)


def read_directions(data: Any, ctx: dict, kw: dict, pid: str) -> None:
    if "directions" not in data or data["directions"] is None:
        raise SpecError(f"part ({pid}) needs 'directions'", data.line)
    dirs = data["directions"]
    if not isinstance(dirs, dict) or not dirs:
        raise SpecError(f"part ({pid}): directions must map names to vectors, e.g. {{d1: [1, 1]}}", data.key_lines["directions"])
    out = []
    n = len(ctx["symbols"])
    for dname, vec in dirs.items():
        dline = dirs.key_lines[dname]
        if not NAME_RE.match(dname):
            raise SpecError(f"part ({pid}): direction name {dname!r} is not a name", dline)
        if not isinstance(vec, list) or len(vec) != n:
            raise SpecError(f"part ({pid}): direction {dname} must have {n} entries, one per variable", dline)
        try:
            direction = tuple(parse_exact(v, ctx.get("params")) for v in vec)
            if all(c == 0 for c in direction):
                raise SpecError(f"part ({pid}): direction {dname} is the zero vector", dline)
            out.append((dname, direction))
        except ParseError as exc:
            raise SpecError(f"part ({pid}): direction {dname}: {exc}", dline) from None
    kw["directions"] = tuple(out)
