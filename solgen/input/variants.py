"""The ``variants:`` block: parameters drawn reproducibly, constrained by ``where:``.

```yaml
variants:
  seed: 2025
  count: 30
  params: {a: {int: [2, 9]}, b: {choice: [-3, -2, 2, 3]}, c: {rational: [1, 4], den: 2}}
  where: ["a != b", "a + b > 0"]
```

``choices: N`` on a part (multiple choice, ``derive/malrules.py`` makes the options) is read
here too (``read_choices``).

A parameter is a name usable wherever a constant is (the problem reader hands the drawn
values to the expression parser as the constants' values) and ``{{a}}`` in prose (a plain
substitution of the value's text, not a template language).

Draws, the same on every machine and Python version: a ``random.Random`` seeded with the
*string* ``"solgen-variants:<seed>"`` (Python seeds a string through SHA-512, never through
``hash()``, which varies between runs). Each draw takes ``randrange(len(values))`` for each
parameter in the file's order, over the parameter's values listed in increasing order (or
as written, for ``choice``). A draw that breaks a ``where`` constraint, or repeats an earlier
accepted draw, is skipped; variant k is the k-th accepted draw, so variant 3 is the same
whatever ``count`` is. ``where`` constraints are ``lhs OP rhs`` with OP one of
``== != < <= > >=`` and both sides in solgen's expression grammar (``input/expr.py``),
evaluated exactly on the drawn numbers.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache
from typing import Any

import sympy as sp

from solgen.math.record import record
from solgen.errors import SpecError
from solgen.input.expr import NAME_RE, RESERVED, ParseError, parse_expression, parse_number
import difflib
from pathlib import Path
from solgen.input import problem  # a cycle: problem reads variants here; both by module, at call time

VARIANT_KEYS = ("seed", "count", "params", "where")
KIND_KEYS = ("int", "choice", "rational", "den")
MAX_COUNT = 500
MAX_VALUES = 10_000  # values one parameter may take
MAX_PARAMS = 12
MAX_DRAWS_PER_VARIANT = 100  # draws tried per variant asked for, before giving up
_OPS = ("==", "!=", "<=", ">=", "<", ">")
_OP_RE = re.compile(r"==|!=|<=|>=|<|>")
_PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
PROSE_KEYS = ("title", "intro", "prompt", "answer", "notes")


@record
class Constraint:
    text: str
    lhs: sp.Expr
    op: str
    rhs: sp.Expr
    line: int

    def holds(self, values: dict[sp.Symbol, sp.Expr]) -> bool:
        diff = self.lhs.xreplace(values) - self.rhs.xreplace(values)  # numbers only: SymPy decides exactly
        if diff.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or diff.is_real is False:
            return False
        zero = diff.is_zero
        if self.op == "==":
            return bool(zero)
        if self.op == "!=":
            return zero is False
        positive, negative = diff.is_positive, diff.is_negative
        return bool({"<": negative, "<=": negative or zero, ">": positive, ">=": positive or zero}[self.op])


@record
class Variants:
    seed: int
    count: int
    names: tuple[str, ...]
    values: tuple[tuple[sp.Rational, ...], ...]  # each parameter's possible values
    where: tuple[Constraint, ...]
    line: int

    def draws(self, needed: int) -> tuple[list[dict[str, sp.Rational]], int, int]:
        """The first ``needed`` accepted draws (fewer if the space or the budget runs out),
        the number of draws tried, and how many of them ``where`` refused."""
        found, tried, rejected = _draws(self, needed)
        return [dict(d) for d in found], tried, rejected

    def _draw(self, needed: int) -> tuple[tuple[tuple[tuple[str, sp.Rational], ...], ...], int, int]:
        rng = random.Random(f"solgen-variants:{self.seed}")
        symbols = {n: sp.Symbol(n) for n in self.names}
        seen: set[tuple] = set()
        out: list[tuple[tuple[str, sp.Rational], ...]] = []
        tried = 0
        rejected = 0
        budget = MAX_DRAWS_PER_VARIANT * max(needed, 1)
        space = 1
        for vals in self.values:
            space *= len(vals)
        while len(out) < needed and tried < budget and len(seen) < space:
            tried += 1
            pick = tuple(vals[rng.randrange(len(vals))] for vals in self.values)
            if pick in seen:
                continue
            seen.add(pick)
            values = {symbols[n]: v for n, v in zip(self.names, pick)}
            if all(c.holds(values) for c in self.where):
                out.append(tuple(zip(self.names, pick)))
            else:
                rejected += 1
        return tuple(out), tried, rejected

    def variant(self, k: int) -> dict[str, sp.Rational]:
        """Variant k (1-based). The draws up to ``count`` are made once per process (export
        and the stress test load every variant in turn)."""
        found, tried, _ = self.draws(max(k, self.count))
        if len(found) < k:
            raise SpecError(
                f"variants: only {len(found)} distinct draws meet 'where' (after {tried} tries); variant {k} "
                "does not exist (widen the ranges or relax 'where')", self.line)
        return found[k - 1]


@lru_cache(maxsize=16)
def _draws(variants: Variants, needed: int) -> tuple[tuple[tuple[tuple[str, sp.Rational], ...], ...], int, int]:
    return variants._draw(needed)


def read_variants(block: Any, line: int, taken: set[str], seed_override: int | None = None) -> Variants:
    """The ``variants:`` mapping, checked; ``taken`` are names used otherwise (variables,
    functions)."""
    if not isinstance(block, dict):
        raise SpecError("'variants' must be a mapping with params (and seed, count, where)", line)
    _check(block, VARIANT_KEYS, "variants")
    seed = block.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise SpecError("variants: seed must be a whole number from 0", block.key_lines.get("seed", line))
    if seed_override is not None:
        seed = seed_override
    count = block.get("count", 10)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise SpecError(f"variants: count must be a whole number from 1 to {MAX_COUNT}", block.key_lines.get("count", line))
    params = block.get("params")
    if not isinstance(params, dict) or not params:
        raise SpecError("variants: 'params' must map names to {int: [lo, hi]}, {choice: [...]} or {rational: [lo, hi], den: d}",
                        block.key_lines.get("params", line))
    if len(params) > MAX_PARAMS:
        raise SpecError(f"variants: at most {MAX_PARAMS} params", block.key_lines["params"])
    names, values = [], []
    for name, spec in params.items():
        pline = params.key_lines[name]
        if not NAME_RE.match(name) or name in RESERVED or name in taken:
            raise SpecError(f"variants: {name!r} cannot be a parameter (a variable, a function, a built-in, or not a name)", pline)
        names.append(name)
        values.append(_values(name, spec, pline))
    symbols = {n: sp.Symbol(n) for n in names}
    where = block.get("where") or []
    if isinstance(where, str):
        where = [where]
    if not isinstance(where, list):
        raise SpecError("variants: 'where' must be a list of constraints such as [\"a != b\"]", block.key_lines["where"])
    lines = getattr(where, "item_lines", [block.key_lines.get("where", line)] * len(where))
    constraints = tuple(_constraint(w, ln, symbols) for w, ln in zip(where, lines))
    return Variants(seed, count, tuple(names), tuple(values), constraints, block.key_lines.get("params", line))


def _check(data: Any, allowed: tuple[str, ...], what: str) -> None:
    for key in data:
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(allowed)}"
            raise SpecError(f"unknown key {key!r} in {what}{hint}", data.key_lines[key])


def _num(value: Any, line: int, what: str) -> sp.Rational:
    try:
        return parse_number(value)
    except ParseError as exc:
        raise SpecError(f"{what}: {exc}", line) from None


def _values(name: str, spec: Any, line: int) -> tuple[sp.Rational, ...]:
    what = f"variants: param {name!r}"
    if not isinstance(spec, dict):
        raise SpecError(f"{what} must be {{int: [lo, hi]}}, {{choice: [...]}} or {{rational: [lo, hi], den: d}}", line)
    _check(spec, KIND_KEYS, f"param {name!r}")
    kinds = [k for k in ("int", "choice", "rational") if k in spec]
    if len(kinds) != 1:
        raise SpecError(f"{what} needs exactly one of int, choice, rational", line)
    kind = kinds[0]
    if "den" in spec and kind != "rational":
        raise SpecError(f"{what}: 'den' goes with rational", spec.key_lines["den"])
    raw, kline = spec[kind], spec.key_lines[kind]
    if kind == "choice":
        if not isinstance(raw, list) or not raw:
            raise SpecError(f"{what}: choice must be a list of numbers", kline)
        if len(raw) > MAX_VALUES:
            raise SpecError(f"{what}: at most {MAX_VALUES} choices", kline)
        out = tuple(_num(v, kline, what) for v in raw)
        if len(set(out)) != len(out):
            raise SpecError(f"{what}: a choice is listed twice", kline)
        return out
    if not isinstance(raw, list) or len(raw) != 2:
        raise SpecError(f"{what}: {kind} must be [lo, hi]", kline)
    lo, hi = (_num(v, kline, what) for v in raw)
    if lo > hi:
        raise SpecError(f"{what}: lo is above hi", kline)
    if kind == "int":
        if not (lo.is_Integer and hi.is_Integer):
            raise SpecError(f"{what}: int bounds must be whole numbers", kline)
        den = 1
    else:
        den = spec.get("den", 1)
        if isinstance(den, bool) or not isinstance(den, int) or not 1 <= den <= 1000:
            raise SpecError(f"{what}: den must be a whole number from 1 to 1000", spec.key_lines.get("den", line))
    first, last = sp.ceiling(lo * den), sp.floor(hi * den)
    if last - first + 1 > MAX_VALUES:
        raise SpecError(f"{what}: more than {MAX_VALUES} values", kline)
    out = tuple(dict.fromkeys(sp.Rational(int(k), den) for k in range(int(first), int(last) + 1)))
    if not out:
        raise SpecError(f"{what}: no value lies in the range", kline)
    return out


def _constraint(text: Any, line: int, symbols: dict[str, sp.Symbol]) -> Constraint:
    if not isinstance(text, str):
        raise SpecError("variants: each 'where' entry is text such as \"a != b\"", line)
    ops = _OP_RE.findall(text)
    if len(ops) != 1:
        raise SpecError(f"variants: where {text[:60]!r} needs exactly one of {' '.join(_OPS)}", line)
    left, right = _OP_RE.split(text)
    try:
        lhs = parse_expression(left, symbols, {}, {}, closed=True)
        rhs = parse_expression(right, symbols, {}, {}, closed=True)
    except ParseError as exc:
        raise SpecError(f"variants: where {text[:60]!r}: {exc}", line) from None
    return Constraint(text, lhs, ops[0], rhs, line)


CHOICE_ASKS = ("gradient", "hessian", "jacobian", "partial", "laplacian", "taylor", "directional", "evaluate")
MAX_CHOICES = 8


def read_choices(data: Any, ask: str, pid: str, ctx: dict) -> int:
    value, line = data["choices"], data.key_lines["choices"]
    if ask not in CHOICE_ASKS:
        raise SpecError(f"part ({pid}): 'choices' needs an ask with an answer to choose ({', '.join(CHOICE_ASKS)})", line)
    if ctx.get("shaped") and ask not in ("gradient", "hessian", "jacobian"):
        raise SpecError(f"part ({pid}): 'choices' on a vector or matrix problem needs a gradient, hessian or jacobian part", line)
    if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= MAX_CHOICES:
        raise SpecError(f"part ({pid}): choices must be a whole number from 2 to {MAX_CHOICES}", line)
    return value


def block(path: str, seed: int | None = None) -> Any:
    """The file's ``variants:`` block, read (an error if it has none)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"cannot read: {exc}") from None
    data = problem.load_yaml(text)
    if not isinstance(data, dict) or "variants" not in data:
        raise SpecError("this file has no 'variants:' block", 1)
    taken = {str(v) for v in (data.get("variables") or [])} | {str(f) for f in (data.get("functions") or {})}
    return read_variants(data["variants"], data.key_lines["variants"], taken, seed)


def value_text(value: sp.Rational) -> str:
    """A parameter's value as prose shows it and the expression grammar reads it."""
    return str(value)


def substitute_prose(data: Any, params: dict[str, sp.Rational], names: tuple[str, ...]) -> None:
    """``{{a}}`` -> a's value in the prose fields of the file (in place); an unknown name
    inside ``{{ }}`` is an error at its field's line."""
    def fill(mapping: Any, key: str) -> None:
        value = mapping.get(key)
        if not isinstance(value, str):
            return

        def one(m: re.Match) -> str:
            if m.group(1) not in params:
                raise SpecError(f"{{{{{m.group(1)}}}}} in {key!r} names no parameter (params: {', '.join(names)})",
                                mapping.key_lines[key])
            return value_text(params[m.group(1)])

        mapping[key] = _PLACEHOLDER_RE.sub(one, value)

    for key in ("title", "intro"):
        fill(data, key)
    for part in data.get("parts") or []:
        if isinstance(part, dict):
            for key in ("prompt", "answer", "notes"):
                fill(part, key)
