"""One error family: everything a user can act on is a ``SolgenError`` with a message and,
when known, the file and line at fault. The command line prints ``FILE:LINE: error: message``
(the file being worked on when ``file`` is None) and exits 1; anything else is a bug and is
reported as an internal error.

To add an error: subclass the family member of the layer that raises it.
"""

from __future__ import annotations


class SolgenError(ValueError):
    """An error at ``file``:``line``; either may be None (the current file; no line)."""

    def __init__(self, message: str, line: int | None = None, file: str | None = None):
        super().__init__(message)
        self.line = line
        self.file = file


class SpecError(SolgenError):
    """A problem file that cannot be read or means nothing solgen can derive."""


class DeriveError(SolgenError):
    """A part that cannot be derived (a point outside the domain, a computation too large)."""


class CheckError(DeriveError):
    """A step failed its check against sympy.diff: a bug in solgen, never the user's."""


class BuildError(SolgenError):
    """An output that could not be written or compiled; ``line`` is a line of the .tex."""


class WordsError(SolgenError):
    """A words catalog or a --templates folder that cannot be used."""
