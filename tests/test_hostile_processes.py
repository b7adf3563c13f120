"""Hostile problem and template files against solgen's processes, memory and outputs.

What a user checks after a run that went wrong, or was stopped:

* no worker or pdflatex is left running, and no ``solgen-tex-*`` folder is left in TMPDIR,
  whether solgen finished, hit ``--timeout``, or was stopped by SIGTERM, SIGKILL or Ctrl-C;
* a TeX loop in a template ends within ``--timeout`` with a ``FILE: error:`` line;
* a small problem file cannot make solgen use gigabytes (the checker's exact fallback
  multiplies out only what is small; the worker has a memory limit);
* ``--timeout`` takes finite seconds only;
* a problem's outputs are written all or nothing, and an old output is never lost;
* two files with one id, a folder or a missing file in a batch are errors of those files;
* with SOURCE_DATE_EPOCH, PDFs are the same byte for byte.

Runs that may hang run in a subprocess with a hard timeout.
"""

from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import solgen.input.problem  # noqa: F401 - imports SymPy once here, so each forked worker starts warm
from conftest import ROOT, need_pdflatex
from solgen.cli import main

P12 = ROOT / "problems" / "1.2.yaml"
HARD_TIMEOUT = 60  # seconds: a run still going after this fails the test instead of hanging it
LINUX = sys.platform.startswith("linux")


def problem(pid: str = "t1", f: str = "x1^2 + x2", parts: str = "  - {id: a, ask: gradient, of: f}\n",
            title: str = "Hostile") -> str:
    """A small problem file. Lines: 1 comment, 2 id, 3 title, 4 variables, 5 functions:,
    6 f, 7 parts:, 8+ parts."""
    return (
        "# a problem file\n"
        f'id: "{pid}"\n'
        f'title: "{title}"\n'
        "variables: [x1, x2]\n"
        "functions:\n"
        f'  f: "{f}"\n'
        "parts:\n"
        f"{parts}"
    )


def env_for(tmp_path: Path) -> dict[str, str]:
    """The environment of a solgen subprocess: this checkout first on the path, and a
    TMPDIR of its own, so that what solgen leaves there can be seen."""
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["TMPDIR"] = str(tmp)
    return env


def solgen(*args: str) -> list[str]:
    return [sys.executable, "-m", "solgen.cli", *args]


# Runs a command and reports its exit code, peak memory (KB, its largest process) and stderr.
PEAK = """
import resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=120)
sys.stdout.write(f"{proc.returncode}\\n{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n{proc.stderr}")
"""


def tex_folders(tmp_path: Path) -> list[str]:
    tmp = tmp_path / "tmp"
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("solgen-tex-")) if tmp.exists() else []


