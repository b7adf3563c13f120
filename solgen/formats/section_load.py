"""Section files: YAML -> a validated ``Section``; errors as SECTION:LINE: message.

Read with the problem loader's safe YAML (no aliases, no tags, duplicate keys refused,
every value with its line). Paths in a section are relative to the section file and are
checked before anything is read (``resolve``): a section travels between TAs, so it may
not pull arbitrary files into a handout.

Path policy (``solgen/input/paths.py``, one for every file solgen reads): a path must be
relative (an absolute path or ``~`` is refused), name a ``.yaml``/``.yml`` file, and lead
(after ``..`` and symbolic links are resolved) inside the course folder: the top section's
folder's parent, fixed once for the whole load (an included section elsewhere does not
move it: ``sections/``, ``problems/`` side by side, so ``../problems/1.2.yaml`` works and
``../../secrets.yaml`` does not, from the top section or from any section it includes).
The file is read once, by ``paths.read`` (the file checked is the file read); a problem's
bytes are kept in ``Section.sources`` and parsed from there. What it names must then load
as a problem file (``problem:``) or a section (``section:``); anything else is an error of
the section line that names it.

To add an item key: put it in ``ITEM_KEYS`` and read it in ``_item``.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from solgen.math.record import record
from solgen.errors import SolgenError, SpecError
from solgen.input.paths import course_root, is_inside
from solgen.input import LANGS, paths
from solgen.input import ID_RE
from solgen.input.problem import MAX_FILE_BYTES, LDict, LList, load_yaml, _one_line
from solgen.input.section_files import is_section_text
from solgen.formats.section_slides import item_extras, agenda_list, check_agenda_items, image_files
from solgen.input.markdown import refused_math

TOP_KEYS = ("id", "title", "course", "section", "author", "date", "lang", "agenda", "slides")
AGENDA_KEYS = ("topics", "repeat", "title")
ITEM_KEYS = {
    "md": ("md", "notes"),
    "topic": ("topic", "notes"),
    "problem": ("problem", "parts", "show", "title", "intro", "detail", "notes"),
    "agenda": ("agenda", "notes"),
    "section": ("section",),
}
SHOWS = ("all", "questions", "answers")
MAX_ITEMS = 300
MAX_DEPTH = 8  # sections included in sections
MAX_MD = 20_000


@record
class Item:
    """One entry of ``slides:``: a Markdown slide, a topic divider or a problem."""

    kind: str  # md | topic | problem | agenda (the agenda again, ``text`` highlighted)
    line: int
    file: str  # the section file the item is written in (an included one, perhaps)
    text: str | None = None  # md: the Markdown; topic: its title
    path: str | None = None  # problem: the file, as a path from where solgen runs
    parts: tuple[str, ...] | None = None  # None: every part
    parts_line: int | None = None
    show: str = "all"
    title: str | None = None
    intro: str | None = None
    notes: str | None = None  # speaker notes: Beamer \note, Marp/reveal notes, hidden in HTML
    detail: str | None = None  # problem: answer | standard | full for this slide only


@record
class Section:
    id: str
    title: str | None
    items: tuple[Item, ...]
    path: str
    course: str | None = None
    section: str | None = None
    author: str | None = None
    date: str | None = None
    lang: str = "en"
    agenda: tuple[str, ...] | None = None  # the topics, when the agenda is shown
    agenda_repeat: bool = False  # before each topic again, the current one highlighted
    agenda_title: str | None = None  # None: the words' "Plans for today!"
    id_line: int = 1
    files: tuple[str, ...] = ()  # every file read: the section, included sections, problems
    warnings: tuple[tuple[int, str], ...] = ()  # (line, message): math in prose shown as code
    digests: dict[str, str] = field(default_factory=dict, compare=False)  # real path -> SHA-256 of the bytes read
    sources: dict[str, bytes] = field(default_factory=dict, compare=False)  # problem path -> its bytes, as read
    lang_given: bool = False  # the file wrote lang: (a solgen.toml's lang does not override it)


@dataclass
class _Reads:
    """What one load read: paths in order, their digests, the problems' bytes; the root."""

    root: Path | None
    files: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    sources: dict[str, bytes] = field(default_factory=dict)

    def read(self, path: str, root: Path | None) -> bytes:
        got = paths.read(path, root, MAX_FILE_BYTES)
        self.files.append(path)
        self.digests[got.real] = got.digest
        return got.data


