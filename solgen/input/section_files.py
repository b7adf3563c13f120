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
from solgen.input import paths
import re
from solgen.errors import SolgenError
from solgen.math import lazy
import stat


def is_section(path: str | Path) -> bool:
    """True when the file is a section (a top-level ``slides:`` key), judged from its
    text without parsing expressions; unreadable files are the loaders' to report."""
    try:
        return is_section_text(paths.read(path, None, 300_000).data)
    except paths.PathError:
        return False


def is_section_text(head: bytes) -> bool:
    """Do these bytes (a file's start) have a top-level ``slides:`` key?"""
    return re.search(rb"^slides\s*:", head, re.M) is not None




def is_regular(path: str | Path) -> bool:
    """A regular file (a link to one counts): never a folder, a pipe or a device, which
    reading would hang or flood."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
