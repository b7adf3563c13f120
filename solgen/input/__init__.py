"""Reading what users write: problem files (``problem``), expressions (``expr``), and the
one path policy for every file read from a course (``paths``).

Everything here treats its input as untrusted: no eval, limits on size and nesting, and
errors as ``SpecError`` with the line at fault."""

import re

LANGS = ("en", "de")  # the words catalogs in templates/words/ (kept here: light to import)
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")  # a problem's, section's or quiz's id (a file name)
