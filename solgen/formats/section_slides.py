"""What a hand-made deck has beyond text (DESIGN.md "Sections and courses"): images, builds,
speaker notes, a per-slide ``detail:`` and an explicit agenda.

- An image is a Markdown image on a line of its own in an ``md:`` slide
  (``![Contours of f](figs/contours.png)``, optionally ``{width=60%}`` or ``{height=50%}``
  after it): png, jpg, svg or pdf, a regular file inside the course folder (the section
  folder's parent), at most ``MAX_IMAGE_BYTES``, its first bytes those of its type. LaTeX
  takes png, jpg or pdf and the web formats png, jpg or svg: an svg is shown in LaTeX
  through a pdf or png of the same name beside it, a pdf on the web through an svg or png
  (without one, that format shows the alt text and a warning says so). The files are
  copied beside the documents as ``<section id>-img-<name>`` and handed to pdflatex.
- A build is a line ``. . .`` (pandoc's pause) in an ``md:`` slide: Beamer ``\\pause``, the
  same line in the Markdown deck (pandoc, reveal.js), a step in the HTML deck; handouts
  and worksheets show the slide whole.
- ``notes:`` on an item: Beamer ``\\note``, an HTML comment in the Markdown deck (Marp's
  presenter notes; hidden on GitHub), an ``<aside class="notes">`` the HTML deck shows on
  ``n`` and never prints.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from solgen.math.record import record
from solgen.errors import SpecError
from solgen.input.paths import PathError, is_inside, read
from solgen.formats.inline import Prose  # TODO(layout): a prose node that renders itself
from solgen.input.fields import DETAILS
from solgen.input.problem import _ONE_LINE_BAD
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from urllib.parse import unquote
from solgen.input.section_files import is_regular
import unicodedata
from solgen.formats.prose import tex_settable, escape_md, escape_tex, to_tex, md_clean
from html import escape as escape_html

IMAGE_TYPES = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".svg": "svg", ".pdf": "pdf"}
TEX_TYPES = ("pdf", "png", "jpg")
WEB_TYPES = ("svg", "png", "jpg")
MAX_IMAGE_BYTES = 5 << 20
MAX_NOTES = 5_000
PAUSE = ". . ."
_ATTR_RE = re.compile(r"^\{\s*(width|height)\s*=\s*(\d{1,3})%\s*\}$")


# -- reading the item keys ------------------------------------------------------------------

def item_extras(data: Any, kind: str, path: str) -> tuple[str | None, str | None]:
    """(notes, detail) of a slide item, checked."""
    notes = data.get("notes")
    if notes is not None and (not isinstance(notes, str) or not notes.strip() or len(notes) > MAX_NOTES):
        raise SpecError(f"'notes' must be text of at most {MAX_NOTES} characters (what you say on this slide)",
                        data.key_lines["notes"], path)
    detail = data.get("detail")
    if detail is not None and detail not in DETAILS:
        raise SpecError(f"'detail' must be one of {', '.join(DETAILS)}", data.key_lines["detail"], path)
    return notes, detail


def agenda_list(value: list[Any], line: int | None, path: str) -> tuple[str, ...]:
    """An explicit agenda: one line of text per item, at least one."""
    if not value:
        raise SpecError("agenda: the list is empty; list the items, or write agenda: auto", line, path)
    out = []
    for entry, at in zip(value, getattr(value, "item_lines", [line] * len(value))):
        if not isinstance(entry, (str, int, float)) or isinstance(entry, bool) or not str(entry).strip():
            raise SpecError("agenda: each item is one line of text, such as \"Vector calculus\"", at, path)
        entry = str(entry)
        if len(entry) > 200 or _ONE_LINE_BAD.search(entry):
            raise SpecError("agenda: each item is one line of text of at most 200 characters", at, path)
        out.append(entry)
    return tuple(out)


def check_agenda_items(items: Any, topics: tuple[str, ...] | None, path: str) -> None:
    """An ``{agenda: ITEM}`` slide shows the agenda again with ITEM highlighted: it needs
    an agenda that lists ITEM."""
    for it in items:
        if it.kind != "agenda":
            continue
        if topics is None:
            raise SpecError("an agenda slide needs the section's agenda: (auto or a list)", it.line, it.file)
        if it.text not in topics:
            raise SpecError(f"{it.text!r} is not on the agenda ({', '.join(topics)})", it.line, it.file)


# -- images ---------------------------------------------------------------------------------

@record
class ImageRef:
    alt: str
    ref: str
    line: int  # in the section file
    width: int | None = None  # percent of the line
    height: int | None = None  # percent of the text height


def _parser() -> Any:
    return MarkdownIt("commonmark", {"html": False}).use(dollarmath_plugin, double_inline=True).enable("table")


def split_blocks(markdown: str, first_line: int) -> list[tuple[str, Any]]:
    """The slide's Markdown cut at images on their own line and at pauses:
    ``[("md", text) | ("image", ImageRef) | ("pause", None)]``."""
    tokens = _parser().parse(markdown)
    lines = markdown.split("\n")
    out: list[tuple[str, Any]] = []
    start = 0  # the first line not yet taken
    for i, tok in enumerate(tokens):
        if tok.level != 0 or tok.type != "paragraph_open" or not tok.map:
            continue
        inline = tokens[i + 1]
        kids = [k for k in inline.children or [] if not (k.type == "text" and not k.content.strip())]
        a, b = tok.map
        special: tuple[str, Any] | None = None
        if inline.content.strip() == PAUSE:
            special = ("pause", None)
        elif kids and kids[0].type == "image" and (len(kids) == 1 or (len(kids) == 2 and kids[1].type == "text"
                                                                     and _ATTR_RE.match(kids[1].content.strip()))):
            attrs = {}
            if len(kids) == 2:
                m = _ATTR_RE.match(kids[1].content.strip())
                assert m
                attrs[m.group(1)] = int(m.group(2))
            img = kids[0]
            alt = "".join(c.content for c in img.children or []) or img.content
            special = ("image", ImageRef(alt=alt.strip(), ref=str(img.attrs.get("src", "")), line=first_line + a, **attrs))
        if special is None:
            continue
        text = "\n".join(lines[start:a])
        if text.strip():
            out.append(("md", text))
        out.append(special)
        start = b
    rest = "\n".join(lines[start:])
    if rest.strip():
        out.append(("md", rest))
    return out


def md_first_line(item: Any) -> int:
    """The section-file line of an ``md:`` item's first Markdown line (``md: |`` starts below)."""
    return int(item.line) + (1 if item.text and "\n" in item.text.rstrip("\n") else 0)


