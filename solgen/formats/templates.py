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

To add an output kind: add ``<kind>.<fmt>.j2`` templates. To add a format: its escape and
finalizer here, its pieces in ``formats/<fmt>.py``, its templates in ``templates/<fmt>/``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import jinja2
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from solgen.formats.prose import escape_md, escape_tex
from solgen.errors import WordsError
from solgen.present.words import Words, load_words


def builtin_templates() -> Path:
    """The built-in templates: ``solgen/templates`` in an installed wheel, or the
    repository's ``templates/`` in a checkout (an editable install)."""
    here = Path(__file__).resolve().parent.parent  # the solgen package
    shipped = here / "templates"
    return shipped if (shipped / "tex").is_dir() else here.parent / "templates"


def _finalizer(fmt: str, escape: Callable[[str], str]) -> Callable[[Any], Markup]:
    """Every value printed into a document is escaped for its format, unless it is Markup
    (math from texmath); sentences from the catalog and prose fields render themselves."""

    def finalize(value: Any) -> Markup:
        if value is None:
            return Markup("")
        if isinstance(value, Markup):
            return value
        if hasattr(value, "as_format"):
            return Markup(value.as_format(fmt))
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
        if hasattr(value, "as_format"):  # a sentence: its plain text
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
                check_readable(own)


MAX_TEMPLATE_BYTES = 1 << 20


def check_readable(path: Path) -> None:
    """A template or catalog from a course folder must be a regular file of a sane size: a
    link to /dev/zero or a pipe would flood or hang whoever reads it."""
    import stat

    try:
        st = path.stat()
    except OSError as exc:
        raise WordsError(f"cannot read it: {exc.strerror}", file=str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise WordsError("not a regular file (a pipe, a device or a folder)", file=str(path))
    if st.st_size > MAX_TEMPLATE_BYTES:
        raise WordsError(f"too large for a template ({st.st_size} bytes; at most {MAX_TEMPLATE_BYTES})", file=str(path))


@lru_cache(maxsize=16)
def environment(fmt: str, templates: Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment for ``fmt`` ("tex", "md" or "html"), one per format and
    templates folder (its compiled templates are kept for the next kind)."""
    if templates is not None:
        check_overrides(templates)
    search = ([str(templates / fmt)] if templates else []) + [str(builtin_templates() / fmt)]
    loader = jinja2.FileSystemLoader(search)
    common: dict[str, Any] = {
        "loader": loader,
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        "autoescape": False,
    }
    if fmt == "html":
        from solgen.formats.html import display, escape_html, inline, relation

        env = ImmutableSandboxedEnvironment(finalize=_finalizer("html", escape_html), **{**common, "autoescape": True})
        env.filters["display"] = lambda parts: Markup(display(parts))
        env.filters["math"] = lambda parts: Markup(inline(parts))
        env.filters["relation"] = relation
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
    return f"{kind}.{fmt}.j2"


def render(view: dict[str, Any], fmt: str, kind: str = "handout", templates: Path | None = None,
           words: Words | None = None) -> str:
    """Render ``view`` as ``kind`` in ``fmt``; templates say ``w('key', ...)`` for a sentence."""
    env = environment(fmt, templates)
    words = words or load_words(view.get("lang", "en"), templates)
    if fmt == "html":
        view = _as_math(view)
    try:
        template = env.get_template(template_name(kind, fmt))
        text = template.render(doc=view, kind=kind, worksheet=kind.endswith("worksheet"), slides="slides" in kind.split("-"), w=words)
    except jinja2.TemplateSyntaxError:
        raise  # carries its file and line already
    except Exception as exc:  # noqa: BLE001 - a template's fault, reported at its line
        raise _at_template_line(exc) from None
    if fmt == "md":  # inline math GitHub, Marp, reveal.js and pandoc read alike
        from solgen.formats.prose import github_safe

        text = github_safe(text)
    return _tidy_blank_lines(text)


def _as_math(value: Any) -> Any:
    """The view for HTML: its LaTeX strings (Markup) become ``TexMath``, which prints as
    MathML, so a template cannot put LaTeX into a page as HTML."""
    from solgen.formats.html import TexMath

    if isinstance(value, dict):
        return {k: _as_math(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_math(v) for v in value]
    if isinstance(value, Markup):
        return TexMath(value)
    return value


def _csp_hash(script: str) -> str:
    """The Content-Security-Policy source for one inline script: only it may run."""
    import base64
    import hashlib

    return "'sha256-" + base64.b64encode(hashlib.sha256(str(script).encode("utf-8")).digest()).decode("ascii") + "'"


def _at_template_line(exc: Exception) -> jinja2.TemplateRuntimeError:
    """A failure inside a template (a sandbox refusal, an undefined name, a bad filter
    argument) as an error at the template's file and line: Jinja puts the template's
    own lines into the traceback."""
    where: tuple[str, int] | None = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    error = jinja2.TemplateRuntimeError(f"{type(exc).__name__}: {exc}" if not isinstance(exc, jinja2.TemplateError) else str(exc))
    if where:
        error.filename, error.lineno = where  # type: ignore[attr-defined]
    return error


def _tidy_blank_lines(text: str) -> str:
    lines, blank = [], 0
    for line in text.splitlines():
        line = line.rstrip()
        blank = blank + 1 if not line else 0
        if blank <= 1:
            lines.append(line)
    return "\n".join(lines).strip() + "\n"
