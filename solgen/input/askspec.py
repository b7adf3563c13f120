"""The asks a problem file may name: ``COMMON_KEYS`` every part has, the ``Ask`` entry each
ask gives (its keys, how to read them, derive, present), and the registry of asks.

The registry lives here, below the asks: the problem reader (``input/problem.py``) checks a
part's keys against it, the engine (``derive/calculus.py``) and the view
(``present/view.py``) call an ask's ``derive`` and ``present`` through it, and none of them
imports ``asks/``. ``ASK_MODULES`` maps each ask's name to its module; ``registry()`` loads
them with ``importlib.import_module`` on first use, each ask's when it is asked for (each module's ``ASK`` is its entry), so
an ask is a plug-in named in this table, not an import running up the stages
(tests/test_layout.py allows importlib only in this registry and in ``math/lazy.py``).

To add an ask: write ``asks/<name>.py`` with a result dataclass and an ``ASK = Ask(...)``,
and list it in ``ASK_MODULES`` (docs/extending.md walks through it).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any, Callable
from solgen.math import lazy
from solgen.math.record import record

COMMON_KEYS = frozenset({"id", "ask", "prompt", "answer", "notes", "choices"})

# name -> module, in the order the docs list them
ASK_MODULES = {name: f"solgen.asks.{name}" for name in (
    "gradient", "hessian", "jacobian", "partial", "laplacian", "taylor", "directional", "evaluate", "identity",
    "figure", "critical", "newton", "descent", "text")}


@record
class Ask:
    """An ask's entry in the registry."""

    name: str
    keys: frozenset[str]  # the part keys it reads, beyond id, ask, prompt, answer, notes
    read: Callable[[Any, dict, dict, str], None]  # (data, ctx, kw, pid): check and fill Part fields
    derive: Callable[[Any, Any], Any]  # (engine, part) -> its Result (derive/result.py)
    present: Callable[[Any, Any, Any], dict[str, Any]]  # (result, tex, problem) -> its view
    shaped: bool = False  # works in a file with shapes: (vectors and matrices); else an error there
    # (part view, words) -> None: fills the part's blocks for the templates (present/blocks.py);
    # None: present.blocks.default
    layout: Callable[[dict[str, Any], Any], None] | None = None


def registry() -> dict[str, Ask]:
    """name -> Ask, in the order of ``ASK_MODULES`` (every ask's module imported)."""
    return {name: get(name) for name in ASK_MODULES}


def names() -> tuple[str, ...]:
    return tuple(ASK_MODULES)


@lru_cache(maxsize=None)
def get(name: str) -> Ask:
    """One ask's entry, its module imported on first use (a file of gradients never
    imports the Newton or figure modules)."""
    with lazy.importing():
        ask: Ask = importlib.import_module(ASK_MODULES[name]).ASK
    return ask