def processes_in(folder: Path) -> list[str]:
    """Running processes whose working folder is ``folder`` or inside it (solgen runs with
    its cwd there, its worker too, and pdflatex in a temporary folder under its TMPDIR)."""
    found = []
    root = str(folder.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if state != "Z" and (cwd == root or cwd.startswith(root + "/")):
            found.append(f"{entry.name}: {cmd}")
    return found


def wait_until(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def looping_templates(tmp_path: Path, loop: str = "\\def\\x{\\x}\\x") -> Path:
    """A --templates folder whose handout loops forever in TeX (a template from someone else)."""
    tpl = tmp_path / "tpl" / "tex"
    tpl.mkdir(parents=True)
    handout = (ROOT / "templates" / "tex" / "document.tex.j2").read_text(encoding="utf-8")
    assert "\\begin{document}" in handout
    tpl.joinpath("document.tex.j2").write_text(handout.replace("\\begin{document}", "\\begin{document}\n" + loop, 1),
                                              encoding="utf-8")
    return tmp_path / "tpl"


# -- 9. the worker and pdflatex die with solgen -----------------------------------------


@pytest.mark.skipif(not LINUX, reason="looks for processes in /proc")
def test_a_tex_loop_in_a_template_ends_within_the_timeout(tmp_path: Path) -> None:
    need_pdflatex()
    src = tmp_path / "t1.yaml"
    src.write_text(problem(), encoding="utf-8")
    out = tmp_path / "out"
    start = time.monotonic()
    try:
        proc = subprocess.run(
            solgen("render", str(src), "--pdf", "--timeout", "5", "--templates", str(looping_templates(tmp_path)),
                   "--out", str(out)),
            cwd=tmp_path, env=env_for(tmp_path), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("solgen was still compiling a looping template after 30 s (--timeout 5)")
    elapsed = time.monotonic() - start
    assert elapsed < 10, f"took {elapsed:.1f} s with --timeout 5"
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    first = proc.stderr.splitlines()[0]
    assert re.match(rf"^{re.escape(str(out / 't1.tex'))}(:\d+)?: error: .*pdflatex", first), proc.stderr
    assert not (out / "t1.pdf").exists()
    assert (out / "t1.tex").exists()  # written: it is what the error is about
    assert tex_folders(tmp_path) == []
    assert wait_until(lambda: not processes_in(tmp_path), 3), processes_in(tmp_path)


@pytest.mark.skipif(not LINUX, reason="looks for processes in /proc")
def test_a_tex_loop_that_writes_without_end_is_not_kept_in_memory(tmp_path: Path) -> None:
    """pdflatex's terminal output went into solgen's memory (458 MB from one template)."""
    need_pdflatex()
    src = tmp_path / "t1.yaml"
    src.write_text(problem(), encoding="utf-8")
    chatty = looping_templates(tmp_path, "\\def\\x{\\message{" + "blah " * 40 + "}\\x}\\x")
    out = tmp_path / "out"
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", PEAK, *solgen("render", str(src), "--pdf", "--timeout", "6", "--templates", str(chatty),
                                                 "--out", str(out))],
            cwd=tmp_path, env=env_for(tmp_path), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("solgen was still compiling a looping template after 30 s (--timeout 6)")
    elapsed = time.monotonic() - start
    code, peak_kb, stderr = proc.stdout.split("\n", 2)
    assert elapsed < 12, f"took {elapsed:.1f} s with --timeout 6"
    assert code == "1", stderr
    assert int(peak_kb) < 300 * 1024, f"peak {int(peak_kb) // 1024} MB"
    assert re.match(rf"^{re.escape(str(out / 't1.tex'))}(:\d+)?: error: .*pdflatex", stderr), stderr
    assert tex_folders(tmp_path) == []


def _start(tmp_path: Path, *args: str) -> subprocess.Popen:
    """solgen in a session of its own (as a shell runs it: a process group for Ctrl-C)."""
    return subprocess.Popen(solgen(*args), cwd=tmp_path, env=env_for(tmp_path), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _stop(proc: subprocess.Popen, how: str) -> tuple[str, str]:
    if how == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does: the whole foreground group
    else:
        os.kill(proc.pid, {"sigterm": signal.SIGTERM, "sigkill": signal.SIGKILL}[how])
    try:
        return proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"solgen was still running 20 s after {how}")


@pytest.mark.skipif(not LINUX, reason="the kernel's parent-death signal and /proc are Linux")
@pytest.mark.parametrize("how", ["sigterm", "sigkill", "ctrl-c"])
def test_stopping_solgen_during_pdflatex_leaves_nothing_behind(tmp_path: Path, how: str) -> None:
    need_pdflatex()
    src = tmp_path / "t1.yaml"
    src.write_text(problem(), encoding="utf-8")
    proc = _start(tmp_path, "render", str(src), "--pdf", "--timeout", "60",
                  "--templates", str(looping_templates(tmp_path)), "--out", str(tmp_path / "out"))
    try:
        running = wait_until(lambda: tex_folders(tmp_path) and len(processes_in(tmp_path)) >= 3, 20)
        assert running, f"pdflatex never started: {processes_in(tmp_path)} {proc.poll()}"
        before = processes_in(tmp_path)
        assert any("pdflatex" in p for p in before), before
        _, stderr = _stop(proc, how)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "Traceback" not in stderr, stderr
    assert proc.returncode != 0
    assert wait_until(lambda: not processes_in(tmp_path), 5), f"still running after {how}: {processes_in(tmp_path)}"
    assert wait_until(lambda: not tex_folders(tmp_path), 5), f"left behind after {how}: {tex_folders(tmp_path)}"
    assert not (tmp_path / "out" / "t1.pdf").exists()


@pytest.mark.skipif(not LINUX, reason="the kernel's parent-death signal and /proc are Linux")
def test_a_worker_deriving_dies_when_solgen_is_killed(tmp_path: Path) -> None:
    factors = "*".join(f"(x1+{i}*x2+{i})^{i % 5 + 2}" for i in range(1, 41))
    src = tmp_path / "slow.yaml"
    src.write_text(problem(f=factors, parts="  - {id: a, ask: gradient, of: f}\n  - {id: b, ask: hessian, of: f}\n"),
                   encoding="utf-8")
    proc = _start(tmp_path, "render", str(src), "--timeout", "60", "--out", str(tmp_path / "out"))
    try:
        assert wait_until(lambda: len(processes_in(tmp_path)) >= 2, 20), f"no worker: {processes_in(tmp_path)}"
        time.sleep(0.5)  # into the derivation
        _stop(proc, "sigkill")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert wait_until(lambda: not processes_in(tmp_path), 5), f"orphaned: {processes_in(tmp_path)}"
    assert not (tmp_path / "out").exists()


# -- 10. memory is bounded --------------------------------------------------------------

# Small files (within every parser limit) whose exact check multiplied out millions of
# terms: 1.4 GB in 20 s, and growing.
MEMORY_HOGS = {
    # no real values at the sample points: the checker's exact fallback expanded a
    # 60th power of a sum of eight terms
    "hessian-no-real-points": (problem(f="sqrt(-1-x1^2) * (x1+x2+a+b+c+d+g+1)^60",
                                       parts="  - {id: a, ask: hessian, of: f}\n"),
                               r"part \(a\): cannot check .*no real value"),
    # the slope of a directional derivative was multiplied out
    "directional-slope": (problem(f="(x1+x2+a+b+c+d+g+1)^60",
                                  parts="  - {id: a, ask: directional, of: f, at: {x1: 0, x2: 1}, directions: {d1: [1, 1]}}\n"),
                          r"part \(a\): the slope in direction d1: multiplying it out would make about 10\^\d+ terms; simplify it"),
    # values beyond 10^1200 at every sample point: the exact fallback again
    "hessian-huge-values": (problem(f="(x1+x2+999999999999)^100 * (x1-x2+999999999999)^100 * (x1+x2+x1*x2)",
                                    parts="  - {id: a, ask: hessian, of: f}\n"),
                            r"part \(a\): cannot check .*too large to compute.*simplify it"),
}


@pytest.mark.parametrize("name", list(MEMORY_HOGS))
def test_a_small_file_cannot_take_gigabytes(tmp_path: Path, name: str) -> None:
    text, expect = MEMORY_HOGS[name]
    assert len(text.encode()) < 250
    src = tmp_path / "hog.yaml"
    src.write_text(text, encoding="utf-8")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-c", PEAK, *solgen("render", str(src), "--out", str(tmp_path / "out"), "--timeout", "20")],
            cwd=tmp_path, env=env_for(tmp_path), stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=HARD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"no result after {HARD_TIMEOUT} s")
    elapsed = time.monotonic() - start
    code, peak_kb, stderr = proc.stdout.split("\n", 2)
    assert int(peak_kb) < 1024 * 1024, f"peak {int(peak_kb) // 1024} MB\n{stderr}"
    assert elapsed < 15, f"took {elapsed:.1f} s\n{stderr}"
    assert code == "1" and "Traceback" not in stderr, stderr
    m = re.match(rf"^{re.escape(str(src))}:8: error: (.*)$", stderr.splitlines()[0])
    assert m and re.search(expect, m.group(1)), stderr
    assert "took longer" not in stderr and "internal" not in stderr, stderr
    assert not (tmp_path / "out").exists()


