"""The package's layout, as docs/DESIGN.md ("The pipeline and where things live") fixes it:
only the stage packages, and imports that run one way, down the stages

    errors, math, input, derive, present, asks, formats, build, pipeline, cli

Every module's syntax tree is walked, imports inside functions and under ``if
TYPE_CHECKING`` included: a module may import from its own stage and the stages before it,
never from one after it. No ``import`` inside a function, except numpy, contourpy,
watchfiles and tomllib (heavy, or needed by few runs); a module loaded on first use is reached through the
one documented registry, ``math/lazy.py`` (``lazy.load("name")``), and each such call is
checked like an import. importlib appears only in that registry and in the asks' registry
(``input/askspec.py``, whose table names ``solgen.asks.<name>`` plug-ins).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from solgen.math import lazy

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "solgen"
ORDER = ("errors", "math", "input", "derive", "present", "asks", "formats", "build", "pipeline", "cli")
MODULES = {"errors", "pipeline", "cli", "__main__", "__init__"}  # top-level modules (and the package's own)
PACKAGES = {"math", "input", "derive", "present", "asks", "formats", "build"}
# may be imported inside a function: heavy, or needed by few runs (a solgen.toml's TOML reader)
HEAVY = {"numpy", "contourpy", "watchfiles", "tomllib", "tomli"}
REGISTRIES = {"solgen.math.lazy", "solgen.input.askspec"}  # may use importlib

# TODO(layout): matrix/ and sections/ are being dissolved into the stages (issue 18); until
# the coordinator moves them, they are not given a stage and their imports are not checked
# for direction. Remove them here when they are gone.
NOT_YET_MOVED: set[str] = set()
KNOWN_UPWARD: set[tuple[str, str]] = set()  # (module, target) allowed to run back up: none


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out.append((name, path))
    return out


def _stage(module: str) -> str | None:
    """The stage of ``solgen.X...``; "__main__" for the entry point; None outside solgen."""
    parts = module.split(".")
    if parts[0] != "solgen":
        return None
    if len(parts) == 1:
        return "package"
    return parts[1]


def _rank(stage: str | None) -> int | None:
    if stage == "__main__":
        return len(ORDER)
    return ORDER.index(stage) if stage in ORDER else None


def _imports(name: str, path: Path) -> list[tuple[int, str, bool]]:
    """(line, imported module, inside a function) of every import in the module, and every
    ``lazy.load("x")`` as an import of the module the registry names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name, in_function) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            if base == "solgen" or not node.module:  # from solgen import asks: the module solgen.asks
                found.extend((node.lineno, f"{base}.{a.name}", in_function) for a in node.names)
            else:
                found.append((node.lineno, base, in_function))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "load"
              and isinstance(node.func.value, ast.Name) and node.func.value.id == "lazy"):
            (arg,) = node.args
            assert isinstance(arg, ast.Constant) and arg.value in lazy.MODULES, (name, node.lineno)
            found.append((node.lineno, lazy.MODULES[arg.value], False))
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(tree, False)
    return found


def _lazy_at_top(path: Path) -> list[int]:
    """Lines where ``lazy.load`` runs when the module is imported (outside any function):
    that loads the module at once, and hides an import from the walk above."""
    lines = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if (not in_function and isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "load" and isinstance(node.func.value, ast.Name) and node.func.value.id == "lazy"):
            lines.append(node.lineno)
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return lines


def test_lazy_modules_are_loaded_only_where_they_are_used():
    at_top = {path.name: lines for _, path in _modules() if (lines := _lazy_at_top(path))}
    assert not at_top, f"lazy.load at a module's top (load it inside the function that needs it): {at_top}"


def test_the_package_holds_only_the_stage_packages():
    extra = []
    for entry in sorted(PACKAGE.iterdir()):
        if entry.name.startswith((".", "__pycache__")) or entry.name == "templates":  # templates: a link in a wheel build
            continue
        if entry.is_dir():
            if not any(entry.rglob("*.py")) and not any(entry.rglob("*.json")):  # a moved package's stale __pycache__
                continue
            if entry.name not in PACKAGES and entry.name not in NOT_YET_MOVED:
                extra.append(entry.name + "/")
        elif entry.suffix == ".py" and entry.stem not in MODULES:
            extra.append(entry.name)
    assert not extra, f"not a stage: {extra} (put each module in its stage package: docs/DESIGN.md)"


def test_every_registered_lazy_module_exists():
    for name, module in lazy.MODULES.items():
        assert (ROOT / (module.replace(".", "/") + ".py")).is_file(), name


@pytest.mark.parametrize("name,path", _modules(), ids=[n for n, _ in _modules()])
def test_imports_run_down_the_stages(name, path):
    here = _stage(name) if name != "solgen.__main__" else "__main__"
    if here in NOT_YET_MOVED:
        pytest.skip("TODO(layout): not yet in a stage")
    mine = _rank(here)
    upward, local = [], []
    for line, target, in_function in _imports(name, path):
        top = target.split(".")[0]
        if in_function and top not in HEAVY:
            local.append(f"{path.name}:{line}: import {target} inside a function")
        if top == "importlib" and name not in REGISTRIES:
            local.append(f"{path.name}:{line}: importlib outside the registries ({', '.join(sorted(REGISTRIES))})")
        there = _stage(target)
        if there is None or there in NOT_YET_MOVED or there == "package" or (name, target) in KNOWN_UPWARD:
            continue
        theirs = _rank(there)
        assert theirs is not None, f"{path.name}:{line}: {target} is in no stage"
        if mine is not None and theirs > mine:
            upward.append(f"{path.name}:{line}: {here} imports {target} ({there} comes after {here})")
    assert not upward, "\n".join(upward)
    assert not local, "\n".join(local)


def test_the_checker_sees_an_upward_import(tmp_path):
    """The walk above finds imports inside functions and lazy loads (a test that cannot fail
    proves nothing)."""
    module = tmp_path / "m.py"
    module.write_text("import os\n\ndef f():\n    from solgen.formats import prose\n    return lazy.load('render')\n")
    found = _imports("solgen.present.m", module)
    assert (4, "solgen.formats", True) in found
    assert (5, "solgen.build.render", False) in found