def resolve_image(ref: str, section_file: str, line: int, root: Path) -> Path:
    """The image file ``ref`` names, after the path policy (``input/paths.py``): inside the
    run's course folder ``root``, fixed once by the top section, links resolved."""
    if not ref or "\x00" in ref or len(ref) > 500 or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", ref):
        raise SpecError(f"image {ref!r}: name a file in the course folder, such as figs/contours.png "
                        "(no web addresses: a deck is presented offline)", line, section_file)
    ref = unquote(ref)
    if os.path.isabs(ref) or ref.startswith("~"):
        raise SpecError(f"image {ref!r} is an absolute path; write it relative to the section file", line, section_file)
    if Path(ref).suffix.lower() not in IMAGE_TYPES:
        raise SpecError(f"image {ref!r}: use a png, jpg, svg or pdf file", line, section_file)
    here = Path(section_file).resolve().parent
    target = (here / ref).resolve()
    if not is_inside(target, root):
        raise SpecError(f"image {ref!r} leads outside the course folder {root}", line, section_file)

    if not is_regular(target):
        raise SpecError(f"no such image file: {ref}", line, section_file)
    return target


def _check_bytes(path: Path, ref: str, line: int, section_file: str, root: Path) -> bytes:
    try:
        data = read(path, root, MAX_IMAGE_BYTES, "image").data
    except PathError as exc:
        raise SpecError(f"image {ref!r}: {exc}", line, section_file) from None
    kind = IMAGE_TYPES[path.suffix.lower()]
    ok = {
        "png": data.startswith(b"\x89PNG\r\n\x1a\n"),
        "jpg": data.startswith(b"\xff\xd8\xff"),
        "pdf": data.startswith(b"%PDF-"),
        "svg": b"<svg" in data[:4096],
    }[kind]
    if not ok:
        raise SpecError(f"image {ref!r} is not a {kind} file", line, section_file)
    return data


