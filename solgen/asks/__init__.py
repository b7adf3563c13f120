"""One module per ask: its keys and their reading, ``derive()`` to a typed result, and
``present()`` to the view the templates lay out. The registry (``input/askspec.py``, below
the stages that use it) lists them; nothing dispatches on strings by ``getattr`` or
``globals()``.

To add an ask: write ``asks/<name>.py`` with a result dataclass and an ``ASK = Ask(...)``,
list the module in ``input/askspec.ASK_MODULES``, add its ``prompt.<name>`` sentence to every
words catalog, and its layout to the templates' ``parts`` partials (docs/extending.md walks
through it).
"""

from __future__ import annotations

from solgen.input.askspec import get, names, registry

__all__ = ["get", "names", "registry"]
