"""Write outputs: atomic files in the output folder, and PDFs through pdflatex.

A problem's outputs are written all or nothing (``write_all``): every file goes to a
temporary name in the target folder first, and only when all of them are written are they
renamed into place; should a rename fail, the files already renamed are put back as they
were. An interrupted run never leaves a half-written file, and an existing output is never
lost.

PDFs are built in a fresh temporary folder (never reading a latexmkrc or anything else
beside the problem file), with shell escape off, and only a finished PDF is moved into the
output folder. pdflatex runs in a process group of its own under a time limit, with the
files it writes capped in size (``PDF_MAX_FILE``), its terminal output discarded and only
the end of its .log read; on a timeout, an error or a signal the whole group is killed
before the temporary folder is removed, and on Linux it is killed as well should the
process that started it die first. ``SOURCE_DATE_EPOCH`` is passed on (with
``FORCE_SOURCE_DATE=1``), so PDFs are reproducible byte for byte.

To add a writer: produce text, then call ``write_atomic`` (one file) or ``write_all``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from solgen.errors import BuildError
import ctypes
import resource

PDFLATEX_ARGS = ("-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "-file-line-error")
PDF_MAX_FILE = 64 << 20  # bytes: a file pdflatex writes (.log, .pdf, ...) may not grow past this
LOG_TAIL = 64 << 10  # bytes at the end of the .log read back for the error message


def safe_target(out_dir: Path, name: str) -> Path:
    """``out_dir/name``, refusing any name that would leave ``out_dir``."""
    if "/" in name or "\\" in name or name.startswith((".", "-")) or not name:
        raise BuildError(f"refusing to write {name!r}: not a plain file name")
    target = (out_dir / name).resolve()
    if target.parent != out_dir.resolve():
        raise BuildError(f"refusing to write {name!r} outside {out_dir}")
    return target


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write one file atomically (see ``write_all``)."""
    write_all({path: data})


def write_all(files: dict[Path, str | bytes]) -> None:
    """Write ``files`` (path -> text or bytes) all or nothing.

    Each is written in full to a temporary file beside its target; only when every one of
    them is written are they renamed into place. Should a rename fail, the targets already
    replaced get their old contents back (kept as hard links, or renamed aside where the
    file system has none) and new ones that had no old version are removed. Raises
    BuildError naming the path that could not be written; no temporary file is left."""
    temps: dict[Path, str] = {}
    done: list[tuple[Path, str | None]] = []  # renamed into place, with the old version's temporary name
    try:
        for path in files:
            if path.is_dir() and not path.is_symlink():
                raise BuildError(f"cannot write {path}: a folder is in the way")
        for path, data in files.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, temps[path] = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
                _write_temp(fd, data.encode("utf-8") if isinstance(data, str) else data)
                os.chmod(temps[path], 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
            except OSError as exc:
                raise _cannot(path, exc) from None
        for path in files:
            try:
                old = _keep_old(path)
            except OSError as exc:
                raise _cannot(path, exc) from None
            try:
                _replace(temps[path], path)
            except OSError as exc:
                if old is not None:
                    _restore(path, old)
                raise _cannot(path, exc) from None
            del temps[path]
            done.append((path, old))
    except BaseException:
        for path, old in reversed(done):
            if old is None:
                _unlink(str(path))
            else:
                _restore(path, old)
        for tmp in temps.values():
            _unlink(tmp)
        raise
    for _, old in done:
        if old is not None:
            _unlink(old)


def _write_temp(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _replace(src: str, dst: Path) -> None:
    os.replace(src, dst)


def _cannot(path: Path, exc: OSError) -> BuildError:
    return BuildError(f"cannot write {path}: {exc.strerror or exc}")


def _keep_old(path: Path) -> str | None:
    """A second name for the file at ``path`` (None if there is none), so that it can be
    put back: a hard link, or, where the file system has none, the file renamed aside."""
    if not os.path.lexists(path):
        return None
    for _ in range(100):
        old = str(path.parent / f".{path.name}.{os.urandom(4).hex()}.old")
        try:
            os.link(path, old, follow_symlinks=False)
            return old
        except FileExistsError:
            continue
        except OSError:
            if os.path.lexists(old):
                continue
            os.replace(path, old)
            return old
    raise FileExistsError(f"no free temporary name beside {path}")


def _restore(path: Path, old: str) -> None:
    try:
        os.replace(old, path)
    except OSError:
        pass


def _unlink(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def pdflatex() -> str | None:
    return shutil.which("pdflatex")


_PR_SET_PDEATHSIG = 1
_prctl = None


def _load_prctl() -> None:
    """Find prctl(2) now, in the parent: a child between fork and exec should not load libraries."""
    global _prctl
    if _prctl is None and sys.platform.startswith("linux"):
        try:
            _prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):  # pragma: no cover - no libc prctl
            _prctl = False


def die_with_parent(sig: int, parent: int | None = None) -> None:
    """Have the kernel send ``sig`` to this process when its parent dies (Linux; elsewhere
    nothing). ``parent``: the pid the parent had; if it is gone already, ``sig`` now."""
    _load_prctl()
    if _prctl:
        _prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)


def _tex_limits(parent: int) -> None:
    """In pdflatex, between fork and exec: killed when its parent dies; no file it writes
    may grow past PDF_MAX_FILE (then it gets SIGXFSZ); the signals held while it was
    started are its own again."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (PDF_MAX_FILE, PDF_MAX_FILE))
    die_with_parent(signal.SIGKILL, parent)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _tex_env(work: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": work,
        "TEXMFOUTPUT": work,
        "openout_any": "p",
        "openin_any": "p",
        "shell_escape": "f",
    }
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():  # dates, \today and the PDF's /ID from it: the same PDF every time
        env["SOURCE_DATE_EPOCH"] = epoch
        env["FORCE_SOURCE_DATE"] = "1"
    return env


def _log_tail(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - LOG_TAIL))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


# What this process has running: pdflatex process groups and their temporary folders,
# for ``abandon`` (a signal handler that is about to exit).
_groups: set[int] = set()
_folders: set[str] = set()
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT} | ({signal.SIGHUP} if hasattr(signal, "SIGHUP") else set())

WORKER_MEMORY = 2 << 30  # bytes of address space a worker may add to what it started with (RLIMIT_AS)


class Stopped(BaseException):
    """A signal asked solgen to stop: raised so that finally-blocks stop the worker (or,
    in-process, kill pdflatex and remove its folder). A BaseException: no ``except
    Exception`` in SymPy or solgen swallows it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_stop_signal: list[int] = []  # a stop signal that came (should its exception have been swallowed)


def _raise_stopped(signum: int, frame: Any) -> None:
    signal.signal(signum, signal.SIG_IGN)  # a second signal may not interrupt the cleanup
    _stop_signal.append(signum)
    raise Stopped(signum)


@contextmanager
def stoppable() -> Iterator[None]:
    """SIGTERM and SIGHUP raise Stopped here (Ctrl-C raises KeyboardInterrupt already);
    on leaving, exit with 128 + the signal's number. Outside the main thread: as it is."""
    previous = {}
    _stop_signal.clear()
    try:
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                previous[sig] = signal.signal(sig, _raise_stopped)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    except Stopped as stop:
        sys.stderr.write(f"solgen: stopped by signal {stop.signum}\n")
        sys.exit(128 + stop.signum)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


_POSIX = os.name == "posix"


def abandon() -> None:
    """Kill every pdflatex this process started and remove their temporary folders: for a
    signal handler that exits next (finally-blocks will not run)."""
    for group in list(_groups):
        _kill_group(group)
    for folder in list(_folders):
        shutil.rmtree(folder, ignore_errors=True)


class signals_held:
    """Hold the stop signals for a few steps that must happen together (create a folder or
    a process, and note it for ``abandon``); a signal that came meanwhile arrives after.
    (Where signals cannot be held, nothing.)"""

    def __enter__(self) -> None:
        self.old = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS) if _POSIX else None

    def __exit__(self, *exc: object) -> None:
        if self.old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self.old)


