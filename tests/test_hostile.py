"""Hostile problem files: solgen must refuse them cleanly.

Problem files are untrusted (they travel between people). For every bad input the
contract is:

* exit code 1;
* the first line of stderr is ``FILE:LINE: error: message`` (``:LINE`` when known);
* no Python traceback anywhere in the output;
* nothing written: the ``--out`` folder is missing or empty, and no other file
  appears next to the problem file (no partial files, nothing outside ``--out``);
* it finishes in bounded time (denial-of-service inputs run in a subprocess with a
  hard ``timeout=`` so a hang fails the test instead of blocking the suite).

Separately: LaTeX injection through the title and prose must be inert in the .tex
(and, when pdflatex is available, in a real compile), and rendering is byte-identical
under different ``PYTHONHASHSEED`` values.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import solgen.input.problem  # noqa: F401 - imports SymPy once here, so each forked worker starts warm
from solgen.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "problems" / "1.2.yaml"

CLI_BOUND = 30.0  # seconds, for in-process (CliRunner) cases
SUBPROCESS_BOUND = 30.0  # seconds, for subprocess cases (includes importing SymPy)
SUBPROCESS_TIMEOUT = 60  # hard kill; a hang fails the test


# -- building problem files ------------------------------------------------------------


def q(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON strings are YAML), raw Unicode kept."""
    return json.dumps(text, ensure_ascii=False)


def problem(
    f: str = q("x1^2 + x2"),
    *,
    pid: str = q("t1"),
    variables: str = "[x1, x2]",
    parts: str = "  - {id: a, ask: gradient, of: f}\n",
    extra: str = "",
) -> str:
    """A small problem file; every argument is inserted as YAML text.

    Line numbers: 1 id, 2 title, 3 variables, 4 functions:, 5 f, 6 parts:, 7+ parts.
    """
    return (
        f"id: {pid}\n"
        f"title: \"Hostile\"\n"
        f"variables: {variables}\n"
        f"functions:\n"
        f"  f: {f}\n"
        f"parts:\n"
        f"{parts}"
        f"{extra}"
    )


def billion_laughs() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    prev = "a"
    for name in "bcdefghij":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(lines) + "\n"


def alias_bomb_in_problem() -> str:
    # The same bomb hidden inside an otherwise valid problem (in a text part's prompt).
    return (
        'id: "t1"\n'
        "title: &t [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
        "course: &c [*t, *t, *t, *t, *t, *t, *t, *t, *t, *t]\n"
        "section: &s [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "author: [*s, *s, *s, *s, *s, *s, *s, *s, *s, *s]\n"
        "variables: [x1, x2]\n"
        "functions:\n"
        '  f: "x1 + x2"\n'
        "parts:\n"
        "  - {id: a, ask: gradient, of: f}\n"
    )


def one_megabyte() -> str:
    filler = "".join(f"# padding line {i:07d} {'x' * 60}\n" for i in range(15000))
    assert len(filler) > 1_000_000
    return problem() + filler


def taylor(order: int) -> str:
    return problem(parts=f"  - {{id: a, ask: taylor, of: f, order: {order}, at: {{x1: 0, x2: 1}}}}\n")


def log_at_zero(ask: str) -> str:
    extra = ", directions: {d1: [1, 1]}" if ask == "directional" else ""
    return problem(
        q("x1^2 + log(x2)"),
        parts=f"  - {{id: q, ask: {ask}, of: f, at: {{x1: 0, x2: 0}}{extra}}}\n",
    )


# -- the cases -----------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    text: str | bytes
    expect: str | None = None  # regex the error message (after "error: ") must match
    line: int | None = None  # the line the error must name, when we know it
    subprocess: bool = False  # denial of service: run in a subprocess with a hard timeout
    args: tuple[str, ...] = ()  # extra CLI arguments
    marks: tuple = ()


BAD_EXPR = r"expression|character|unknown|unexpected|expected|not allowed|valid name"