def test_running_out_of_memory_in_the_worker_is_an_error_at_the_part(tmp_path: Path, monkeypatch) -> None:
    """Whatever a guard misses, the worker's memory limit stops it: a clear error, not
    a traceback, a killed machine or a worker that vanished."""
    import solgen.pipeline as cli
    import solgen.derive.calculus as calculus

    def hungry(problem, check=True, progress=None):
        progress(problem.parts[0])
        return bytes(cli.WORKER_MEMORY + (1 << 30))  # zero pages: costs nothing where memory is not limited

    monkeypatch.setattr(calculus, "solve", hungry)  # the forked worker has it too
    src = tmp_path / "t1.yaml"
    src.write_text(problem(), encoding="utf-8")
    res = CliRunner().invoke(main, ["render", str(src), "--out", str(tmp_path / "out")])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert res.stderr.startswith(f"{src}:8: error: part (a), the gradient, needs more memory than solgen allows"), res.stderr
    assert res.stderr.splitlines()[0].endswith("simplify it")
    assert not (tmp_path / "out").exists()


# -- 11. --timeout takes finite seconds -------------------------------------------------


@pytest.mark.parametrize("command", ["render", "check"])
@pytest.mark.parametrize("value", ["inf", "-inf", "1e300", "nan", "-1", "ten"])
def test_timeout_must_be_finite_seconds(tmp_path: Path, command: str, value: str) -> None:
    res = CliRunner().invoke(main, [command, str(P12), "--timeout", value, *(["--out", str(tmp_path)] if command == "render" else [])])
    assert res.exit_code == 2, res.output
    assert "Invalid value for '--timeout'" in res.output
    assert "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []


