"""Every sentence a reader sees, once for all formats: the words catalogs.

A catalog is ``templates/words/<lang>.yaml``: keys (nested mappings, read as dotted
paths such as ``rule.chain``) map to sentences. A sentence is text with ``$...$`` math,
``**bold**`` and ``{{name}}`` fields; a field in text takes text (or another sentence),
a field inside math takes LaTeX from solgen. A key that depends on a count maps
``zero``/``one``/``other`` to sentences. ``Words(key, n=..., **fields)`` gives a
``Sentence``: format-blind runs that each writer renders (escaped text, math its own way;
``formats/inline.py``).

Catalogs travel between TAs like templates, so they are untrusted: read with the safe
loader, every math segment must pass ``input/markdown.safe_math``, and a course's catalog
(``--templates DIR`` with ``DIR/words/<lang>.yaml``) may only reword keys the built-in
one has. To add a sentence: add its key to every catalog (tests check they agree).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Union

import yaml

from solgen.math.record import record
from solgen.input.markdown import safe_math
from solgen.input.paths import builtin_templates, read_course_file
from solgen.errors import SpecError, WordsError
from solgen.input import LANGS
from solgen.input.problem import LDict, load_yaml

FIELD_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")
# The fields solgen fills in. Text fields hold words or text from the problem file (a
# title, a part id) and may not stand inside $...$; math fields hold solgen's own LaTeX.
TEXT_FIELDS = frozenset({"id", "title", "part", "n", "order", "ask", "asks", "functions", "letter", "kind",
                         "names", "layers"})
_PIECES = ("constant", "other", "inner", "numerator", "denominator", "base", "exponent", "formula", "u")
MATH_FIELDS = frozenset(
    [p + suffix for p in _PIECES for suffix in ("", "_p", "_f")]
    + """rule expr var result d lhs held func parts terms outer outer_d outer_at inner_d inner_d_p num_d den_d
    log_form log_d equation depth f symbol point gradient_at name unit norm unit_slope definition via
    lam points minors det first value constraint iterate next rate k system solve stem var_letter""".split()
)


@record
class Run:
    kind: str  # "text", "math" or "strong"
    text: str


@record
class Sentence:
    """A sentence resolved from a catalog: runs of text, bold text and math."""

    runs: tuple[Run, ...]

    def __str__(self) -> str:  # plain text (front matter, titles): math as its LaTeX
        return "".join(r.text for r in self.runs)

    def __bool__(self) -> bool:
        return bool(self.runs)


def join(sentences: Iterable[Sentence], sep: Sentence, last: Sentence | None = None) -> Sentence:
    """The sentences with ``sep`` between them, and ``last`` (if given) before the last one:
    "a, b and c"."""
    items = list(sentences)
    runs: list[Run] = []
    for i, s in enumerate(items):
        if i:
            runs.extend((last if last is not None and i == len(items) - 1 else sep).runs)
        runs.extend(s.runs)
    return Sentence(tuple(runs))


@record
class _Template:
    """A parsed catalog sentence: segments of (kind, text with {{fields}})."""

    key: str
    segments: tuple[tuple[str, str], ...]

    def fill(self, fields: Mapping[str, object]) -> Sentence:
        runs: list[Run] = []
        for kind, text in self.segments:
            if kind == "math":
                runs.append(Run("math", FIELD_RE.sub(lambda m: _latex(fields, m.group(1), self.key), text)))
                continue
            pos = 0
            for m in FIELD_RE.finditer(text):
                if m.start() > pos:
                    runs.append(Run(kind, text[pos : m.start()]))
                value = _field(fields, m.group(1), self.key)
                if isinstance(value, Sentence):
                    runs.extend(value.runs)
                else:
                    runs.append(Run(kind, str(value)))
                pos = m.end()
            if pos < len(text):
                runs.append(Run(kind, text[pos:]))
        return Sentence(tuple(r for r in runs if r.text))


def _field(fields: Mapping[str, object], name: str, key: str) -> object:
    if name not in fields:
        raise KeyError(f"the words for {key!r} use {{{{{name}}}}}, which solgen does not give there")
    return fields[name]


def _latex(fields: Mapping[str, object], name: str, key: str) -> str:
    value = _field(fields, name, key)
    if isinstance(value, Sentence):  # text (a title, words) never becomes math
        raise WordsError(f"the words for {key!r} put the text field {{{{{name}}}}} inside $...$")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def text(value: str) -> Sentence:
    """Plain text for a text field (a title, a part id): escaped by each format, never math."""
    return Sentence((Run("text", value),))


def _parse(key: str, text: str, where: tuple[str, int | None]) -> _Template:
    """Split ``text`` into text, bold and math segments; check the math is safe."""
    parts = re.split(r"(?<!\\)\$", text)
    if len(parts) % 2 == 0:
        raise WordsError(f"words {key!r}: a '$' is not closed", where[1], where[0])
    segments: list[tuple[str, str]] = []
    for name in FIELD_RE.findall(text):
        if name not in TEXT_FIELDS and name not in MATH_FIELDS:
            raise WordsError(f"words {key!r}: solgen has no field {{{{{name}}}}}", where[1], where[0])
    for i, part in enumerate(parts):
        if i % 2:
            inside = [n for n in FIELD_RE.findall(part) if n in TEXT_FIELDS]
            if inside:
                raise WordsError(f"words {key!r}: {{{{{inside[0]}}}}} is text and may not stand inside $...$", where[1], where[0])
            if not safe_math(FIELD_RE.sub("x", part)):
                raise WordsError(f"words {key!r}: the math ${part}$ uses a command solgen does not allow", where[1], where[0])
            segments.append(("math", part))
            continue
        part = part.replace("\\$", "$")
        bold = part.split("**")
        if len(bold) % 2 == 0:
            raise WordsError(f"words {key!r}: a '**' is not closed", where[1], where[0])
        segments.extend(("strong" if j % 2 else "text", b) for j, b in enumerate(bold) if b)
    return _Template(key, tuple(segments))


class _Unparsed:
    """A sentence of solgen's own catalog, parsed when first used (a render uses a few
    dozen of its hundreds; tests/test_words.py parses every one)."""

    __slots__ = ("key", "text", "where", "done")

    def __init__(self, key: str, text: str, where: tuple[str, int | None]):
        self.key, self.text, self.where = key, text, where
        self.done: _Template | None = None

    def parse(self) -> _Template:
        if self.done is None:
            self.done = _parse(self.key, self.text, self.where)
        return self.done


FORMS = ("zero", "one", "other")
# a catalog key's sentence, or its zero/one/other forms
Entry = Union[_Template, _Unparsed, dict[str, Union[_Template, _Unparsed]]]


class Words:
    """One language's catalog: ``words(key, count=None, **fields) -> Sentence``."""

    def __init__(self, lang: str, entries: dict[str, Entry]):
        self.lang = lang
        self.entries = entries

    def __call__(self, key: str, count: int | None = None, **fields: object) -> Sentence:
        entry = self.entries[key]
        if isinstance(entry, dict):
            form = "other" if count is None else ("zero" if count == 0 else "one" if count == 1 else "other")
            entry = entry.get(form) or entry["other"]
        if isinstance(entry, _Unparsed):
            entry = entry.parse()
        return entry.fill(fields)

    def keys(self) -> set[str]:
        return set(self.entries)


