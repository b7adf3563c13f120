"""Problem files: YAML -> a validated, frozen ``Problem``; errors as FILE:LINE: message.

The YAML is read with PyYAML's safe loader, refusing aliases (no alias bombs) and
duplicate keys, and composed into nodes so every value keeps its line. Validation is
hand-written so each error names the line and, for a misspelt key, the nearest valid one.
Expressions go through ``parse.py`` only.

To add a key: a file-level one goes in ``TOP_KEYS`` and ``parse_problem``; a part's is
read by its ask (``asks/<ask>.py``, with the readers of ``input/fields.py``).
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import field, replace
from pathlib import Path
from typing import Any

import sympy as sp
import yaml

from solgen.math.record import record
from solgen.input import askspec as asks, ID_RE, LANGS, variants as draws
from solgen.input.askspec import COMMON_KEYS
from solgen.input.markdown import refused_math
from solgen.math import named, lazy
from solgen.input.expr import NAME_RE, RESERVED, ParseError, parse_expression
from solgen.input.fields import DETAILS, SIMPLIFY
from solgen.errors import SpecError

MAX_FILE_BYTES = 256 * 1024
MAX_VARIABLES = 12
MAX_PARTS = 60
ASSUMPTIONS = ("real", "positive", "nonnegative")
TOP_KEYS = ("id", "title", "course", "section", "date", "author", "lang", "variables", "constants", "assume", "functions",
            "parts", "options", "intro", "shapes", "variants", "problems")
# A file with problems: holds several problem bodies; the header fields apply to all of them.
SHEET_KEYS = ("id", "title", "course", "section", "date", "author", "lang", "options", "intro", "problems")
BODY_KEYS = ("id", "title", "variables", "shapes", "constants", "assume", "functions", "parts", "intro")
HEADER_KEYS = ("course", "section", "date", "author", "lang", "options")
MAX_PROBLEMS = 12
from solgen.input.paths import PathError, read
OPTION_KEYS = ("log", "detail", "simplify")


@record
class Function:
    name: str
    exprs: tuple[sp.Expr, ...]
    vector: bool
    source: tuple[str, ...]
    line: int


@record
class Part:
    id: str
    ask: str
    line: int
    of: str | None = None
    grad: bool = False  # of: "grad f"
    order: Any = None  # int for taylor, tuple of symbols for partial
    at: tuple[tuple[sp.Symbol, sp.Rational], ...] = ()
    directions: tuple[tuple[str, tuple[sp.Rational, ...]], ...] = ()
    prompt: str | None = None
    answer: str | None = None
    notes: str | None = None
    detail: str = "standard"
    simplify: str = "none"
    decimals: int | None = None
    choices: int | None = None  # multiple choice: the key and choices - 1 distractors (derive/malrules.py)
    estimate: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()  # taylor: where to read the approximation off
    wrt: str | None = None  # shapes: the variable a gradient, Hessian or Jacobian is taken by
    constraints: tuple[tuple[sp.Expr, sp.Expr], ...] = ()  # critical: (g, c) for each "g = c" of subject_to
    steps: int = 1  # newton, descent: how many iterations
    rate: sp.Expr | None = None  # descent: the step size
    raw: dict = field(default_factory=dict, compare=False)


@record
class Problem:
    id: str
    title: str | None  # None: the heading is the words' "Problem {{id}}"
    variables: tuple[sp.Symbol, ...]
    functions: dict[str, Function]
    parts: tuple[Part, ...]
    path: str = "<string>"
    course: str | None = None
    section: str | None = None
    date: str | None = None
    author: str | None = None
    intro: str | None = None
    log: str = "log"
    id_line: int = 1  # the line of the id key, for errors about the id (two files, one id)
    warnings: tuple[tuple[int, str], ...] = ()  # (line, message): what renders, but not as written
    lang: str = "en"  # the words catalog (templates/words/<lang>.yaml)
    shapes: Any = None  # a file with shapes: (vectors, matrices): solgen.input.shaped_problem.Shaped
    variant: int | None = None  # with variants: (input/variants.py): which draw, and its values
    params: tuple[tuple[str, sp.Rational], ...] = ()
    problems: tuple["Problem", ...] = ()  # a file with problems: the problems, each with its own names
    label: str | None = None  # a problem of such a file: its own id (its ``id`` is "<file id>-<own id>")
    lang_given: bool = False  # the file wrote lang: (a solgen.toml's lang does not override it)


# -- YAML with lines ---------------------------------------------------------------------

_BREAK_RE = re.compile(r"\r\n?|\n")


def _line_starts(text: str) -> list[int]:
    """Where each line after the first starts, counting lines as editors do (\\n, \\r\\n, \\r).
    YAML also breaks lines at U+0085, U+2028 and U+2029, so its own line numbers can point
    past the end of the file."""
    return [m.end() for m in _BREAK_RE.finditer(text)]


def _line_at(starts: list[int], index: int) -> int:
    return bisect.bisect_right(starts, index) + 1


class _Lines:
    """A loader that keeps its text and the start of each line: keys and errors name lines."""

    def __init__(self, text: str):
        super().__init__(text)  # type: ignore[call-arg]  # the YAML loader's
        self.text = text
        self.starts = _line_starts(text)

    def line_of(self, mark: yaml.Mark) -> int:
        return _line_at(self.starts, mark.index)


class _Loader(_Lines, yaml.SafeLoader):
    """PyYAML's Python loader, refusing aliases at their line."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise SpecError("YAML aliases (*name) are not allowed in problem files", self.line_of(event.start_mark))
        return super().compose_node(parent, index)