def _variant(path: Path, kinds: tuple[str, ...], root: Path) -> Path | None:
    """``path`` if its type is one of ``kinds``, else a file of the same name beside it
    (inside ``root``, links resolved)."""
    if IMAGE_TYPES[path.suffix.lower()] in kinds:
        return path
    for suffix, kind in IMAGE_TYPES.items():
        if kind in kinds:
            other = Path(os.path.realpath(path.with_suffix(suffix)))
            if other.is_file() and is_inside(other, root):
                return other
    return None


def image_files(items: Any, root: Path) -> list[str]:
    """Every image file the section's slides show (checked; for the cache and watch)."""
    out = []
    for it in items:
        if it.kind != "md" or "](" not in (it.text or ""):
            continue
        for kind, ref in split_blocks(it.text, md_first_line(it)):
            if kind == "image":
                target = resolve_image(ref.ref, it.file, ref.line, root)
                out += [os.path.relpath(v) for v in (_variant(target, TEX_TYPES, root), _variant(target, WEB_TYPES, root))
                        if v]
    return list(dict.fromkeys(out))


class Images:
    """The images of one section: each source file read once and named once in ``out/``."""

    def __init__(self, section_id: str, root: Path):
        self.prefix = section_id
        self.root = root  # the run's course folder: every image is read inside it
        self.files: dict[str, bytes] = {}  # output name -> bytes
        self.tex_names: set[str] = set()  # the files LaTeX shows, and those Markdown and HTML show
        self.web_names: set[str] = set()
        self._names: dict[Path, str] = {}
        self.warnings: list[tuple[int, str]] = []

    def _name(self, path: Path, ref: str, line: int, section_file: str) -> str:
        if path not in self._names:
            stem = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-") or "image"
            ext = ".jpg" if path.suffix.lower() == ".jpeg" else path.suffix.lower()
            name, n = f"{self.prefix}-img-{stem}{ext}", 2
            while name in self.files:
                name, n = f"{self.prefix}-img-{stem}-{n}{ext}", n + 1
            self.files[name] = _check_bytes(path, ref, line, section_file, self.root)
            self._names[path] = name
        return self._names[path]

    def add(self, ref: ImageRef, section_file: str) -> "Image":
        target = resolve_image(ref.ref, section_file, ref.line, self.root)
        tex, web = _variant(target, TEX_TYPES, self.root), _variant(target, WEB_TYPES, self.root)
        for what, found, kinds in (("LaTeX", tex, "pdf, png or jpg"), ("Markdown and HTML", web, "svg, png or jpg")):
            if found is None:
                self.warnings.append((ref.line, f"image {ref.ref!r}: {what} shows its alt text; put a {kinds} file "
                                                f"of the same name beside it"))
        image = Image(
            alt=ref.alt, width=ref.width, height=ref.height,
            tex=self._name(tex, ref.ref, ref.line, section_file) if tex else None,
            web=self._name(web, ref.ref, ref.line, section_file) if web else None,
        )
        self.tex_names.update([image.tex] if image.tex else [])
        self.web_names.update([image.web] if image.web else [])
        return image

    def for_formats(self, formats: Any) -> dict[str, bytes]:
        """The files the documents of ``formats`` show, by output name."""
        wanted = (self.tex_names if "tex" in formats else set()) | (self.web_names if {"md", "html"} & set(formats) else set())
        return {n: d for n, d in self.files.items() if n in wanted}