def builtin_words() -> Path:
    return builtin_templates() / "words"


def _flatten(data: object, prefix: str, file: str, out: dict[str, Entry], lazy: bool = False) -> None:
    if not isinstance(data, dict):
        raise WordsError("a words file maps keys to sentences", getattr(data, "line", None), file)
    for key, value in data.items():
        path = f"{prefix}{key}"
        line = data.key_lines[key] if isinstance(data, LDict) else None  # None in solgen's own
        parse = _Unparsed if lazy else _parse
        if isinstance(value, dict) and set(value) <= set(FORMS) and "other" in value:
            forms: dict[str, _Template | _Unparsed] = {}
            for form, text in value.items():
                if not isinstance(text, str):
                    raise WordsError(f"words {path}.{form}: expected a sentence", line, file)
                forms[form] = parse(path, text, (file, line))
            out[path] = forms
        elif isinstance(value, dict):
            _flatten(value, path + ".", file, out, lazy)
        elif isinstance(value, str):
            out[path] = parse(path, value, (file, line))
        else:
            raise WordsError(f"words {path}: expected a sentence in quotes", line, file)


def _read(path: Path, trusted: bool = False, lazy: bool = False) -> dict[str, Entry]:
    """A catalog's sentences, parsed and checked. A course's catalog is read with line
    numbers (errors name them) and every sentence checked at once; solgen's own with
    libyaml's safe loader, faster, and (``lazy``) each sentence parsed when first used."""
    try:
        if trusted:
            text = path.read_text(encoding="utf-8")
        else:  # a course's: by the path policy, inside its templates folder
            text = read_course_file(path, path.parent.parent, "words catalog")
        if trusted and getattr(yaml, "__with_libyaml__", False):
            data = yaml.load(text, Loader=yaml.CSafeLoader)  # noqa: S506 - the safe loader, in C
        else:
            data = load_yaml(text)
    except SpecError as exc:
        raise WordsError(str(exc), exc.line, str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WordsError(f"cannot read: {exc}", file=str(path)) from None
    out: dict[str, Entry] = {}
    _flatten(data, "", str(path), out, lazy)
    return out


@lru_cache(maxsize=8)
def _builtin(lang: str) -> dict[str, Entry]:
    return _read(builtin_words() / f"{lang}.yaml", trusted=True, lazy=True)


def load_words(lang: str = "en", templates: Path | None = None) -> Words:
    """The catalog for ``lang``: the built-in one, with a course's rewording from
    ``templates/words/<lang>.yaml`` on top."""
    if lang not in LANGS:
        raise WordsError(f"no words for language {lang!r} (one of {', '.join(LANGS)})")
    entries = dict(_builtin(lang))
    own = templates / "words" / f"{lang}.yaml" if templates else None
    if own is not None and os.path.lexists(own):  # a link or a pipe is the policy's to refuse
        for key, value in _read(own).items():
            if key not in entries:
                raise WordsError(f"words {key!r} rewords nothing (no such key in the built-in {lang}.yaml)", file=str(own))
            entries[key] = value
    return Words(lang, entries)