def _read(path: str, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError("file is not UTF-8", raw.count(b"\n", 0, exc.start) + 1, path) from None
    try:
        return load_yaml(text)
    except SpecError as exc:
        exc.file = path
        raise


def resolve(ref: Any, section_path: str, line: int, what: str = "problem", root: Path | None = None) -> str:
    """The file a section's ``problem:``/``section:`` names, as a path from where solgen runs,
    after the checks of the module's path policy; ``root``: the course folder of the run
    (default: the section folder's parent)."""
    if not isinstance(ref, str) or not ref.strip():
        raise SpecError(f"'{what}' must be a path such as ../problems/1.2.yaml", line, section_path)
    if "\x00" in ref or len(ref) > 500:
        raise SpecError(f"'{what}' is not a usable path", line, section_path)
    if os.path.isabs(ref) or ref.startswith("~"):
        raise SpecError(f"{ref!r} is an absolute path; write it relative to the section file "
                        "(e.g. ../problems/1.2.yaml), so the section works on every TA's machine", line, section_path)
    if Path(ref).suffix.lower() not in (".yaml", ".yml"):
        raise SpecError(f"{ref!r} is not a .yaml file: a section includes problem files and sections only", line, section_path)

    here = Path(section_path).resolve().parent
    root = Path(root) if root is not None else here.parent
    target = (here / ref).resolve()
    if not is_inside(target, root):
        raise SpecError(f"{ref!r} leads outside the course folder {root}: a section may name files in its own "
                        "folder and the folders beside it (../problems/...)", line, section_path)
    shown = os.path.normpath(os.path.join(os.path.dirname(section_path), ref))
    if not target.is_file():
        near = ""
        if target.parent.is_dir():
            names = [p.name for p in target.parent.iterdir() if p.suffix in (".yaml", ".yml")]
            close = difflib.get_close_matches(target.name, names, n=1)
            near = f"; did you mean {close[0]!r}?" if close else ""
        raise SpecError(f"no such {what} file: {ref} ({shown}){near}", line, section_path)
    # the file checked is the file read: ``target`` has its links and ``..`` resolved (the
    # text of ``shown`` would take L/.. as nothing, where L is a link that leads elsewhere)
    real = os.path.relpath(target)
    return shown if Path(shown).resolve() == target else real


def _check_keys(data: Any, allowed: tuple[str, ...], what: str, path: str) -> None:
    for key in data:
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(allowed)}"
            raise SpecError(f"unknown key {key!r} in {what}{hint}", data.key_lines[key], path)


def _line_text(data: Any, key: str, path: str, limit: int = 200) -> str | None:
    try:
        return _one_line(data, key, limit)
    except SpecError as exc:
        exc.file = path
        raise


def _named(data: Any, path: str, what: str, reads: _Reads) -> tuple[str, bytes]:
    """The file a ``problem:``/``section:`` item names, checked and read once (its bytes)."""
    line = data.key_lines[what]
    target = resolve(data[what], path, line, what, reads.root)
    try:
        raw = reads.read(target, reads.root)
    except SpecError as exc:
        raise SpecError(f"{data[what]}: {exc}", line, path) from None
    if is_section_text(raw) != (what == "section"):  # the other kind: say so here, not in that file
        other = "section" if what == "problem" else "problem"
        raise SpecError(f"{data[what]} is a {other} file, not a {what}: name it with '{other}: {data[what]}'", line, path)
    return target, raw


