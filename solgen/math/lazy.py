"""The registry of modules loaded on first use: a name -> the module's dotted path, loaded by
``importlib.import_module`` when ``load(name)`` is called.

Some modules are heavy to import and needed by few runs: the engine (SymPy) is not needed
for a render the cache answers; Jinja and markdown-it only for the text formats; numpy and
contourpy only when a file asks for a figure. Each such module imports what it needs at its
top, and is itself reached only through this table, by the code that needs it, when it
needs it: ``lazy.load("render").work(...)``. Nothing else in solgen uses importlib or an
``import`` inside a function but numpy, contourpy, watchfiles and a solgen.toml's tomllib
(tests/test_layout.py checks it, and checks that every ``load("name")`` reaches a module of
the caller's stage or one below it).

To make a module lazy: add it here, and call ``load("<name>")`` where it is used (at call
time, never at a module's top).

Python's cyclic garbage collector is paused while ``load`` imports (``importing``): an
import makes millions of objects (SymPy's classes, Jinja's, markdown-it's rules) that live
as long as the process, and the collector scans all of them again at every full
collection, for cycles that are not garbage. In a worker (``freeze_imports()``) what an
import made is then frozen (``gc.freeze``): the collections during the render scan only
the render's own objects.
"""

from __future__ import annotations

import gc
import importlib
import sys
from contextlib import contextmanager
from types import ModuleType
from typing import Iterator

MODULES = {
    # math: numbers on grids, the figure model (numpy, contourpy)
    "grid": "solgen.math.grid",
    "figure": "solgen.math.figure",
    # formats: the writers (Jinja, markdown-it, latex2mathml), the figure writers
    "templates": "solgen.formats.templates",
    "html": "solgen.formats.html",
    "json": "solgen.formats.json",
    "tree": "solgen.formats.tree",
    "figures": "solgen.formats.figures",
    "texbody": "solgen.formats.texbody",
    # derive: the mal-rules (wrong answers for multiple choice), for a part with choices
    "malrules": "solgen.derive.malrules",
    # input: every ask's module, for the watcher's head start (pipeline.preload); the prose
    # parser (markdown-it)
    "askspec": "solgen.input.askspec",
    "mdparser": "solgen.input.mdparser",
    # build: one file's render in the worker (SymPy, the engine), the worker processes
    # (multiprocessing: not for a render the cache answers), the exports
    "render": "solgen.build.render",
    "workers": "solgen.build.workers",
    "export": "solgen.build.export",
    "variants": "solgen.build.variants",
    # TODO(layout): the matrix engine, until it dissolves into the stages (tests/test_layout.py)
    # TODO(layout): the section loader, until sections/ dissolve into the stages
    "section_load": "solgen.formats.section_load",
    "section": "solgen.formats.section",
    "malrules_matrix": "solgen.derive.malrules_matrix",
    "matrix_asks": "solgen.asks.shaped",
    "shaped_formula": "solgen.asks.shaped_formula",
    "matrix_ast": "solgen.math.shaped",
    "matrix_check": "solgen.derive.shaped_check",
    "matrix_critical": "solgen.asks.shaped_critical",
    "matrix_identity": "solgen.derive.shaped_identity",
    "matrix_newton": "solgen.asks.shaped_newton",
    "matrix_parse": "solgen.input.shaped",
    "matrix_problem": "solgen.input.shaped_problem",
    "matrix_sympytext": "solgen.math.shaped_sympy",
    "matrix_taylor": "solgen.asks.shaped_taylor",
}


_freeze = False  # in a worker: freeze what each import made (freeze_imports)


def load(name: str) -> ModuleType:
    """The module registered as ``name`` (imported now if it was not yet)."""
    path = MODULES[name]
    module = sys.modules.get(path)
    if module is not None:
        return module
    with importing():
        return importlib.import_module(path)


@contextmanager
def importing() -> Iterator[None]:
    """The cyclic collector paused for an import (when nested, resumed by the outermost);
    in a worker, what the import made is frozen."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            if _freeze:
                gc.freeze()
            gc.enable()


def freeze_imports() -> None:
    """For a short-lived process (a worker): what every later ``load`` imports is frozen
    (``gc.freeze``), so the collector never scans it again."""
    global _freeze
    _freeze = True
