"""View model -> text through Jinja2 templates (LaTeX, Markdown, HTML).

One Environment factory (``environment``) for both formats. Templates travel between
TAs, so they render in Jinja's ``ImmutableSandboxedEnvironment`` (no ``__globals__``,
no mutation of the view). LaTeX templates use delimiters that do not collide with TeX
(``\\VAR{...}``, ``\\BLOCK{...}``, ``\\#{...}``, as the ``latex``/``latexbuild``
packages do), ``StrictUndefined``, and each format has a finalizer that escapes every
value for it (``escape_tex``, ``escape_md``) unless it is ``Markup`` (math from
texmath, prose already rendered by prose.py). Markdown front matter is written by a
YAML serializer (the ``front_matter`` filter). Built-in templates ship in the package (``solgen/templates``,
which is the repository's ``templates/``); ``--templates DIR`` puts DIR first on the
search path, so any template can be overridden by name.

Each format has at most four templates, page shells that print the view's blocks
(``present/blocks.py``) and never ask which ask a part is: ``document`` (handout and
worksheet, of a problem or a section), ``slides`` (decks), ``parts`` (a part's blocks), and
``preamble.tex.j2`` (LaTeX: packages and macros, also for ``--body-only`` and solgen.sty) or
``page.html.j2`` (HTML: the page around a document or deck). ``template_name`` picks the shell
of an output kind. To add a format: its escape and finalizer here, its pieces in
``formats/<fmt>.py``, its templates in ``templates/<fmt>/``.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from solgen.formats.inline import draw_figures, render as render_inline, renders
from solgen.formats.prose import escape_md, escape_tex, github_safe
from solgen.errors import WordsError
from solgen.input import paths
from solgen.input.paths import MAX_TEMPLATE_BYTES, builtin_templates, read_course_file  # noqa: F401 - re-exported
from solgen.math import lazy
from solgen.present.words import Words, load_words


def _finalizer(fmt: str, escape: Callable[[str], str]) -> Callable[[Any], Markup]:
    """Every value printed into a document is escaped for its format, unless it is Markup
    (math from texmath); sentences from the catalog and prose fields are rendered by
    ``inline.render``."""

    def finalize(value: Any) -> Markup:
        if value is None:
            return Markup("")
        if isinstance(value, Markup):
            return value
        if renders(value):
            return Markup(render_inline(value, fmt))
        return Markup(escape(str(value)))

    return finalize


MD_LIST_LEVELS = 3  # Beamer nests three lists (LaTeX four): deeper steps are indented, not nested


def step_bullet(depth: int) -> Markup:
    """The list marker of a step ``depth`` deep in its tree: nested lists down to
    ``MD_LIST_LEVELS``, then non-breaking spaces, so pandoc's PDF and Beamer never hit
    "Too deeply nested"."""
    depth = int(depth)
    level = min(depth, MD_LIST_LEVELS - 1)
    return Markup("  " * level + "- " + "&nbsp;&nbsp;&nbsp;" * (depth - level))


def front_matter(fields: dict[str, Any]) -> Markup:
    """YAML front matter for Markdown slides, written by a YAML serializer: text values
    are Markdown-escaped first (pandoc and Marp read them as Markdown), so no quote,
    newline or tag in a title can end the block or add a key."""
    def text(value: Any) -> Any:
        if isinstance(value, Markup):  # joined in the template: autoescape made it HTML
            value = value.unescape()
        if renders(value):  # a sentence: its plain text
            value = str(value)
        return escape_md(value) if isinstance(value, str) else value

    def value(v: Any) -> Any:
        if isinstance(v, (list, tuple)):  # pieces of one line, e.g. a title and "(worksheet)"
            return " ".join(str(text(p)) for p in v if p)
        return text(v)

    clean = {k: value(v) for k, v in fields.items() if v not in (None, "")}
    body = yaml.safe_dump(clean, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10_000)
    return Markup("---\n" + body + "---")


def check_overrides(templates: Path) -> None:
    """Every file under ``templates/<tex|md|html|words>/`` must have a built-in of the same
    name, and nothing else may sit in the folder; a misspelt override is an error, never
    silently ignored."""
    builtin = builtin_templates()
    for entry in sorted(templates.iterdir()):
        if entry.name.startswith("."):
            continue
        if not entry.is_dir() or entry.name not in ("tex", "md", "html", "words"):
            raise WordsError("overrides nothing: a templates folder holds tex/, md/, html/ and words/", file=str(entry))
        for own in sorted(entry.iterdir()):
            if not own.name.startswith(".") and not (builtin / entry.name / own.name).is_file():
                names = ", ".join(sorted(p.name for p in (builtin / entry.name).iterdir()))
                raise WordsError(f"overrides nothing: no built-in {entry.name}/{own.name} (there are: {names})", file=str(own))
            if not own.name.startswith("."):
                check_readable(own, templates)


def check_readable(path: Path, root: Path | None = None) -> None:
    """A template or catalog from a course folder must be a regular file of a sane size
    inside the templates folder ``root`` (default: the file's folder's parent)."""
    read_course_file(path, root if root is not None else path.parent.parent)


class CourseLoader(jinja2.BaseLoader):
    """Templates from ``own`` (a ``--templates`` folder's format folder) read by the path
    policy, else the built-ins. The file checked is the file read: the text Jinja compiles
    is the bytes ``read_course_file`` read."""

    def __init__(self, own: Path | None, root: Path | None, builtin: Path):
        self.own, self.root = own, root
        self.builtin = jinja2.FileSystemLoader(str(builtin))

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Callable[[], bool]]:
        if self.own is not None and self.root is not None:
            pieces = jinja2.loaders.split_template_path(template)  # refuses '..' in an include's name
            candidate = self.own.joinpath(*pieces)
            if os.path.lexists(candidate):
                text = read_course_file(candidate, self.root)
                root, digest = self.root, paths.digest(candidate, self.root, MAX_TEMPLATE_BYTES)
                return text, str(candidate), lambda: paths.digest(candidate, root, MAX_TEMPLATE_BYTES) == digest
        return self.builtin.get_source(environment, template)


class BuiltinBytecode(jinja2.BytecodeCache):
    """The built-in templates, compiled once and kept beside them in ``__jinja__/`` (as
    Python keeps ``__pycache__``): a render then only loads their code. ``make`` writes
    them (``precompile``); a render writes a missing one unless PYTHONDONTWRITEBYTECODE
    is set. A ``--templates`` folder's own templates are never cached: they are compiled
    from the text read, every time (a course folder is data, not code)."""

    def __init__(self, builtin: Path, write: bool | None = None):
        self.builtin = os.path.abspath(builtin) + os.sep
        self.folder = builtin / "__jinja__"
        self.write = (not sys.dont_write_bytecode) if write is None else write

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None,
                   source: str) -> jinja2.bccache.Bucket:
        bucket = jinja2.bccache.Bucket(environment, self.get_cache_key(name, filename), self.get_source_checksum(source))
        bucket.builtin = filename is not None and os.path.abspath(filename).startswith(self.builtin)  # type: ignore[attr-defined]
        self.load_bytecode(bucket)
        return bucket

    def _file(self, bucket: jinja2.bccache.Bucket) -> Path | None:
        return self.folder / f"{bucket.key}.cache" if getattr(bucket, "builtin", False) else None

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        path = self._file(bucket)
        if path is None:
            return
        try:
            with open(path, "rb") as fh:
                bucket.load_bytecode(fh)  # a stale or damaged file: its checksum or magic fails, and it is compiled again
        except (OSError, ValueError, EOFError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        path = self._file(bucket)
        if path is None or not self.write or bucket.code is None:
            return
        try:
            self.folder.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                bucket.write_bytecode(fh)
            os.replace(tmp, path)
        except OSError:  # a read-only install: compiled each time, as without the cache
            pass


def precompile() -> int:
    """Compile every built-in template into ``__jinja__/`` (``make`` runs this after
    compileall). Returns how many were written."""
    count = 0
    for fmt in ("tex", "md", "html"):
        env = environment(fmt)
        assert isinstance(env.bytecode_cache, BuiltinBytecode)
        env.bytecode_cache.write = True
        for template in sorted((builtin_templates() / fmt).glob("*.j2")):
            env.get_template(template.name)
            count += 1
    return count


@lru_cache(maxsize=16)
def environment(fmt: str, templates: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment for ``fmt`` ("tex", "md" or "html"), one per format and
    templates folder (its compiled templates are kept for the next kind)."""
    if templates is not None:
        check_overrides(templates)
    loader = CourseLoader(templates / fmt if templates else None, templates, builtin_templates() / fmt)
    common: dict[str, Any] = {
        "loader": loader,
        "undefined": _Undefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        "autoescape": False,
        "bytecode_cache": BuiltinBytecode(builtin_templates()),
    }
    if fmt == "html":
        html = lazy.load("html")  # latex2mathml: for HTML only
        env = ImmutableSandboxedEnvironment(finalize=_finalizer("html", html.escape_html), **{**common, "autoescape": True})
        env.filters["display"] = lambda parts: Markup(html.display(parts))
        env.filters["math"] = lambda parts: Markup(html.inline(parts))
        env.filters["relation"] = html.relation
        env.filters["csp_hash"] = _csp_hash
    elif fmt == "tex":
        env = ImmutableSandboxedEnvironment(
            block_start_string=r"\BLOCK{",
            block_end_string="}",
            variable_start_string=r"\VAR{",
            variable_end_string="}",
            comment_start_string=r"\#{",
            comment_end_string="}",
            line_comment_prefix="%#",
            finalize=_finalizer("tex", escape_tex),
            **{**common, "autoescape": True},
        )
    else:
        env = ImmutableSandboxedEnvironment(finalize=_finalizer("md", escape_md), **{**common, "autoescape": True})
        env.filters["front_matter"] = front_matter
    env.filters["step_bullet"] = step_bullet
    return env


def template_name(kind: str, fmt: str) -> str:
    """The page shell of an output kind: ``slides.<fmt>.j2`` for a deck (a problem's or a
    section's, with or without answers), ``document.<fmt>.j2`` for the rest (handouts and
    worksheets). The template is told ``section``, ``worksheet`` and ``slides``."""
    return f"{'slides' if 'slides' in kind.split('-') else 'document'}.{fmt}.j2"


def render(view: dict[str, Any], fmt: str, kind: str = "handout", templates: Path | None = None,
           words: Words | None = None) -> str:
    """Render ``view`` as ``kind`` in ``fmt``; templates say ``w('key', ...)`` for a sentence."""
    env = environment(fmt, templates)
    words = words or load_words(view.get("lang", "en"), templates)
    draw_figures(view)
    if fmt == "html":
        view = _as_math(view)
    try:
        template = env.get_template(template_name(kind, fmt))
        text = template.render(doc=view, kind=kind, worksheet=kind.endswith("worksheet"), slides="slides" in kind.split("-"),
                               section=kind.startswith("section-"), w=words)
    except jinja2.TemplateSyntaxError as exc:  # carries its file and line
        raise WordsError(f"template syntax: {exc.message}", exc.lineno, exc.filename) from None
    except Exception as exc:  # noqa: BLE001 - a template's fault, reported at its line
        raise _at_template_line(exc, words) from None
    if fmt == "md":  # inline math GitHub, Marp, reveal.js and pandoc read alike
        text = github_safe(text)
    return _tidy_blank_lines(text)


class _Missing(jinja2.UndefinedError):
    """An undefined name or field a template used: what it is, and where it was looked up."""

    def __init__(self, message: str, name: Any, obj: Any):
        super().__init__(message)
        self.name, self.obj = name, obj


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined whose error keeps the name and the value it was looked up on, so
    the message can say what to write instead."""

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        if self._undefined_hint or self._undefined_exception is not jinja2.UndefinedError:  # a sandbox refusal: as it is
            return super()._fail_with_undefined_error(*args, **kwargs)
        raise _Missing(self._undefined_message, self._undefined_name, self._undefined_obj)

    __getattr__ = __getitem__ = __str__ = __iter__ = __len__ = __call__ = __bool__ = _fail_with_undefined_error


TEMPLATE_NAMES = ("doc", "kind", "worksheet", "slides", "section", "w")  # what render passes every template


def _what_to_fix(exc: Exception, words: Words | None) -> str:
    """A template's failure as what to change in the template."""
    if isinstance(exc, _Missing):
        name, obj = str(exc.name), exc.obj
        if obj is jinja2.utils.missing:  # a top-level name
            near = difflib.get_close_matches(name, TEMPLATE_NAMES, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            return (f"undefined name {name!r}{hint} (a template is given {', '.join(TEMPLATE_NAMES)}, "
                    "and its own macros and set variables)")
        fields = sorted(str(k) for k in obj) if isinstance(obj, dict) else \
            sorted(a for a in dir(obj) if not a.startswith("_")) if not isinstance(obj, (str, int, float)) else []
        near = difflib.get_close_matches(name, fields, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        shown = ", ".join(fields[:25]) + (", ..." if len(fields) > 25 else "")
        return (f"undefined field {name!r}: {hint}the value here has " + (f"the fields {shown}" if fields else "no fields")
                + " (see the built-in template of the same name for what each holds)")
    if isinstance(exc, KeyError) and words is not None and exc.args and isinstance(exc.args[0], str):
        key = exc.args[0]
        near = difflib.get_close_matches(key, sorted(words.keys()), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        return f"w({key!r}): no such sentence in the words catalog{hint} (keys are those of templates/words/{words.lang}.yaml)"
    if isinstance(exc, jinja2.TemplateError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _as_math(value: Any) -> Any:
    """The view for HTML: its LaTeX strings (Markup) become ``TexMath``, which prints as
    MathML, so a template cannot put LaTeX into a page as HTML."""
    TexMath = lazy.load("html").TexMath
    if isinstance(value, dict):
        return {k: _as_math(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_math(v) for v in value]
    if isinstance(value, Markup):
        return TexMath(value)
    return value


def _csp_hash(script: str) -> str:
    """The Content-Security-Policy source for one inline script: only it may run."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(str(script).encode("utf-8")).digest()).decode("ascii") + "'"


def _at_template_line(exc: Exception, words: Words | None = None) -> WordsError:
    """A failure inside a template (a sandbox refusal, an undefined name or field, an
    unknown sentence, a bad filter argument) as an error at the template's file and line,
    saying what to fix: Jinja puts the template's own lines into the traceback."""
    where: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return WordsError(_what_to_fix(exc, words), where[1], where[0])


def _tidy_blank_lines(text: str) -> str:
    lines, blank = [], 0
    for line in text.splitlines():
        line = line.rstrip()
        blank = blank + 1 if not line else 0
        if blank <= 1:
            lines.append(line)
    return "\n".join(lines).strip() + "\n"
