"""No problem-file text can reach eval: the package never calls eval, exec, sympify or parse_expr."""

from __future__ import annotations

import ast
from pathlib import Path

import solgen

BUILTINS = {"eval", "exec", "compile", "__import__", "sympify", "parse_expr", "S"}
ATTRIBUTES = {"sympify", "parse_expr", "S", "eval", "exec"}


def _offenders(source: str) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in BUILTINS:
            out.append(f"{node.lineno}: {func.id}(...)")
        elif isinstance(func, ast.Attribute) and func.attr in ATTRIBUTES:
            # Rule.eval() is our own method (DESIGN.md): self.eval() rebuilds a step's result
            if not (func.attr == "eval" and isinstance(func.value, ast.Name) and func.value.id == "self"):
                out.append(f"{node.lineno}: .{func.attr}(...)")
    return out


def test_checker_catches_the_forms_it_must():
    assert _offenders("import sympy as sp\nsp.sympify(t)\n")
    assert _offenders("from sympy import S\nS(t)\n")
    assert _offenders("eval(t)\n") and _offenders("builtins.exec(t)\n")
    assert not _offenders("self.eval()\n")


def test_package_never_calls_eval_like_functions():
    root = Path(solgen.__file__).parent
    offenders = [f"{p.name}:{o}" for p in root.rglob("*.py") for o in _offenders(p.read_text())]
    assert offenders == []