def test_timeout_zero_still_means_no_limit_and_help_says_what_it_bounds(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["render", str(P12), "--timeout", "0", "--format", "json", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "1.2.json").exists()
    helptext = " ".join(CliRunner().invoke(main, ["render", "--help"]).output.split())
    assert "pdflatex gets what is left" in helptext and "0: no limit" in helptext


# -- 12. all or nothing ------------------------------------------------------------------


def test_a_folder_in_the_way_writes_none_of_the_outputs(tmp_path: Path) -> None:
    src = tmp_path / "t1.yaml"
    src.write_text(problem(), encoding="utf-8")
    out = tmp_path / "out"
    (out / "t1.md").mkdir(parents=True)
    res = CliRunner().invoke(main, ["render", str(src), "--format", "tex", "--format", "md", "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert re.match(rf"^{re.escape(str(src))}: error: .*{re.escape(str(out / 't1.md'))}", res.stderr), res.stderr
    assert not (out / "t1.tex").exists()
    assert sorted(p.name for p in out.iterdir()) == ["t1.md"]


def _old_outputs(out: Path) -> dict[str, str]:
    out.mkdir()
    old = {"t1.tex": "OLD-OUTPUT tex\n", "t1.json": "OLD-OUTPUT json\n"}  # t1.md: none yet
    for name, text in old.items():
        (out / name).write_text(text)
    return old


def test_a_full_disk_midway_keeps_the_old_outputs(tmp_path: Path, monkeypatch) -> None:
    import solgen.build as build

    src = tmp_path / "t1.yaml"
    src.write_text(problem(), encoding="utf-8")
    out = tmp_path / "out"
    old = _old_outputs(out)
    real = build._write_temp
    calls = []

    def disk_full_on_the_second(fd, data):
        calls.append(fd)
        if len(calls) == 2:
            os.close(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd, data)

    monkeypatch.setattr(build, "_write_temp", disk_full_on_the_second)
    res = CliRunner().invoke(main, ["render", str(src), "-f", "tex", "-f", "md", "-f", "json", "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert re.match(rf"^{re.escape(str(src))}: error: cannot write .*: No space left on device", res.stderr), res.stderr
    assert {p.name: p.read_text() for p in out.iterdir()} == old  # no t1.md, no temporary file


def test_a_rename_failing_midway_puts_back_what_was_renamed(tmp_path: Path, monkeypatch) -> None:
    import solgen.build as build

    src = tmp_path / "t1.yaml"
    src.write_text(problem(), encoding="utf-8")
    out = tmp_path / "out"
    old = _old_outputs(out)
    real = build._replace
    calls = []

    def fails_on_the_third(tmp, path):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        real(tmp, path)

    monkeypatch.setattr(build, "_replace", fails_on_the_third)
    res = CliRunner().invoke(main, ["render", str(src), "-f", "tex", "-f", "md", "-f", "json", "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert len(calls) == 3  # t1.json and t1.tex... were in place before the third failed
    assert re.match(rf"^{re.escape(str(src))}: error: cannot write .*: Input/output error", res.stderr), res.stderr
    assert {p.name: p.read_text() for p in out.iterdir()} == old


def test_outputs_replace_old_ones_in_full(tmp_path: Path) -> None:
    src = tmp_path / "t1.yaml"
    src.write_text(problem(), encoding="utf-8")
    out = tmp_path / "out"
    _old_outputs(out)
    res = CliRunner().invoke(main, ["render", str(src), "-f", "tex", "-f", "md", "-f", "json", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["t1.json", "t1.md", "t1.tex"]
    assert all("OLD-OUTPUT" not in p.read_text() for p in out.iterdir())


# -- 13, 14. batches ---------------------------------------------------------------------


def test_two_files_with_one_id_is_an_error_of_the_second(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    a.write_text(problem(title="From A"), encoding="utf-8")
    b.write_text(problem(title="From B"), encoding="utf-8")
    c.write_text(problem(pid="t2", title="From C"), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["render", str(a), str(b), str(c), "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert res.stderr.splitlines()[0] == (
        f"{b}:2: error: id 't1' is also the id of {a}; outputs would overwrite each other"), res.stderr
    assert "From A" in (out / "t1.tex").read_text()
    assert "From C" in (out / "t2.tex").read_text()
    assert "2 of 3 problem files rendered, 1 failed" in res.stdout
    res = CliRunner().invoke(main, ["check", str(a), str(b)])
    assert res.exit_code == 1 and f"{b}:2: error: id 't1' is also the id of {a}" in res.stderr, res.output


@pytest.mark.parametrize("command", ["render", "check"])
def test_a_folder_is_its_files_and_a_missing_file_in_a_batch_fails_alone(tmp_path: Path, monkeypatch, command: str) -> None:
    """A folder means every .yaml under it (issue 13); a missing file is an error of its own."""
    monkeypatch.chdir(tmp_path)
    Path("problems").mkdir()
    Path("problems/t1.yaml").write_text(problem(), encoding="utf-8")
    Path("x.yaml").write_text(problem(pid="x"), encoding="utf-8")
    extra = ["--out", "out"] if command == "render" else []
    res = CliRunner().invoke(main, [command, "problems/", "missing.yaml", "x.yaml", *extra])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output and "Usage" not in res.output
    errors = res.stderr.splitlines()
    assert errors[0].startswith("missing.yaml: error: "), errors
    if command == "render":
        assert sorted(p.name for p in Path("out").iterdir()) == ["t1.tex", "x.tex"]
        assert "2 of 3 problem files rendered, 1 failed" in res.stdout
    else:
        assert "x.yaml: ok" in res.stdout and "problems/t1.yaml: ok" in res.stdout


# -- 16. reproducible PDFs ---------------------------------------------------------------


def test_pdfs_are_reproducible_with_source_date_epoch(tmp_path: Path, monkeypatch) -> None:
    need_pdflatex()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pdfs = []
    for run in ("one", "two"):
        out = tmp_path / run
        res = CliRunner().invoke(main, ["render", str(P12), "--pdf", "--out", str(out)])
        assert res.exit_code == 0, res.output
        pdfs.append((out / "1.2.pdf").read_bytes())
        time.sleep(1.1)  # a clock that ticks between the runs must not matter
    assert pdfs[0].startswith(b"%PDF")
    assert pdfs[0] == pdfs[1]
    assert b"D:20231114221320" in pdfs[0]  # the PDF's date is SOURCE_DATE_EPOCH's


# -- --debug ------------------------------------------------------------------------------


def test_debug_shows_the_traceback_of_an_error(tmp_path: Path) -> None:
    src = tmp_path / "t1.yaml"
    src.write_text(problem(f="x1^2 + x3"), encoding="utf-8")
    res = CliRunner().invoke(main, ["check", str(src), "--debug"])
    assert res.exit_code == 1
    assert res.stderr.startswith(f"{src}:6: error: "), res.stderr
    assert "Traceback (most recent call last)" in res.stderr and "load_problem" in res.stderr, res.stderr
    assert "NoneType: None" not in res.stderr