class LDict(dict):
    """A mapping that remembers the line of itself and of each key, and each scalar
    value as written (``1.10`` where YAML reads 1.1)."""

    line: int = 0
    key_lines: dict
    key_sources: dict


class LList(list):
    line: int = 0
    item_lines: list


def _line(node: yaml.Node, loader: _Loader) -> int:
    return loader.line_of(node.start_mark)


_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + t for t in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp")
}


# YAML escapes in double quotes that also start TeX commands: "\frac" is a form feed + "rac".
_EATEN_RE = re.compile(r"(?<!\\)(?:\\\\)*\\([abefnrtvLNP0_][A-Za-z]*)")
_TEX_WORDS = frozenset(
    """frac dfrac tfrac nabla nu neq ne newline not ni alpha approx ast beta bar big bigg bmatrix
    boldsymbol backslash epsilon eta exp equiv ell end forall flat theta tau times to top tan tanh
    text textbf textit tilde rho right rightarrow Rightarrow vec varepsilon varphi vert vdots
    Lambda Leftarrow Longrightarrow Nu Pi Phi Psi partial""".split()
)


def _eaten_backslash(node: yaml.ScalarNode, loader: _Loader) -> str | None:
    """In a double-quoted string, a TeX command whose backslash YAML read as an escape
    (``"\\frac"`` becomes a form feed and ``rac``): return the command, else None."""
    if node.style != '"':
        return None
    raw = loader.text[node.start_mark.index : node.end_mark.index]
    for m in _EATEN_RE.finditer(raw):
        word = m.group(1)
        if word in _TEX_WORDS:
            return "\\" + word
    return None


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _plain(node: yaml.Node, loader: _Loader) -> Any:
    if isinstance(node, yaml.ScalarNode):
        half = _SURROGATE_RE.search(node.value)
        if half:  # "\uD800": half of a UTF-16 pair, no character: no UTF-8 output could hold it
            raise SpecError(f"\\u{ord(half.group()):04X} is half of a UTF-16 surrogate pair, not a character; write "
                            "the character itself (or \\U0001F600 for one beyond \\uFFFF)", _line(node, loader))
        eaten = _eaten_backslash(node, loader)
        if eaten:
            raise SpecError(
                f"in double quotes, YAML reads the backslash of {eaten} as an escape; write the text in "
                f"single quotes ('...{eaten}...'), as a block scalar (|), or double the backslash (\\{eaten})",
                _line(node, loader),
            )
    if node.tag not in _STANDARD_TAGS:
        raise SpecError(f"YAML tag {node.tag!r} is not allowed in problem files", _line(node, loader))
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line, out.key_lines, out.key_sources = _line(node, loader), {}, {}
        for key_node, value_node in node.value:
            key = _plain(key_node, loader)
            if not isinstance(key, (str, int, float)):
                raise SpecError("mapping keys must be plain names", _line(key_node, loader))
            key = str(key)
            if key in out:
                raise SpecError(f"duplicate key {key!r} (first on line {out.key_lines[key]})", _line(key_node, loader))
            out.key_lines[key] = _line(key_node, loader)
            out[key] = _plain(value_node, loader)
            if isinstance(value_node, yaml.ScalarNode):
                out.key_sources[key] = value_node.value
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList(_plain(n, loader) for n in node.value)
        seq.line, seq.item_lines = _line(node, loader), [_line(n, loader) for n in node.value]
        return seq
    if node.tag.endswith(":timestamp"):
        return node.value  # dates: keep the text as written
    if node.tag.endswith(":int") and len(node.value.lstrip("+-0")) > 30:
        raise SpecError("number has too many digits", _line(node, loader))
    try:
        value = loader.construct_object(node, deep=True)
    except (ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"YAML: {exc}", _line(node, loader)) from None
    except (LookupError, ArithmeticError):
        # PyYAML on !!float "" (IndexError), !!bool maybe (KeyError), 1:1:...:1.5 (OverflowError)
        kind = node.tag.rsplit(":", 1)[-1]
        raise SpecError(f"YAML: {node.value[:40]!r} is not a valid {kind}", _line(node, loader)) from None
    return value


