"""Course defaults: a ``solgen.toml`` in a file's folder or any folder above it.

Like pandoc's defaults files and Quarto's ``_quarto.yml``, one file at the top of a course
says what every problem and section of it would otherwise repeat::

    course = "CSE 446"
    author = "TA: Yufei Zhang"
    lang = "en"
    templates = "templates"      # relative to this file's folder
    out = "build"                # relative to this file's folder
    formats = ["tex", "html"]

The nearest ``solgen.toml`` wins (they do not merge); the file's own ``course:``, ``author:``
and ``lang:`` win over it, and command-line flags (``--lang``, ``--templates``, ``--out``,
``--format``) over both. A file that is not TOML, an unknown key or a wrong value is an
error at its line (``solgen.toml:3: error: ...``). TOML is data: nothing in it runs, and
``out`` and ``templates`` must lie inside the toml's folder (a course folder from a colleague
cannot write or read elsewhere).

To add a key: put it in ``KEYS`` and read it in ``load_config``.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from pathlib import Path
from typing import Any

from solgen.math.record import record
from solgen.errors import SolgenError
from solgen.input import LANGS
from solgen.input.paths import PathError, read


NAME = "solgen.toml"
KEYS = ("course", "author", "lang", "templates", "out", "formats")
FORMATS = ("tex", "md", "html", "json", "tree")
MAX_BYTES = 64 * 1024


class ConfigError(SolgenError):
    """A solgen.toml that cannot be used."""


@record
class Config:
    """The defaults of one ``solgen.toml`` (paths already resolved against its folder)."""

    path: str
    real: str = ""  # where it was read from, links resolved
    digest: str = ""  # the SHA-256 of the bytes read (the cache's record of it)
    course: str | None = None
    author: str | None = None
    lang: str | None = None
    templates: str | None = None
    out: str | None = None
    formats: tuple[str, ...] = ()


def _toml() -> Any:
    """The TOML reader, imported when a solgen.toml is read (most renders have none)."""
    if sys.version_info >= (3, 11):
        import tomllib
        return tomllib
    import tomli  # pragma: no cover - Python 3.10: the backport
    return tomli  # pragma: no cover


def find_config(path: str | os.PathLike) -> str | None:
    """The nearest ``solgen.toml`` for ``path``: in its folder (a folder: itself) or any
    folder above it; None if there is none."""
    here = Path(os.path.abspath(path))
    folder = here if here.is_dir() else here.parent
    for candidate in (folder, *folder.parents):
        target = candidate / NAME
        if target.is_file():
            return str(target)
    return None


def _key_lines(text: str) -> dict[str, int]:
    """The line of each top-level ``key =`` (before any [table]), for errors at a key."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("["):
            break
        m = re.match(r"\s*[\"']?([A-Za-z0-9_-]+)[\"']?\s*=", line)
        if m:
            lines.setdefault(m.group(1), number)
    return lines


def load_config(path: str) -> Config:
    """Read and check one ``solgen.toml``."""
    shown = os.path.relpath(path) if not os.path.relpath(path).startswith("..") else path
    try:  # the path policy: a regular file (no pipe, no device), the file checked is the file read
        got = read(path, None, MAX_BYTES, "a solgen.toml")
    except PathError as exc:
        raise ConfigError(f"{exc} (a solgen.toml holds a few defaults)", None, shown) from None
    raw = got.data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("not UTF-8", raw.count(b"\n", 0, exc.start) + 1, shown) from None
    try:
        data = _toml().loads(text)
    except _toml().TOMLDecodeError as exc:
        message = str(exc)
        m = re.search(r"\(at line (\d+), column \d+\)", message)
        line = getattr(exc, "lineno", None) or (int(m.group(1)) if m else None)
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", getattr(exc, "msg", message))
        raise ConfigError(f"not valid TOML: {message[:1].lower() + message[1:]}", line, shown) from None
    lines = _key_lines(text)
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        near = difflib.get_close_matches(unknown[0], KEYS, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ConfigError(f"unknown key {unknown[0]!r}{hint} (a solgen.toml takes {', '.join(KEYS)})",
                          lines.get(unknown[0]), shown)
    folder = os.path.dirname(os.path.abspath(path))
    values: dict[str, object] = {}
    for key in ("course", "author"):
        if key in data:
            value = data[key]
            if not isinstance(value, str) or not value.strip() or any(ch in value for ch in "\r\n") \
                    or any(not ch.isprintable() for ch in value) or len(value) > 200:
                raise ConfigError(f"{key} must be one line of text (at most 200 characters)", lines.get(key), shown)
            values[key] = value
    if "lang" in data:
        if data["lang"] not in LANGS:
            raise ConfigError(f"lang {data['lang']!r} has no words catalog (one of {', '.join(LANGS)})",
                              lines.get("lang"), shown)
        values["lang"] = data["lang"]
    for key in ("templates", "out"):
        if key in data:
            value = data[key]
            if not isinstance(value, str) or not value or "\0" in value:
                raise ConfigError(f"{key} must be a folder (a path, relative to this file)", lines.get(key), shown)
            inside = os.path.normpath(value)
            if os.path.isabs(value) or value.startswith("~") or inside == ".." or inside.startswith(".." + os.sep):
                raise ConfigError(f"{key} {value!r} must be a folder inside this file's folder (a solgen.toml travels "
                                  f"with the course: it may not send outputs or read templates elsewhere; use --{key} "
                                  "for that)", lines.get(key), shown)
            resolved = os.path.normpath(os.path.join(folder, inside))
            if key == "templates" and not os.path.isdir(resolved):
                raise ConfigError(f"templates folder {value!r} does not exist (it is read relative to this file)",
                                  lines.get(key), shown)
            values[key] = resolved
    if "formats" in data:
        value = data["formats"]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or any(v not in FORMATS for v in value):
            raise ConfigError(f"formats must be a list of {', '.join(FORMATS)} (e.g. formats = [\"tex\", \"html\"])",
                              lines.get("formats"), shown)
        values["formats"] = tuple(dict.fromkeys(value))
    return Config(path=path, real=got.real, digest=got.digest, **values)  # type: ignore[arg-type]