def compile_pdf(tex: str, name: str = "doc", runs: int = 2, timeout: float | None = None,
                files: dict[str, bytes] | None = None) -> bytes:
    """Compile ``tex`` with pdflatex in a private temporary folder; return the PDF bytes.

    ``timeout`` (seconds, None: no limit) bounds all the runs together. Raises BuildError
    with the first TeX error and its .tex line on failure, or on a timeout."""
    exe = pdflatex()
    if exe is None:
        raise BuildError("pdflatex is not on the PATH (install TeX Live, e.g. texlive-latex-extra)")
    deadline = None if timeout is None else time.monotonic() + timeout
    with signals_held():
        try:
            work = tempfile.mkdtemp(prefix="solgen-tex-")
        except OSError as exc:
            raise BuildError(f"cannot make a temporary folder for pdflatex in {tempfile.gettempdir()}: {exc.strerror}") from None
        _folders.add(work)
    try:
        src = Path(work) / f"{name}.tex"
        try:
            src.write_text(tex, encoding="utf-8")
            for side, data in (files or {}).items():  # a section's images, by plain name
                safe_target(Path(work), side).write_bytes(data)
        except OSError as exc:
            raise BuildError(f"cannot write {src}: {exc.strerror}") from None
        env = _tex_env(work)
        for _ in range(runs):
            code = _run_tex([exe, *PDFLATEX_ARGS, src.name], work, env, deadline, timeout)
            log = _log_tail(Path(work) / f"{name}.log")
            if hasattr(signal, "SIGXFSZ") and code == -signal.SIGXFSZ:
                raise BuildError(f"pdflatex wrote a file larger than {PDF_MAX_FILE >> 20} MB (an endless loop in the template?)")
            if code != 0:
                raise _tex_error(log, src.name)
        try:
            return (Path(work) / f"{name}.pdf").read_bytes()
        except OSError:
            raise BuildError("pdflatex made no PDF (an empty document?)") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        _folders.discard(work)


def _run_tex(argv: list[str], work: str, env: dict[str, str], deadline: float | None, timeout: float | None) -> int:
    """Run pdflatex once in its own process group; kill the group on a timeout or on any
    exception (a signal turned into one) before returning or raising."""
    _load_prctl()
    if _POSIX:
        pass

    me = os.getpid()
    with signals_held():
        proc = subprocess.Popen(
            argv, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=_POSIX, preexec_fn=(lambda: _tex_limits(me)) if _POSIX else None,
        )
        _groups.add(proc.pid)
    try:
        try:
            return proc.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise BuildError(f"pdflatex did not finish in the {timeout:.3g} s left of --timeout (an endless loop in the template?)") from None
    finally:
        if proc.returncode is None:
            _kill_group(proc.pid)
            proc.kill()
            proc.wait()
        _groups.discard(proc.pid)


def _kill_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (OSError, AttributeError):  # gone already; or no process groups (Windows)
        pass


def _tex_error(log: str, filename: str) -> BuildError:
    m = re.search(rf"^\./{re.escape(filename)}:(\d+): (.*)$", log, flags=re.M)
    if m:
        return BuildError(f"LaTeX error: {m.group(2).strip()}", int(m.group(1)))
    m = re.search(r"^! (.*)$", log, flags=re.M)
    return BuildError(f"LaTeX error: {m.group(1).strip() if m else 'see the pdflatex log'}")
