"""Problem files are read by libyaml when it can (problem.load_yaml's fast path) and by
PyYAML's Python loader otherwise: both must give the same data, the same lines, and the
same errors, for every file in the repository and for hostile YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from solgen.errors import SpecError
from solgen.input.problem import load_yaml

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "problems").glob("*.yaml")) + sorted((ROOT / "sections").glob("*.yaml"))


def _shape(value):  # type: ignore[no-untyped-def]
    """The data with every line it remembers."""
    if isinstance(value, dict):
        return ("map", value.line, dict(value.key_lines), dict(value.key_sources),
                {k: _shape(v) for k, v in value.items()})
    if isinstance(value, list):
        return ("seq", value.line, list(value.item_lines), [_shape(v) for v in value])
    return value


def _read(text: str, fast: bool):  # type: ignore[no-untyped-def]
    try:
        return _shape(load_yaml(text, fast=fast))
    except SpecError as exc:
        return ("error", str(exc), exc.line)


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_both_loaders_read_every_file_alike(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = _read(text, True)
    assert fast[0] != "error", fast
    assert fast == _read(text, False)


HOSTILE = [
    "a: &x 1\nb: *x\n",  # an alias
    "a: [1, 2\nb: 3\n",  # an open flow sequence
    "a: 1\na: 2\n",  # a duplicate key
    "a: !!python/object:os.system 1\n",  # a tag
    "",  # empty
    "a: \"\\frac{1}{2}\"\n",  # an eaten backslash
    "a: 1\r\nb:\r\n  - 2\r\n",  # CRLF: the Python loader's way
    "a: x\u2028b: 2\n",  # a Unicode line separator
    "\ufeffa: 1\n",  # a BOM
    "a:\n\t- 1\n",  # a tab in the indentation
    "a: \"\\uD800\"\n",  # half a surrogate pair
    "a: 0x" + "f" * 40 + "\n",  # too many digits
    "- a\n- b: [1, {c: 2}]\n- 'q' \n",
    "a: |\n  line\n  more\nb: >-\n  folded\n  text\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_both_loaders_agree_on_hostile_yaml(text: str) -> None:
    assert _read(text, True) == _read(text, False)