# Text both loaders read alike: YAML's printable characters, with \n the only line break
# (\r, NEL, U+2028/9 and a BOM are left to the Python loader, which counts lines its way).
_NOT_PLAIN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


class _Slow(Exception):
    """The fast loader cannot say it: read the file with the Python loader, whose errors are the ones reported."""


if getattr(yaml, "__with_libyaml__", False):
    class _FastLoader(_Lines, yaml.CSafeLoader):  # type: ignore[misc, name-defined]
        """libyaml's parser and composer: the same nodes, marks and tags as ``_Loader``,
        twenty times faster. Used only for a file it reads without error and without an
        alias; anything else is read again by ``_Loader``, whose message is reported."""
else:  # pragma: no cover - PyYAML without libyaml
    _FastLoader = None


def _fast_node(text: str) -> tuple[Any, Any]:
    """(root node, loader) by libyaml, or _Slow."""
    if _FastLoader is None or _NOT_PLAIN.search(text):
        raise _Slow
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError:
        raise _Slow from None
    if node is None:
        raise _Slow
    seen: set[int] = set()
    stack = [node]
    while stack:  # an alias is the anchored node met again: _Loader names its line
        one = stack.pop()
        if id(one) in seen:
            raise _Slow
        seen.add(id(one))
        if isinstance(one, yaml.MappingNode):
            stack.extend(n for pair in one.value for n in pair)
        elif isinstance(one, yaml.SequenceNode):
            stack.extend(one.value)
    return node, loader


