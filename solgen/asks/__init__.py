"""One module per ask: its keys and their reading, ``derive()`` to a typed result, and
``present()`` to the view the templates lay out. The registry lists them; nothing
dispatches on strings by ``getattr`` or ``globals()``.

To add an ask: write ``asks/<name>.py`` with a result dataclass and an ``ASK = Ask(...)``,
list the module in ``_MODULES``, add its ``prompt.<name>`` sentence to every words catalog,
and its layout to the templates' ``parts`` partials (docs/extending.md walks through it).
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from solgen.asks.base import Ask

_MODULES = ("gradient", "hessian", "jacobian", "partial", "laplacian", "taylor", "directional", "evaluate", "identity", "figure", "critical", "newton", "descent", "text")


@lru_cache(maxsize=1)
def registry() -> dict[str, "Ask"]:
    """name -> Ask, in the order the docs list them (imported on first use: the asks
    import the derive and present layers, which import the problem reader)."""
    asks = {}
    for name in _MODULES:
        ask = importlib.import_module(f"solgen.asks.{name}").ASK
        asks[ask.name] = ask
    return asks


def names() -> tuple[str, ...]:
    return _MODULES


def get(name: str) -> "Ask":
    return registry()[name]