def _tex_safe(text: str) -> str:
    """``text`` with each character pdflatex cannot set replaced by its name ("ε" -> "epsilon")."""
    return "".join(ch if tex_settable(ch) else unicodedata.name(ch, "?").split()[-1].lower() for ch in text)


@record
class Image:
    alt: str
    tex: str | None  # output file names, None: that format shows the alt text
    web: str | None
    width: int | None = None
    height: int | None = None

    def render(self, fmt: str, deck: bool, alone: bool) -> str:
        if fmt == "tex":
            if self.tex is None:
                return "\\begin{center}\\fbox{" + escape_tex(self.alt or "image") + "}\\end{center}\n"
            if deck:  # a slide: as large as the frame allows, or as the slide says
                width = f"{self.width / 100:.2f}\\linewidth" if self.width else "\\linewidth"
                share = self.height / 100 if self.height else 0.72 if alone else 0.52
            else:  # a handout: a picture beside the text, not a page of its own
                width = f"{0.6 * (self.width or 100) / 100:.2f}\\linewidth"
                share = 0.28
            opts = f"width={width},height={share:.2f}\\textheight,keepaspectratio"
            return f"\\begin{{center}}\n\\includegraphics[{opts}]{{{self.tex}}}\n\\end{{center}}\n"
        if self.web is None:
            return escape_md(f"[{self.alt}]") if fmt == "md" else f"<p class=\"alt\">[{escape_html(self.alt)}]</p>"
        if fmt == "md":  # pandoc sets the alt text as a caption with pdflatex: letters it cannot set are named
            return f"![{escape_md(_tex_safe(self.alt), False)}]({self.web})"
        style = f"max-width: {self.width or 100}%; max-height: {self.height or (70 if alone else 45)}vh;"
        return (f'<figure class="image"><img src="{escape_html(self.web)}" alt="{escape_html(self.alt)}" '
                f'style="{style}"></figure>')


# -- a slide's body -------------------------------------------------------------------------

@record
class Body:
    """An ``md:`` slide's body: prose, images and pauses in order. As a value it renders
    whole (handouts, worksheets); ``deck`` renders the builds too."""

    blocks: tuple[tuple[str, Any], ...]  # ("md", Prose) | ("image", Image) | ("pause", None)
    in_deck: bool = False

    @property
    def deck(self) -> "Body":
        return Body(self.blocks, True)

    @property
    def steps(self) -> int:
        return sum(1 for k, _ in self.blocks if k == "pause")

    def __bool__(self) -> bool:
        return any(k == "image" or (k == "md" and bool(v)) for k, v in self.blocks)

    def as_format(self, fmt: str) -> str:
        alone = not any(k == "md" and len(v.source.strip()) > 80 for k, v in self.blocks)
        pieces: list[str] = []
        html_open = False
        for kind, value in self.blocks:
            if kind == "md":
                pieces.append(value.as_format(fmt))
            elif kind == "image":
                pieces.append(value.render(fmt, self.in_deck, alone))
            elif self.in_deck:
                if fmt == "tex":
                    pieces.append("\\pause")
                elif fmt == "md":
                    pieces.append(PAUSE)
                else:
                    pieces.append(("</div>" if html_open else "") + '<div class="step">')
                    html_open = True
        if html_open:
            pieces.append("</div>")
        return "\n\n".join(p.strip("\n") for p in pieces if p.strip())


def build_body(markdown: str, first_line: int, section_file: str, images: Images) -> Body:
    blocks: list[tuple[str, Any]] = []
    for kind, value in split_blocks(markdown, first_line):
        if kind == "md":
            blocks.append(("md", Prose(value)))
        elif kind == "image":
            blocks.append(("image", images.add(value, section_file)))
        elif blocks:  # a pause before anything is nothing to wait for
            blocks.append(("pause", None))
    while blocks and blocks[-1][0] == "pause":
        blocks.pop()
    return Body(tuple(blocks))