def load_yaml(text: str, fast: bool = True) -> Any:
    """The file's data (LDict, LList and plain values, with lines); ``fast=False``: by the
    Python loader only (tests compare the two)."""
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        raise SpecError(f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        if not fast:
            raise _Slow
        node, quick = _fast_node(text)
    except _Slow:
        pass
    else:
        return _plain(node, quick)
    loader = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is None:
            raise SpecError("file is empty", 1)
        return _plain(node, loader)
    except yaml.reader.ReaderError as exc:
        line = _line_at(_line_starts(text), exc.position)
        raise SpecError(f"YAML: character U+{ord(exc.character) if isinstance(exc.character, str) else exc.character:04X} is not allowed", line) from None
    except yaml.MarkedYAMLError as exc:
        problem = str(exc.problem or exc)
        mark = exc.problem_mark or exc.context_mark
        if exc.context_mark is not None and re.match(r"expected ',' or '[}\]]'", problem):
            mark = exc.context_mark  # the { or [ left open, not the line where YAML noticed
            closer = "}" if "flow mapping" in str(exc.context) else "]"
            problem = f"missing '{closer}' (or ',') in the {{...}} or [...] opened here"
        elif "unknown escape character" in problem:
            problem += " (in double quotes a backslash starts an escape: write LaTeX in single quotes)"
        line = (loader.line_of(mark) if loader is not None else mark.line + 1) if mark else None
        raise SpecError(f"YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML: {exc}") from None
    except RecursionError:
        raise SpecError("YAML nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()


# -- validation --------------------------------------------------------------------------

def _check_keys(data: LDict, allowed: tuple[str, ...], what: str) -> None:
    for key in data:
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else f"; valid keys: {', '.join(allowed)}"
            raise SpecError(f"unknown key {key!r} in {what}{hint}", data.key_lines[key])


def _need(data: LDict, key: str, what: str) -> Any:
    if key not in data or data[key] is None:
        raise SpecError(f"{what} needs {key!r}", data.line)
    return data[key]


def _text(data: LDict, key: str, limit: int = 4000) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise SpecError(f"{key!r} must be text", data.key_lines[key])
    value = str(value)
    if len(value) > limit:
        raise SpecError(f"{key!r} is longer than {limit} characters", data.key_lines[key])
    return value


_ONE_LINE_BAD = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(data: LDict, key: str, limit: int = 200) -> str | None:
    """A header field (title, course, section, date, author): one line of text, no control
    characters (a newline would break a Beamer title page or forge a Markdown heading)."""
    value = _text(data, key, limit)
    if value is not None:
        bad = _ONE_LINE_BAD.search(value)
        if bad:
            what = "a line break" if bad.group(0) in "\n\r\u2028\u2029" else f"control character U+{ord(bad.group(0)):04X}"
            raise SpecError(f"{key!r} must be one line of text; it contains {what}", data.key_lines[key])
    return value


def _constants(data: LDict, ctx: dict) -> dict[str, sp.Symbol]:
    names, line = data["constants"], data.key_lines["constants"]
    if not isinstance(names, list):
        raise SpecError("'constants' must be a list of names such as [a, b, lamda]", line)
    out: dict[str, sp.Symbol] = {}
    for name, item_line in zip(names, names.item_lines):
        name = str(name)
        if not NAME_RE.match(name) or name in RESERVED or name in ctx["symbols"]:
            raise SpecError(f"{name!r} cannot be a constant (a variable, a built-in, or not a name)", item_line)
        out[name] = sp.Symbol(name, real=True)
    return out


def _prose_warnings(data: LDict, parts: Any) -> list[tuple[int, str]]:
    """Math in prose that the whitelist refuses: it is shown as code, and said at its line."""
    fields = [(data, "intro")] + [(p, key) for p in parts if isinstance(p, dict) for key in ("prompt", "answer", "notes")]
    out = []
    for mapping, key in fields:
        value = mapping.get(key)
        if isinstance(value, str):
            for formula, why in refused_math(value):
                shown = formula if len(formula) <= 60 else formula[:57] + "..."
                out.append((mapping.key_lines[key], f"the math ${shown}$ in {key!r} uses {why}; it is shown as code"))
    return out


def _expr(text: Any, line: int, ctx: dict) -> sp.Expr:
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise SpecError("expected an expression such as \"x1^2 + 3*x2\"", line)
    try:
        return parse_expression(str(text), ctx["symbols"], ctx["scalars"], ctx["constants"], ctx.get("closed", False))
    except ParseError as exc:
        where = f" (column {exc.column})" if exc.column else ""
        raise SpecError(f"in expression {str(text)[:60]!r}{where}: {exc}", line) from None


def _symbols(data: LDict) -> tuple[sp.Symbol, ...]:
    names = _need(data, "variables", "the problem")
    line = data.key_lines["variables"]
    if not isinstance(names, list) or not names:
        raise SpecError("'variables' must be a list of names such as [x1, x2]", line)
    if len(names) > MAX_VARIABLES:
        raise SpecError(f"at most {MAX_VARIABLES} variables", line)
    assume = data.get("assume") or {}
    if not isinstance(assume, dict):
        raise SpecError("'assume' must map variables to positive, nonnegative or real", data.key_lines["assume"])
    for name, kind in assume.items():
        if name not in [str(n) for n in names]:
            raise SpecError(f"'assume' names {name!r}, which is not a variable", assume.key_lines[name])
        if kind not in ASSUMPTIONS:
            raise SpecError(f"assumption {kind!r} for {name!r}: use one of {', '.join(ASSUMPTIONS)}", assume.key_lines[name])
    out, printed = [], {}
    for name, item_line in zip(names, names.item_lines):
        name = str(name)
        if not NAME_RE.match(name) or name in RESERVED:
            raise SpecError(f"{name!r} is not a valid variable name (a letter, then letters or digits, one optional '_')", item_line)
        kind = assume.get(name, "real")
        sym = sp.Symbol(name, **{kind: True})
        shown = sp.latex(sym)
        if shown in printed:
            raise SpecError(f"variables {printed[shown]!r} and {name!r} would print alike (${shown}$)", item_line)
        printed[shown] = name
        out.append(sym)
    return tuple(out)


def _functions(data: LDict, ctx: dict) -> dict[str, Function]:
    funcs = _need(data, "functions", "the problem")
    if not isinstance(funcs, dict) or not funcs:
        raise SpecError("'functions' must map names to expressions, e.g. f: \"x1^2 + x2\"", data.key_lines["functions"])
    for name in funcs:
        if not NAME_RE.match(name) or name in RESERVED or name in ctx["symbols"]:
            raise SpecError(f"{name!r} cannot name a function (it is a variable, a built-in, or not a name)", funcs.key_lines[name])
    out: dict[str, Function] = {}
    for name in _dependency_order(funcs):  # a function may use one defined anywhere in the file
        value, line = funcs[name], funcs.key_lines[name]
        if isinstance(value, list):
            if not value:
                raise SpecError(f"vector function {name!r} has no components", line)
            exprs = tuple(_expr(v, ln, ctx) for v, ln in zip(value, value.item_lines))
            out[name] = Function(name, exprs, True, tuple(str(v) for v in value), line)
        else:
            expr = _expr(value, line, ctx)
            out[name] = Function(name, (expr,), False, (str(value),), line)
            ctx["scalars"][name] = named.make(name, expr, tuple(ctx["symbols"].values()), ctx.setdefault("named", []))  # kept by name in others
    return {name: out[name] for name in funcs}  # in the file's order


def _dependency_order(funcs: LDict) -> list[str]:
    """The scalar functions' names, each after the ones its expression uses (``L`` of ``s``
    after ``s``, wherever ``s`` is defined); a cycle is an error at its first function."""
    scalars = {n for n, v in funcs.items() if not isinstance(v, list)}
    uses = {
        n: {w for w in re.findall(r"[A-Za-z][A-Za-z0-9_]*", " ".join(map(str, v if isinstance(v, list) else [v])))
            if w in scalars and w != n}
        for n, v in funcs.items()
    }
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "open":
            cycle = path[path.index(name):] + [name]
            raise SpecError(f"functions use each other in a circle: {' -> '.join(cycle)}", funcs.key_lines[cycle[0]])
        state[name] = "open"
        for used in sorted(uses[name], key=list(funcs).index):
            visit(used, path + [name])
        state[name] = "done"
        order.append(name)

    for name in funcs:
        visit(name, [])
    return order


def _part(data: Any, line: int, ctx: dict, defaults: dict) -> Part:
    """One part: the keys every part has, then the ask's own (``asks/<ask>.py`` reads them)."""
    if not isinstance(data, dict):
        raise SpecError("each part must be a mapping such as {id: a, ask: gradient, of: f}", line)
    ask = data.get("ask")
    if not (isinstance(ask, str) and ask in asks.ASK_MODULES and set(data) <= COMMON_KEYS | asks.get(ask).keys):
        _check_keys(data, part_keys(), "a part")  # a key of no ask: named with every ask's keys (all asks loaded)
    pid = _need(data, "id", "a part")
    written = data.key_sources.get("id", str(pid))
    if isinstance(pid, bool) or (not isinstance(pid, str) and str(pid) != written):
        raise SpecError(f"part id {written} is read by YAML as the number {pid!r}; write it in quotes: id: \"{written}\"", data.key_lines["id"])
    pid = str(pid)
    if not re.fullmatch(r"[A-Za-z0-9.]{1,8}", pid):
        raise SpecError(f"part id {pid!r} must be a short label such as a, b or 2", data.key_lines["id"])
    ask = _need(data, "ask", f"part ({pid})")
    names = asks.names()
    if ask not in names:
        near = difflib.get_close_matches(str(ask), names, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise SpecError(f"part ({pid}): unknown ask {ask!r}{hint} (one of {', '.join(names)})", data.key_lines["ask"])
    entry = asks.get(ask)
    if ctx.get("shaped") and not entry.shaped:  # vectors and matrices: the asks that have a matrix form
        which = ", ".join(a.name for a in asks.registry().values() if a.shaped and a.name != "partial")
        raise SpecError(f"part ({pid}): the {ask} ask is for scalar variables; with 'shapes' ask for one of {which}",
                        data.key_lines["ask"])
    for key in data:
        if key not in COMMON_KEYS and key not in entry.keys:
            users = [a.name for a in asks.registry().values() if key in a.keys]
            article = "an" if ask[0] in "aeiou" else "a"
            raise SpecError(f"part ({pid}): {key!r} does not apply to {article} {ask} part (it is read by {', '.join(users)})",
                            data.key_lines[key])
    kw: dict[str, Any] = {"raw": dict(data)}
    for key in ("prompt", "answer", "notes"):
        kw[key] = _text(data, key)
    if "choices" in data:
        kw["choices"] = draws.read_choices(data, ask, pid, ctx)
    entry.read(data, {**ctx, "defaults": defaults}, kw, pid)
    return Part(pid, ask, data.line, **kw)


def part_keys() -> tuple[str, ...]:
    """Every key some part may have, for suggestions on a misspelt one."""
    keys = set(COMMON_KEYS)
    for a in asks.registry().values():
        keys |= a.keys
    return tuple(sorted(keys, key=lambda k: (k not in ("id", "ask", "of"), k)))


def __getattr__(name: str) -> Any:  # ASKS and PART_KEYS come from the asks registry
    if name == "ASKS":
            return asks.names()
    if name == "PART_KEYS":
        return part_keys()
    raise AttributeError(name)


def load_problem(path: str | Path, raw: bytes | None = None, variant: int | None = None,
                 seed: int | None = None) -> Problem:
    """The problem file at ``path``, read by the path policy (``paths.read``); ``raw``: its
    bytes, read already (a section's problems are read when their path is checked);
    ``variant``/``seed``: which draw of its ``variants:`` block (input/variants.py)."""
    if raw is None:
        try:
            raw = read(path, None, MAX_FILE_BYTES + 1).data
        except PathError as exc:
            raise SpecError(str(exc)) from None
    path = Path(path)
    if len(raw) > MAX_FILE_BYTES:
        raise SpecError(f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpecError(f"file is not UTF-8 (byte 0x{raw[exc.start]:02X}; save it as UTF-8)", line) from None
    return parse_problem(text, str(path), variant, seed)


def parse_problem(text: str, path: str = "<string>", variant: int | None = None, seed: int | None = None) -> Problem:
    """``variant``: with a ``variants:`` block, which draw (1-based; default 1); ``seed``
    overrides the block's."""
    data = load_yaml(text)
    if not isinstance(data, dict):
        raise SpecError("a problem file is a mapping with id, title, variables, functions and parts", 1)
    if "problems" in data:
        if variant is not None:
            raise SpecError("--variant: this file has no 'variants:' block (a file with problems: has none)", 1)
        return _parse_sheet(data, path)
    return _parse_data(data, path, variant=variant, seed=seed)


def _parse_sheet(data: LDict, path: str) -> Problem:
    """A file with ``problems:``: each body is read as a problem of its own (its names, its
    parts) with the file's header fields; the file's id names the outputs."""
    for key in data:
        if key not in SHEET_KEYS:
            hint = " (inside each problem of 'problems')" if key in BODY_KEYS else ""
            raise SpecError(f"key {key!r} does not go at the top of a file with 'problems'{hint}; "
                            f"the top holds {', '.join(SHEET_KEYS)}", data.key_lines[key])
    head = _parse_data(_merged(data, LDict(), ("id", "title", "intro", *HEADER_KEYS)), path, header_only=True)
    bodies = data["problems"]
    if not isinstance(bodies, list) or not bodies:
        raise SpecError("'problems' must be a list of problems, each with id, variables, functions and parts",
                        data.key_lines["problems"])
    if len(bodies) > MAX_PROBLEMS:
        raise SpecError(f"at most {MAX_PROBLEMS} problems in one file", data.key_lines["problems"])
    problems, seen = [], {}
    for body, line in zip(bodies, bodies.item_lines):
        if not isinstance(body, LDict):
            raise SpecError("each item of 'problems' is a problem: a mapping with id, variables, functions and parts", line)
        _check_keys(body, BODY_KEYS, "a problem of 'problems'")
        sub = _parse_data(_merged(data, body, HEADER_KEYS), path)
        if sub.id in seen:
            raise SpecError(f"two problems have the id {sub.id!r} (the first on line {seen[sub.id]})", sub.id_line)
        seen[sub.id] = sub.id_line
        problems.append(replace(sub, id=f"{head.id}-{sub.id}", label=sub.id))
    return replace(head, problems=tuple(problems), warnings=head.warnings + tuple(w for p in problems for w in p.warnings))


def _merged(top: LDict, body: LDict, header: tuple[str, ...]) -> LDict:
    """``body`` with the file's ``header`` fields added, every key keeping its line."""
    out = LDict()
    out.line, out.key_lines, out.key_sources = body.line or top.line, {}, {}
    for source, keys in ((top, header), (body, tuple(body))):
        for key in keys:
            if key in source:
                out[key] = source[key]
                out.key_lines[key] = source.key_lines[key]
                if key in source.key_sources:
                    out.key_sources[key] = source.key_sources[key]
    return out


def _parse_data(data: LDict, path: str, header_only: bool = False, variant: int | None = None,
                seed: int | None = None) -> Problem:
    _check_keys(data, TOP_KEYS, "the problem")
    params: dict[str, sp.Rational] = {}
    if "variants" in data:
        params, variant = _variant(data, variant, seed)
    elif variant is not None:
        raise SpecError("--variant: this file has no 'variants:' block", 1)
    pid = _need(data, "id", "the problem")
    if not isinstance(pid, str):
        raise SpecError(
            f"id must be a string: YAML reads {data.key_sources.get('id', pid)} as a number "
            f"({pid!r}), so write it in quotes, e.g. id: \"{data.key_sources.get('id', pid)}\"",
            data.key_lines["id"],
        )
    if not ID_RE.match(pid) or pid.startswith("-") or pid in (".", ".."):
        raise SpecError(f"id {pid!r} must be letters, digits, '.', '_' or '-' (it names the output files)", data.key_lines["id"])
    lang = data.get("lang", "en")
    if lang not in LANGS:
        near = difflib.get_close_matches(str(lang), LANGS, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise SpecError(f"lang {lang!r} has no words catalog{hint} (one of {', '.join(LANGS)})", data.key_lines["lang"])
    options = data.get("options") or {}
    if not isinstance(options, dict):
        raise SpecError("'options' must be a mapping such as {log: ln}", data.key_lines["options"])
    _check_keys(options, OPTION_KEYS, "options")
    log = options.get("log", "log")
    if log not in ("log", "ln"):
        raise SpecError("options: log must be 'log' or 'ln'", options.key_lines["log"])
    detail = options.get("detail", "standard")
    if detail not in DETAILS:
        raise SpecError(f"options: detail must be one of {', '.join(DETAILS)}", options.key_lines["detail"])
    simplify = options.get("simplify", "none")
    if simplify not in SIMPLIFY:
        raise SpecError(f"options: simplify must be one of {', '.join(SIMPLIFY)}", options.key_lines["simplify"])
    if header_only:
        return Problem(id=pid, title=_one_line(data, "title"), variables=(), functions={}, parts=(), path=path,
                       course=_one_line(data, "course"), section=_one_line(data, "section"), date=_one_line(data, "date"),
                       author=_one_line(data, "author"), intro=_text(data, "intro"),
                       warnings=tuple(_prose_warnings(data, [])), log=log, id_line=data.key_lines["id"], lang=lang)
    shaped = None
    if "shapes" in data:  # vectors and matrices: the shaped engine (asks/shaped.py) reads variables, constants, assume, functions
        read_shaped = lazy.load('matrix_problem').read_shaped

        variables, functions, shaped = read_shaped(data)
        ctx: dict = {"symbols": {s.name: s for s in variables}, "scalars": {}, "constants": {}, "shaped": shaped}
    else:
        variables = _symbols(data)
        ctx = {"symbols": {s.name: s for s in variables}, "scalars": {}, "constants": {}}
        if "constants" in data:  # declared: any other unknown name is an error, not a new constant
            ctx["constants"], ctx["closed"] = _constants(data, ctx), True
        ctx["constants"].update(params)  # a parameter reads as its drawn value wherever a constant may stand
        ctx["params"] = params  # and in points and directions (at: {x: a})
        functions = _functions(data, ctx)
    parts_data = _need(data, "parts", "the problem")
    if not isinstance(parts_data, list) or not parts_data:
        raise SpecError("'parts' must be a list with at least one part", data.key_lines["parts"])
    if len(parts_data) > MAX_PARTS:
        raise SpecError(f"at most {MAX_PARTS} parts", data.key_lines["parts"])
    ctx["functions"] = functions
    parts = tuple(
        _part(p, ln, ctx, {"detail": detail, "simplify": simplify}) for p, ln in zip(parts_data, parts_data.item_lines)
    )
    title = _one_line(data, "title")  # None: the words' "Problem {{id}}"
    return Problem(
        id=pid,
        title=title,
        variables=variables,
        functions=functions,
        parts=parts,
        path=path,
        course=_one_line(data, "course"),
        section=_one_line(data, "section"),
        date=_one_line(data, "date"),
        author=_one_line(data, "author"),
        intro=_text(data, "intro"),
        warnings=tuple(_prose_warnings(data, parts_data)),
        log=log,
        id_line=data.key_lines["id"],
        lang=lang,
        shapes=shaped,
        variant=variant,
        params=tuple(params.items()),
        lang_given="lang" in data,
    )


def _variant(data: LDict, variant: int | None, seed: int | None) -> tuple[dict[str, sp.Rational], int]:
    """The drawn parameters of ``variant`` (default 1), with ``{{a}}`` filled in the prose."""
    line = data.key_lines["variants"]
    if "shapes" in data:
        raise SpecError("variants: a file with shapes (vectors, matrices) cannot have variants yet", line)
    taken = {str(v) for v in (data.get("variables") or [])} | {str(f) for f in (data.get("functions") or {})}
    block = draws.read_variants(data["variants"], line, taken, seed)
    constants = data.get("constants") or []
    clash = [str(c) for c in constants if str(c) in block.names] if isinstance(constants, list) else []
    if clash:
        raise SpecError(f"{clash[0]!r} is a parameter of variants: and a constant; list it once, under variants", data.key_lines["constants"])
    k = 1 if variant is None else variant
    params = block.variant(k)
    draws.substitute_prose(data, params, block.names)
    return params, k
