"""Read a ``<id>.tree.json`` the way a grader does, with nothing but SymPy: every formula's
forms are parsed with ``sympify``, the point in ``where`` substituted, and every relation
checked numerically at random points; every formula's ``tex`` must occur in the ``.tex``.

``check_tree`` returns a ``Report``: how many formulas, how many false, how many a reader
cannot parse (``unreadable``), how many math nodes display a relation without being a
formula (``unformed``: an equation nobody checked), and the formulas whose tex is not in the
.tex (``missing_tex``).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import sympy as sp

# A relation at the top level of a LaTeX string (not inside braces: x_{i = 1} is no equation).
_RELATION = re.compile(r"(=|\\approx|\\le\b|\\ge\b|\\leq|\\geq|\\ne\b|\\neq|\\Rightarrow|<|>)")


def nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """Every node of the tree, whatever field or list it sits in."""
    stack = [tree]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if "node" in value:
                yield value
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def top_level_relation(tex: str) -> bool:
    depth = 0
    i = 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\" and tex.startswith(("\\{", "\\}"), i):
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and _RELATION.match(tex, i):
            if tex.startswith("\\right.", max(0, i - 6)):
                pass
            return True
        i += 1
    return False


@dataclass
class Report:
    formulas: int = 0
    checked: int = 0
    false: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    unformed: list[str] = field(default_factory=list)
    missing_tex: list[str] = field(default_factory=list)
    shaped: int = 0

    @property
    def unreadable_share(self) -> float:
        total = self.formulas + len(self.unformed)
        return (len(self.unreadable) + len(self.unformed)) / total if total else 0.0


def _read(text: str | None) -> Any:
    if text is None:
        return None
    expr = sp.sympify(text)
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(lambda e: e.doit())
    return expr.doit() if isinstance(expr, sp.Basic) else expr


def _value(expr: Any, point: dict[sp.Symbol, sp.Expr]) -> Any:
    if isinstance(expr, sp.MatrixBase):
        return [complex(sp.N(e.subs(point), 30)) for e in expr]
    return [complex(sp.N(sp.sympify(expr).subs(point), 30))]


def _close(a: list[complex], b: list[complex]) -> bool:
    return len(a) == len(b) and all(abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y)) for x, y in zip(a, b))


def _holds(a: Any, b: Any, relation: str, rng: random.Random) -> bool | None:
    if relation in ("≈", "⇒"):
        return None
    free = set()
    for e in (a, b):
        if isinstance(e, sp.Basic):
            free |= e.free_symbols
    verdicts = []
    for _ in range(6):
        point = {s: sp.Rational(rng.randint(11, 89), 100) for s in free}
        try:
            va, vb = _value(a, point), _value(b, point)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if any(v != v or abs(v.imag) > 1e-12 for v in va + vb):  # outside the real domain
            continue
        if relation == "=":
            verdicts.append(_close(va, vb))
        elif relation == "≠":
            verdicts.append(not _close(va, vb))
        elif len(va) == len(vb) == 1:
            x, y = va[0].real, vb[0].real
            verdicts.append({"<": x < y, ">": x > y, "≤": x <= y + 1e-12, "≥": x >= y - 1e-12}[relation])
        if len(verdicts) >= 3:
            break
    if not verdicts:
        return None
    return all(verdicts)


def shaped_symbols(shapes: dict[str, Any]) -> dict[str, Any]:
    """The document's vectors and matrices as SymPy ``MatrixSymbol``s (sizes as symbols)."""
    def size(v: Any) -> Any:
        return sp.Integer(v) if str(v).isdigit() else sp.Symbol(str(v), integer=True, positive=True)
    return {name: sp.MatrixSymbol(name, size(r), size(c)) for name, (r, c) in shapes.items()}


def check_tree(tree: dict[str, Any], tex: str, seed: int = 0) -> Report:
    rng = random.Random(seed)
    report = Report()
    for node in nodes(tree):
        if node["node"] == "math" and top_level_relation(node.get("tex", "")):
            report.unformed.append(node["tex"])
        if node["node"] != "formula":
            continue
        report.formulas += 1
        if node["tex"] not in tex:
            report.missing_tex.append(node["tex"])
        forms, relations = node.get("forms") or [], node.get("relations") or []
        if len(forms) < 2 or all(f is None for f in forms):
            report.unreadable.append(node["tex"])
            continue
        if node.get("shapes"):  # solgen's grammar: read through the SymPy mirror, checked by solgen itself
            report.shaped += 1
            mirror = node.get("sympy") or []
            try:
                local = shaped_symbols(node["shapes"])
                read = [sp.sympify(t, locals=local) for t in mirror if t is not None]
            except Exception:  # noqa: BLE001
                read = []
            if not read:
                report.unreadable.append(node["tex"])
            else:
                report.checked += 1
            continue
        try:
            where = {sp.Symbol(k) if k.isidentifier() else sp.sympify(k): sp.sympify(v) for k, v in (node.get("where") or {}).items()}
            values = [_read(f) for f in forms]
            values = [v.subs(where) if isinstance(v, (sp.Basic, sp.MatrixBase)) and where else v for v in values]
        except Exception:  # noqa: BLE001 - anything sympify cannot read is unreadable
            report.unreadable.append(node["tex"])
            continue
        bad = False
        for i, relation in enumerate(relations):
            a, b = values[i], values[i + 1]
            if a is None or b is None:
                continue
            try:
                verdict = _holds(a, b, relation, rng)
            except Exception:  # noqa: BLE001
                verdict = None
            if verdict is False:
                bad = True
        if bad:
            report.false.append(node["tex"])
        else:
            report.checked += 1
    return report


if __name__ == "__main__":  # python tests/tree_check.py OUT: a line per tree in OUT (rendered -f tree -f tex)
    import json
    import sys
    from pathlib import Path

    for tree_path in sorted(Path(sys.argv[1]).glob("*.tree.json")):
        stem = tree_path.name[: -len(".tree.json")]
        tex_path = tree_path.with_name(f"{stem}.tex")
        r = check_tree(json.loads(tree_path.read_text()), tex_path.read_text() if tex_path.exists() else "")
        print(f"{stem:24} formulas {r.formulas:4}  false {len(r.false):3}  unreadable {len(r.unreadable):3}  "
              f"unformed {len(r.unformed):3}  missing_tex {len(r.missing_tex):3}  shaped {r.shaped:3}")
        for label, items in (("FALSE", r.false), ("UNREADABLE", r.unreadable), ("UNFORMED", r.unformed),
                             ("MISSING", r.missing_tex)):
            for tex in items[: int(sys.argv[2]) if len(sys.argv) > 2 else 0]:
                print(f"    {label}: {tex[:160]}")