@record
class Notes:
    """Speaker notes: prose a presenter reads, never shown on a slide or in print."""

    source: str

    def as_format(self, fmt: str) -> str:
        if fmt == "tex":
            return "\\note{" + to_tex(self.source) + "}"
        if fmt == "md":  # Marp's presenter notes (plain text); GitHub and pandoc hide a comment
            text = md_clean(self.source).strip().replace("--", "- -").replace("<!", "< !")
            return "<!--\n" + text + "\n-->"
        return '<aside class="notes" hidden>' + Prose(self.source).as_format("html") + "</aside>"

    def __bool__(self) -> bool:
        return bool(self.source.strip())


# -- cutting a problem's answer into frames -----------------------------------------------------

FRAME_BUDGET = 9.0  # lines of body text a 16:9 Beamer frame holds at 11pt under its title
SPECIAL = ("directional", "figure", "taylor", "text")


def _height(tex: str) -> float:
    """Lines of body text a displayed formula takes: a matrix its rows, a fraction more."""
    rows = max((m.count("\\\\") + 1 for m in re.findall(r"\\begin\{[bpv]?matrix\}(.*?)\\end", tex, re.S)), default=0)
    if rows:
        return 0.3 + 0.8 * rows * (1.5 if "\\frac" in tex else 1.0)
    return 1.6 if "\\frac" in tex or "\\sum" in tex else 1.0


def plan_frames(question: dict[str, Any], with_prompt: bool, budget: float = FRAME_BUDGET) -> list[dict[str, Any]]:
    """A question's answer as frames, measured: step lines, group headings and short answers
    flow onto frames of at most ``budget`` lines (a long derivation continues on the next
    frame); a figure, a directional reading, a Taylor polynomial or a text answer has a
    frame of its own. Each frame: ``{"kind": "flow", "blocks": [...], "continued": bool}``
    or ``{"kind": "part", "part": p}``; the first one carries the prompt when asked."""
    frames: list[dict[str, Any]] = []
    flow: list[dict[str, Any]] = []
    used = 0.0
    prompt_cost = (len(str(question.get("prompt") or "")) / 70 + 1.2) if with_prompt else 0.0

    def close(continued_next: bool = False) -> None:
        nonlocal flow, used
        if flow:
            frames.append({"kind": "flow", "blocks": flow, "continued": False})
        flow, used = [], 0.0

    def add(block: dict[str, Any], cost: float) -> None:
        nonlocal used
        room = budget - (prompt_cost if not frames else 0.0)
        if flow and used + cost > room:
            close()
            block = {**block, "first_after_cut": True}
            frames_continued.add(len(frames))
        flow.append(block)
        used += cost

    frames_continued: set[int] = set()
    for p in question["parts"]:
        for g in p.get("groups") or []:
            if not g.get("lines"):
                continue
            add({"type": "heading", "tex": g["heading"], "held": g["held_sentence"] if g.get("held") else None},
                1.3 + (1.0 if g.get("held") else 0.0) + (0.6 if "\\frac" in g["heading"] else 0.0))
            for s in g["lines"]:
                add({"type": "step", "s": s}, 0.25 + _height(s["equation"]))
        if p["ask"] in SPECIAL or "answer_short" not in p:
            close()
            frames.append({"kind": "part", "part": p})
            continue
        lines = list(p["answer_short"])
        extra = 1.2 if (p.get("answer_prose") or (p["ask"] == "jacobian" and p.get("equals_hessian"))) else 0.0
        add({"type": "answer", "lines": lines, "part": p}, sum(0.4 + _height(t) for t in lines) + extra)
    close()
    for i, f in enumerate(frames):
        f["continued"] = i in frames_continued and f["kind"] == "flow" and f["blocks"][0]["type"] == "step"
        # the question once, above its first answer (a figure frame has no room: its legend says what it shows)
        f["prompt"] = with_prompt and i == 0 and (f["kind"] == "flow" or f["part"]["ask"] in ("taylor", "text"))
    return frames