CASES = [
    # --- code execution attempts in expressions -----------------------------------------
    Case("exec-dunder-import", problem(q("__import__('os').system('touch PWNED')")), BAD_EXPR, 5),
    Case("exec-dunder-class", problem(q("x1.__class__")), BAD_EXPR, 5),
    Case("exec-dunder-in-name", problem(q("x1__class__ + x2")), BAD_EXPR, 5),
    Case("exec-attribute", problem(q("exp.__globals__")), BAD_EXPR, 5),
    Case("exec-lambda", problem(q("(lambda: __import__('os'))()")), BAD_EXPR, 5),
    Case("exec-comprehension", problem(q("[x for x in ()]")), BAD_EXPR, 5),
    Case("exec-string-literal", problem(q("'x1' + \"x2\"")), BAD_EXPR, 5),
    Case("exec-keyword-arg", problem(q("exp(x=1)")), BAD_EXPR, 5),
    Case("exec-subscript", problem(q("x1[0] + x2")), BAD_EXPR, 5),
    Case("exec-eval-call", problem(q("eval(x1)")), r"unknown function 'eval'", 5),
    Case("exec-sympify-call", problem(q("sympify(x1) + Symbol(x2)")), r"unknown function", 5),
    Case("exec-getattr-call", problem(q("getattr(x1, x2)")), r"unknown function", 5),
    Case("exec-semicolon", problem(q("x1; import os")), BAD_EXPR, 5),
    Case("exec-yaml-python-tag", problem('!!python/object/apply:os.system ["touch PWNED"]'), None, 5),
    Case("exec-yaml-python-tag-on-list", problem(variables="!!python/object/apply:os.system [x1, x2]"), r"YAML|tag", 3),
    Case(
        "exec-yaml-python-tag-on-mapping",
        problem(parts="  - !!python/object/new:os.system {id: a, ask: gradient, of: f}\n"),
        r"YAML|tag",
        7,
    ),
    Case("exec-yaml-python-name", problem("!!python/name:os.system"), r"YAML", 5),
    # --- denial of service (subprocess, hard timeout) ------------------------------------
    Case("dos-power-tower", problem(q("10**10**10")), r"too large", 5, subprocess=True),
    Case("dos-huge-exponent", problem(q("x1**(10**9)")), r"too large", 5, subprocess=True),
    Case("dos-factorial", problem(q("factorial(10**7)")), r"unknown function 'factorial'", 5, subprocess=True),
    Case(
        "dos-point-coordinate",
        problem(parts="  - {id: a, ask: evaluate, of: f, at: {x1: 9**9**9, x2: 0}}\n"),
        r"number|too large",
        7,
        subprocess=True,
    ),
    Case("dos-long-expression", problem(q("+".join(["x1*x2"] * 834))), r"characters long|too large", 5, subprocess=True),
    Case("dos-nested-parens", problem(q("(" * 500 + "x1" + ")" * 500)), r"nested too deeply", 5, subprocess=True),
    Case("dos-billion-laughs", billion_laughs(), r"alias", 2, subprocess=True),
    Case("dos-alias-bomb-in-problem", alias_bomb_in_problem(), r"alias", 3, subprocess=True),
    Case("dos-one-megabyte", one_megabyte(), r"larger than", None, subprocess=True),
    Case("dos-deep-yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n", r"YAML|nested", None, subprocess=True),
    Case(
        "dos-huge-int-literal",
        problem(parts="  - {id: a, ask: evaluate, of: f, at: {x1: " + "1" * 5000 + ", x2: 0}}\n"),
        r"number|digits|too large",
        7,
    ),
    Case(
        "dos-worker-timeout",
        EXAMPLE.read_text(encoding="utf-8"),
        r"took longer than",
        None,
        subprocess=True,
        args=("--timeout", "0.001"),
    ),
    # --- malformed YAML -----------------------------------------------------------------
    Case("yaml-tab-indent", 'id: "t1"\nfunctions:\n\tf: "x1"\n', r"YAML", 3),
    Case("yaml-unclosed-bracket", problem(variables="[x1, x2"), r"YAML"),
    Case("yaml-unclosed-quote", problem(q("x1")[:-1]), r"YAML"),
    Case("yaml-duplicate-key", problem(extra='functions:\n  g: "x1"\n'), r"duplicate key 'functions'.*line 4", 8),
    Case("yaml-top-level-list", "- id: t1\n- variables: [x1]\n", r"mapping", 1),
    Case("yaml-top-level-scalar", "just some words\n", r"mapping", 1),
    Case("yaml-empty-file", "", r"empty"),
    Case("yaml-only-comments", "# nothing here\n\n", r"empty"),
    Case("yaml-invalid-utf8", b"\xff\xfe\x00j\x00u\x00n\x00k\x80\x81\xc3\x28\n", r"UTF-8"),
    Case("yaml-binary-junk", bytes(range(256)) * 4, r"UTF-8|YAML"),
    Case("yaml-nul-byte", problem().replace('"Hostile"', '"Hos\x00tile"'), r"YAML|character", 2),
    Case("yaml-complex-key", problem(extra="? [a, b]\n: c\n"), r"keys must be plain names", 8),
    # --- meaning errors -----------------------------------------------------------------
    Case("meaning-undefined-function", problem(parts="  - {id: a, ask: gradient, of: g}\n"), r"of: 'g' names no function", 7),
    Case("meaning-undeclared-variable", problem(q("x1^2 + x3")), r"'x3' is not one of the variables", 5),
    Case(
        "meaning-unknown-key-prmpt",
        problem(parts='  - {id: a, ask: gradient, of: f, prmpt: "hi"}\n'),
        r"unknown key 'prmpt'.*did you mean 'prompt'",
        7,
    ),
    Case(
        "meaning-unknown-top-key",
        problem(extra='titel: "x"\n'),
        r"unknown key 'titel'.*did you mean 'title'",
        8,
    ),
    Case("meaning-unknown-ask", problem(parts="  - {id: a, ask: gradiant, of: f}\n"), r"did you mean 'gradient'", 7),
    Case(
        "meaning-direction-length",
        problem(parts="  - {id: a, ask: directional, of: f, at: {x1: 0, x2: 1}, directions: {d1: [1, 1, 1]}}\n"),
        r"direction d1 must have 2 entries",
        7,
    ),
    Case("meaning-taylor-order-0", taylor(0), r"taylor order", 7),
    Case("meaning-taylor-order-9", taylor(9), r"taylor order", 7),
    Case("meaning-no-parts", problem(parts="  []\n"), r"at least one part", 6),
    Case("meaning-parts-missing", problem(parts="").replace("parts:\n", ""), r"needs 'parts'"),
    Case("meaning-variables-not-list", problem(variables='"x1 x2"'), r"variables", 3),
    Case("meaning-function-named-exp", problem().replace("  f:", "  exp:").replace("of: f", "of: exp"), r"cannot name a function", 5),
    Case("meaning-log-at-zero-directional", log_at_zero("directional"), r"\(q\)|part q\b"),
    Case("meaning-log-at-zero-evaluate", log_at_zero("evaluate"), r"\(q\)|part q\b"),
    Case("meaning-too-many-parts", problem(parts="  - {id: a, ask: gradient, of: f}\n" * 61), r"at most 60 parts", 6),
    # --- path tricks in the id ----------------------------------------------------------
    Case("path-dotdot", problem(pid=q("../evil")), r"id '\.\./evil'", 1),
    Case("path-dash", problem(pid=q("-rf")), r"id '-rf'", 1),
    Case("path-slash", problem(pid=q("a/b")), r"id 'a/b'", 1),
    Case("path-absolute", problem(pid=q("/tmp/evil")), r"id '/tmp/evil'", 1),
    Case("path-nul", problem(pid='"a\\0b"'), r"id 'a\\x00b'", 1),
    Case("path-newline", problem(pid='"a\\nb"'), r"id 'a\\nb'", 1),
    Case("path-dot", problem(pid=q(".")), r"id '\.'", 1),
    Case("path-too-long", problem(pid=q("a" * 300)), r"id 'a+'", 1),
    Case("path-part-id", problem(parts="  - {id: ../x, ask: gradient, of: f}\n"), r"part id '\.\./x'", 7),
    # --- Unicode tricks -----------------------------------------------------------------
    Case("unicode-cyrillic-x", problem(q("\u04451^2 + x2")), r"U\+0445", 5),
    Case("unicode-zero-width-space", problem(q("x1\u200b + x2")), r"U\+200B", 5),
    Case("unicode-rtl-override", problem(q("x1 + \u202ex2")), r"U\+202E", 5),
    Case("unicode-cyrillic-variable", problem(variables="[\u04451, x2]"), r"not a valid variable name", 3),
    Case("unicode-rtl-in-id", problem(pid=q("t\u202e1")), r"id ", 1),
    # --- untrusted text echoed into the error message (log spoofing, terminal escapes) ---
    Case(
        "spoof-newline-in-of",
        problem(parts='  - {id: a, ask: gradient, of: "g\\n/etc/x.yaml:1: error: spoofed"}\n'),
        r"names no function",
        7,
    ),
    Case(
        "spoof-ansi-escape-in-of",
        problem(parts='  - {id: a, ask: gradient, of: "g\\e]0;pwned\\a\\e[31mRED"}\n'),
        r"names no function",
        7,
    ),
    Case("spoof-bidi-in-of", problem(parts='  - {id: a, ask: gradient, of: "g\\u202eevil"}\n'), r"names no function", 7),
    Case(
        "spoof-newline-in-assume",
        problem(variables='["a\\nb", x2]', extra='assume: {"a\\nb": bogus}\n'),
        r"assumption|not a valid variable name",
    ),
    # --- ids YAML reads as numbers, escapes YAML ate, encodings (issue 8, items 13 and 15) ---
    Case("id-yaml-float", problem(pid="1.20"), r"id must be a string.*1\.20", 1),
    Case("id-yaml-int", problem(pid="12"), r"id must be a string", 1),
    Case("part-id-yaml-float", problem(parts="  - {id: 1.10, ask: gradient, of: f}\n"), r"part id 1\.10 .*number 1\.1\b", 7),
    Case("part-id-yaml-octal", problem(parts="  - {id: 010, ask: gradient, of: f}\n"), r"part id 010 .*number 8\b", 7),
    Case(
        "yaml-eaten-backslash-frac",
        problem(parts='  - {id: a, ask: text, prompt: "$\\frac{1}{2}$"}\n'),
        r"backslash of \\frac.*single quotes",
        7,
    ),
    Case("yaml-eaten-backslash-nabla", problem(extra='intro: "Use \\nabla f"\n'), r"\\nabla.*single quotes", 8),
    Case("yaml-unknown-escape-hint", problem(extra='intro: "$\\sigma$"\n'), r"escape.*single quotes", 8),
    Case("yaml-latin1", problem().replace('"Hostile"', '"caf\xe9"').encode("latin-1"), r"not UTF-8", 2),
    Case(
        "yaml-missing-brace",
        problem(parts="  - {id: a, ask: gradient, of: f\n  - {id: b, ask: hessian, of: f}\n"),
        r"missing '\}'",
        7,
    ),
    Case("title-newline", problem().replace('"Hostile"', '"Two\\n\\nlines"'), r"'title' must be one line", 2),
    # --- names that print alike ---------------------------------------------------------
    Case("alike-x1-x_1", problem(variables="[x1, x_1]"), r"would print alike", 3),
]


