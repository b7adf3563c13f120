"""Section files: one session's material composed from concept slides, topic dividers and
problems (``sections/*.yaml``, DESIGN.md "Sections and courses").

- ``load.py``: YAML -> a validated ``Section`` (items with their lines), paths checked.
- ``compute.py``: inline code spans that start with ``=`` in prose (``=grad(x^2, [x])``),
  parsed by solgen's own parser, derived by the checked engine, printed as math.
- ``view.py``: a ``Section`` -> the view the ``section-<kind>.<fmt>.j2`` templates read,
  each problem solved and presented by the problem pipeline.

To add an item kind: a reader in ``load.py`` (``ITEM_KEYS``), its view in ``view.py`` and
its layout in the three section templates of each format.
"""

from __future__ import annotations

import os
from pathlib import Path


def is_section(path: str | Path) -> bool:
    """True when the file is a section (a top-level ``slides:`` key), judged from its
    text without parsing expressions; unreadable files are the loaders' to report."""
    import re

    if not is_regular(path):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(300_000)
    except OSError:
        return False
    return re.search(rb"^slides\s*:", head, re.M) is not None


def referenced(path: str | Path) -> int:
    """How many different problem (and included section) files a section names, judged from
    its text: the worker's time allowance grows with them (``pipeline.allowance``)."""
    import re

    if not is_regular(path):
        return 0
    try:
        with open(path, "rb") as fh:
            head = fh.read(300_000)
    except OSError:
        return 0
    names = set(re.findall(rb"(?:problem|section)\s*:\s*[\"']?([^\s,}\"'#]+)", head))
    here = Path(path).parent
    # only names of files that exist count (a line in an md: block or a comment names none),
    # and at most MAX_REFERENCED: a section cannot raise its own time limit without bound
    found = sum(1 for n in names if is_regular(here / n.decode("utf-8", "replace")))
    return min(found, MAX_REFERENCED)


MAX_REFERENCED = 60


def is_regular(path: str | Path) -> bool:
    """A regular file (a link to one counts): never a folder, a pipe or a device, which
    reading would hang or flood."""
    import stat

    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