def _item(data: Any, line: int, path: str, stack: tuple[str, ...], reads: _Reads) -> list[Item]:
    if isinstance(data, str):
        raise SpecError("a slide is a mapping: {md: ...}, {topic: ...}, {problem: ...} or {section: ...}", line, path)
    if not isinstance(data, LDict) or not data:
        raise SpecError("a slide is a mapping with one of md, topic, problem or section", line, path)
    kinds = [k for k in ITEM_KEYS if k in data]
    if len(kinds) != 1:
        first = next(iter(data))
        if not kinds:
            near = difflib.get_close_matches(first, list(ITEM_KEYS), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            raise SpecError(f"unknown slide {first!r}{hint} (one of md, topic, problem, agenda, section)", data.key_lines[first], path)
        raise SpecError(f"a slide is one of md, topic, problem or section, not {' and '.join(kinds)}", line, path)
    kind = kinds[0]
    _check_keys(data, ITEM_KEYS[kind], f"a {kind} slide", path)

    notes, detail = item_extras(data, kind, path)
    if kind == "md":
        text = data["md"]
        if not isinstance(text, str) or not text.strip():
            raise SpecError("'md' must be Markdown text", line, path)
        if len(text) > MAX_MD:
            raise SpecError(f"'md' is longer than {MAX_MD} characters", line, path)
        return [Item("md", line, path, text=text, notes=notes)]
    if kind == "topic":
        return [Item("topic", line, path, text=_line_text(data, "topic", path) or "", notes=notes)]
    if kind == "agenda":
        return [Item("agenda", line, path, text=_line_text(data, "agenda", path) or "", notes=notes)]
    if kind == "section":
        target, raw = _named(data, path, "section", reads)
        if os.path.realpath(target) in stack:
            chain = " -> ".join([*stack, os.path.realpath(target)])
            raise SpecError(f"sections include each other in a cycle: {chain}", data.key_lines["section"], path)
        if len(stack) >= MAX_DEPTH:
            raise SpecError(f"sections nested more than {MAX_DEPTH} deep", data.key_lines["section"], path)
        inner = _load(target, raw, (*stack, os.path.realpath(target)), reads)
        return list(inner.items)
    target, raw = _named(data, path, "problem", reads)
    reads.sources[target] = raw
    parts = data.get("parts")
    if parts is not None:
        if isinstance(parts, str):
            parts = [parts]
        if not isinstance(parts, list) or not parts or not all(isinstance(p, (str, int)) for p in parts):
            raise SpecError("'parts' must be a list of part ids such as [a, b]", data.key_lines["parts"], path)
        parts = tuple(str(p) for p in parts)
    show = data.get("show", "all")
    if show not in SHOWS:
        raise SpecError(f"'show' must be one of {', '.join(SHOWS)}", data.key_lines.get("show", line), path)
    intro = data.get("intro")
    if intro is not None and (not isinstance(intro, str) or len(intro) > MAX_MD):
        raise SpecError(f"'intro' must be Markdown text of at most {MAX_MD} characters", data.key_lines["intro"], path)
    return [Item("problem", line, path, path=target, parts=parts, parts_line=data.key_lines.get("parts"), show=show,
                 title=_line_text(data, "title", path), intro=intro, notes=notes, detail=detail)]


def _agenda(data: Any, path: str) -> tuple[bool | tuple[str, ...], bool, str | None]:
    """(shown, repeated, title) from ``agenda: auto | none | [items] | {topics: auto | [items],
    repeat: true, title: ...}``; shown is the explicit list when one is given."""
    value = data.get("agenda")
    line = data.key_lines.get("agenda")
    if isinstance(value, list):
        return agenda_list(value, line, path), False, None
    if value in (None, "none", False):
        return False, False, None
    if value in ("auto", True):
        return True, False, None
    if value == "repeat":
        return True, True, None
    if isinstance(value, LDict):
        _check_keys(value, AGENDA_KEYS, "agenda", path)
        topics = value.get("topics", "auto")
        if isinstance(topics, list):
            topics = agenda_list(topics, value.key_lines["topics"], path)
        elif topics != "auto":
            raise SpecError("agenda: topics must be 'auto' (the topic slides, in order) or a list of items",
                            value.key_lines["topics"], path)
        repeat = value.get("repeat", False)
        if not isinstance(repeat, bool):
            raise SpecError("agenda: repeat must be true or false", value.key_lines["repeat"], path)
        return topics if isinstance(topics, tuple) else True, repeat, _line_text(value, "title", path)
    raise SpecError("agenda must be auto, repeat, none, a list of items or a mapping {topics: auto, repeat: true, "
                    "title: ...}", line, path)


def _load(path: str, raw: bytes, stack: tuple[str, ...], reads: _Reads) -> Section:
    data = _read(path, raw)
    if not isinstance(data, LDict) or "slides" not in data:
        raise SpecError("a section file is a mapping with id, title and slides", 1, path)
    _check_keys(data, TOP_KEYS, "the section", path)
    sid = data.get("id")
    if sid is None:
        raise SpecError("the section needs 'id' (it names the output files, e.g. section-3)", data.line, path)
    if not isinstance(sid, str) or not ID_RE.match(sid) or sid in (".", ".."):
        raise SpecError(f"id {sid!r} must be text of letters, digits, '.', '_' or '-' (it names the output files)",
                        data.key_lines["id"], path)
    lang = data.get("lang", "en")
    if lang not in LANGS:
        raise SpecError(f"lang {lang!r} has no words catalog (one of {', '.join(LANGS)})", data.key_lines["lang"], path)
    slides = data["slides"]
    if not isinstance(slides, LList) or not slides:
        raise SpecError("'slides' must be a list of slides", data.key_lines["slides"], path)
    if len(slides) > MAX_ITEMS:
        raise SpecError(f"at most {MAX_ITEMS} slides", data.key_lines["slides"], path)
    items: list[Item] = []
    for entry, line in zip(slides, slides.item_lines):
        items.extend(_item(entry, line, path, stack, reads))
        if len(items) > MAX_ITEMS:
            raise SpecError(f"at most {MAX_ITEMS} slides, included sections counted", line, path)
    shown, repeat, agenda_title = _agenda(data, path)
    topics = shown if isinstance(shown, tuple) else tuple(i.text or "" for i in items if i.kind == "topic")

    check_agenda_items(items, topics if shown else None, path)
    reads.files.extend(image_files(items, reads.root or course_root(path)))
    if shown and not topics:
        raise SpecError("agenda: auto lists the section's topic slides, and it has none: add '- topic: ...' "
                        "slides or leave the agenda out", data.key_lines.get("agenda"), path)
    return Section(
        id=sid, title=_line_text(data, "title", path), items=tuple(items), path=path,
        course=_line_text(data, "course", path), section=_line_text(data, "section", path),
        author=_line_text(data, "author", path), date=_line_text(data, "date", path), lang=lang,
        agenda=topics if shown else None, agenda_repeat=repeat, agenda_title=agenda_title,
        id_line=data.key_lines["id"], lang_given="lang" in data,
    )


def load_section(path: str | Path) -> Section:
    """The section at ``path`` with its included sections spliced in; ``files`` lists every
    file it reads (for the cache and ``solgen watch``), ``digests`` what was read, and
    ``sources`` the problems' bytes. The course folder is fixed here, once, from the top
    section (``paths.course_root``)."""
    path = str(path)
    reads = _Reads(course_root(path))
    raw = reads.read(path, None)  # named by the user: read wherever it is
    section = _load(path, raw, (os.path.realpath(path),), reads)
    return replace(section, files=tuple(dict.fromkeys(reads.files)), warnings=tuple(_warnings(section)),
                   digests=dict(reads.digests), sources=dict(reads.sources))


def _warnings(section: Section) -> list[tuple[int, str]]:
    """Math in a slide or an intro that the whitelist refuses (it is shown as code), at the
    item's line; an included section's are named by their file."""
    out = []
    for item in section.items:
        for key, text in (("md", item.text if item.kind == "md" else None), ("intro", item.intro)):
            for formula, why in refused_math(text or ""):
                shown = formula if len(formula) <= 60 else formula[:57] + "..."
                where = "" if item.file == section.path else f"in {item.file}, "
                out.append((item.line, f"{where}the math ${shown}$ in {key!r} uses {why}; it is shown as code"))
    return out


def referenced(path: str | Path) -> int:
    """How many different problem files a section shows, once its includes are loaded (a
    comment or an ``md:`` block names none): the worker's time allowance grows with them
    (``pipeline.allowance``), at most by MAX_REFERENCED. A section that does not load
    counts none (its worker reports why)."""
    try:
        section = load_section(path)
    except (SolgenError, RecursionError, MemoryError):
        return 0
    shown = {os.path.realpath(i.path) for i in section.items if i.kind == "problem" and i.path}
    return min(len(shown), MAX_REFERENCED)


MAX_REFERENCED = 60