# Cases where solgen is known to break the contract: xfail(strict=True) with the reason.
_INTERNAL = "solgen reports 'internal error (...)' instead of a FILE:LINE problem-file error: "
_ECHO = "the raw text of 'of:'/'assume' is echoed unescaped into the error message: "
XFAIL: dict[str, str] = {
}


def _params():
    for case in CASES:
        marks = list(case.marks)
        if case.id in XFAIL:
            marks.append(pytest.mark.xfail(strict=True, reason=XFAIL[case.id]))
        yield pytest.param(case, id=case.id, marks=marks)


# -- running -------------------------------------------------------------------------


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _run(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str, float]:
    path = tmp_path / "problem.yaml"
    if isinstance(case.text, bytes):
        path.write_bytes(case.text)
    else:
        path.write_bytes(case.text.encode("utf-8"))
    out = tmp_path / "out"
    argv = ["render", str(path), "--out", str(out), "--format", "tex", "--format", "md", *case.args]
    start = time.monotonic()
    if case.subprocess:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "solgen.cli", *argv],
                cwd=tmp_path,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=SUBPROCESS_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"solgen hung: no result after {SUBPROCESS_TIMEOUT} s")
        elapsed = time.monotonic() - start
        stdout = proc.stdout.decode("utf-8", "replace")
        stderr = proc.stderr.decode("utf-8", "replace")
        return proc.returncode, stdout, stderr, elapsed
    monkeypatch.chdir(tmp_path)  # anything written relative to the cwd lands where we look
    result = CliRunner().invoke(main, argv)
    elapsed = time.monotonic() - start
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(*result.exc_info))
        pytest.fail(f"solgen raised instead of reporting an error:\n{trace}")
    return result.exit_code, result.stdout, result.stderr, elapsed


@pytest.mark.parametrize("case", list(_params()))
def test_hostile_input_is_refused(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = _files(tmp_path)
    code, stdout, stderr, elapsed = _run(case, tmp_path, monkeypatch)
    path = str(tmp_path / "problem.yaml")
    shown = f"exit code {code}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"

    assert code == 1, shown
    assert "Traceback" not in stdout + stderr, shown
    first = stderr.splitlines()[0] if stderr.strip() else ""
    m = re.match(rf"^{re.escape(path)}(?::(\d+))?: error: (.*)$", first)
    assert m, f"first stderr line is not 'FILE:LINE: error: ...'\n{shown}"
    assert not m.group(2).startswith("internal error"), f"a problem-file error reported as an internal error\n{shown}"
    # One file, one error, one line: nothing the file says can forge or split lines, and
    # no control or bidi-format characters from the file reach the terminal.
    assert len(stderr.rstrip("\n").split("\n")) == 1, f"error message spans several lines\n{shown}"
    raw = [f"U+{ord(ch):04X}" for ch in stderr if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf")]
    assert not raw, f"control/format characters {raw} in stderr\n{shown!r}"
    if case.line is not None:
        assert m.group(1) == str(case.line), f"expected line {case.line}\n{shown}"
    if case.expect is not None:
        assert re.search(case.expect, m.group(2)), f"message does not match {case.expect!r}\n{shown}"
    out = tmp_path / "out"
    assert not out.exists() or not any(out.iterdir()), f"files written: {sorted(out.rglob('*'))}"
    new = _files(tmp_path) - before - {tmp_path / "problem.yaml", out}
    assert not new, f"files written outside --out: {sorted(new)}"
    bound = SUBPROCESS_BOUND if case.subprocess else CLI_BOUND
    assert elapsed < bound, f"took {elapsed:.1f} s (bound {bound} s)"


def test_enough_cases() -> None:
    assert len(CASES) >= 30
    assert len({c.id for c in CASES}) == len(CASES)
    assert set(XFAIL) <= {c.id for c in CASES}


# -- TeX injection -------------------------------------------------------------------

PWN = Path("/tmp/pwn")
TITLE = r"\input{/etc/passwd} ^^5c \write18{touch /tmp/pwn} & # % _ ~ $"
DANGEROUS = (r"\input{", r"\write18", r"\catcode", "^^5c")
# Control words a problem file must never be able to put into the .tex.
FORBIDDEN_CS = {
    "input", "include", "write", "immediate", "catcode", "openout", "openin", "read",
    "csname", "def", "edef", "gdef", "xdef", "let", "special", "newwrite", "everyjob", "endinput",
}


def injection_problem(marker: Path) -> str:
    """A valid problem with LaTeX injection attempts in the title, header and prose."""

    def sq(s: str) -> str:  # YAML single-quoted scalar: backslashes are literal
        return "'" + s.replace("'", "''") + "'"

    return "\n".join(
        [
            'id: "inj"',
            f"title: {sq(TITLE)}",
            "course: " + sq(r"\catcode`\^=7 ^^5cinput{/etc/passwd}"),
            "author: " + sq(r"\immediate\write18{touch " + str(marker) + "}"),
            "variables: [x1, x2]",
            "functions:",
            '  f: "x1^2 + x2"',
            "parts:",
            "  - {id: a, ask: gradient, of: f}",
            "  - id: b",
            "    ask: text",
            "    prompt: " + sq(r"Read $\input{/etc/passwd}$ and $$\write18{touch /tmp/pwn}$$ and \input{/etc/passwd}."),
            "    answer: " + sq(
                r"Use $\catcode`\^=7$ then $x^^5c$ and \catcode`\{=12 and `\input{/etc/passwd}` and "
                r"$\immediate\write18{touch " + str(marker) + r"}$ and [l](\input{/etc/passwd})."
            ),
            "    notes: " + sq(r"$\csname input\endcsname{/etc/passwd}$ \def\x{1} $\begin{verbatim}x\end{verbatim}$"),
            "",
        ]
    )


def _texttt_spans(tex: str) -> list[tuple[int, int]]:
    """(start, end) of the argument of every \\texttt{...}, braces balanced."""
    spans = []
    for m in re.finditer(r"\\texttt\{", tex):
        depth, i = 1, m.end()
        while i < len(tex) and depth:
            if tex[i] == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(tex[i], 0)
            i += 1
        spans.append((m.end(), i))
    return spans


def _control_words(tex: str) -> list[str]:
    """Control words in ``tex`` scanned as TeX would (``\\\\`` is one control symbol)."""
    words, i = [], 0
    while i < len(tex):
        if tex[i] == "\\" and i + 1 < len(tex):
            m = re.match(r"[A-Za-z]+", tex[i + 1 :])
            if m:
                words.append(m.group(0))
                i += 1 + m.end()
            else:
                i += 2
        elif tex[i] == "%":  # a comment runs to the end of the line
            nl = tex.find("\n", i)
            i = len(tex) if nl < 0 else nl + 1
        else:
            i += 1
    return words


def _assert_inert(tex: str) -> None:
    spans = _texttt_spans(tex)
    for needle in DANGEROUS:
        for m in re.finditer(re.escape(needle), tex):
            escaped = tex[: m.start()].endswith(r"\textbackslash{}")
            in_tt = any(a <= m.start() < b for a, b in spans)
            assert escaped or in_tt, f"unescaped {needle!r} at {m.start()}: ...{tex[max(0, m.start() - 60) : m.end() + 60]}..."
    bad = sorted(set(_control_words(tex)) & FORBIDDEN_CS)
    assert not bad, f"control sequences from the problem file reached the .tex: {bad}"
    assert "^^" not in tex, "TeX ^^ notation in the output"


def _render_injection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: Path) -> Path:
    path = tmp_path / "inj.yaml"
    path.write_text(injection_problem(marker), encoding="utf-8")
    out = tmp_path / "out"
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    result = CliRunner().invoke(main, ["render", str(path), "--out", str(out), "--format", "tex"])
    assert time.monotonic() - start < CLI_BOUND
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    assert "Traceback" not in result.output
    tex = out / "inj.tex"
    assert tex.is_file(), sorted(out.iterdir())
    return tex


def test_tex_injection_is_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tex = _render_injection(tmp_path, monkeypatch, tmp_path / "pwn2").read_text(encoding="utf-8")
    _assert_inert(tex)
    # The title's specials are all escaped (the title is text, not markup).
    for special in (r"\&", r"\#", r"\%", r"\_", r"\textasciitilde{}", r"\$", r"\textbackslash{}input\{/etc/passwd\}"):
        assert special in tex, f"{special!r} missing from the .tex"


def test_tex_injection_compiles_safely(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exe = shutil.which("pdflatex")
    if exe is None:
        if os.environ.get("SOLGEN_REQUIRE_TEX") == "1":
            pytest.fail("pdflatex is not on the PATH but SOLGEN_REQUIRE_TEX=1")
        pytest.skip("pdflatex is not on the PATH")
    marker = tmp_path / "pwn2"
    pwn_before = PWN.exists()
    tex = _render_injection(tmp_path, monkeypatch, marker)
    build = tmp_path / "build"
    build.mkdir()
    shutil.copy(tex, build / "inj.tex")
    try:
        proc = subprocess.run(
            [exe, "-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "inj.tex"],
            cwd=build,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=180,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("pdflatex hung")
    log = proc.stdout.decode("utf-8", "replace")
    assert proc.returncode == 0, log[-3000:]
    assert (build / "inj.pdf").is_file()
    assert "(/etc/passwd" not in log, "pdflatex read /etc/passwd"
    assert "runsystem" not in log, "pdflatex tried to run a shell command"
    assert not marker.exists()
    if not pwn_before:
        assert not PWN.exists(), "/tmp/pwn was created"


def test_link_target_is_escaped_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "link.yaml"
    path.write_text(
        problem(parts='  - {id: a, ask: text, prompt: "See [the notes](https://example.org/a%20b?x=1#sec)."}\n'),
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "out"), "--format", "tex"])
    assert result.exit_code == 0, result.output
    tex = (tmp_path / "out" / "t1.tex").read_text(encoding="utf-8")
    m = re.search(r"\\href\{(.*?)\}\{the notes\}", tex)
    assert m, tex
    target = m.group(1)
    assert "\\\\" not in target, f"'\\\\' (a TeX line break) in the link target: {target!r}"
    assert re.sub(r"\\([%#&_~])", r"\1", target) == "https://example.org/a%20b?x=1#sec", target


# -- determinism ---------------------------------------------------------------------


def test_render_is_deterministic_across_hash_seeds(tmp_path: Path) -> None:
    outputs: dict[str, dict[str, bytes]] = {}
    for seed in ("0", "1", "12345"):
        out = tmp_path / f"out-{seed}"
        env = dict(os.environ)
        env["PYTHONHASHSEED"] = seed
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        proc = subprocess.run(
            [sys.executable, "-m", "solgen.cli", "render", str(EXAMPLE), "--out", str(out),
             "--format", "tex", "--format", "md", "--format", "json"],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=SUBPROCESS_TIMEOUT,
        )
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
        outputs[seed] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert set(outputs["0"]) == {"1.2.tex", "1.2.md", "1.2.json", "1.2-fig-g.svg", "1.2-fig-h.svg"}
    for seed in ("1", "12345"):
        assert outputs[seed].keys() == outputs["0"].keys()
        for name, data in outputs["0"].items():
            assert outputs[seed][name] == data, f"{name} differs between PYTHONHASHSEED=0 and {seed}"
