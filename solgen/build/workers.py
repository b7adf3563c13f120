"""Worker processes: each file is rendered in a forked worker under a wall-clock limit and
a memory limit (``WORKER_MEMORY``), so a runaway SymPy computation or TeX loop is really
stopped. The worker dies with solgen: on Linux the kernel signals it when solgen dies (even
by SIGKILL), and on SIGTERM, SIGHUP or Ctrl-C solgen stops it (and its pdflatex) and removes
temporary folders before exiting (``stoppable``, ``Stopped``).

What a worker runs is given by the caller (``work``: the pipeline's render of one file,
``work(path, job, deadline, progress=...) -> Outcome``); this module knows processes,
signals, limits and pipes, not problems.
"""

from __future__ import annotations

import gc
import multiprocessing as mp
import os
import resource
import signal
import sys
import time
import types
from multiprocessing.connection import wait
from typing import Any, Callable, Iterator

from solgen.build import STOP_SIGNALS, WORKER_MEMORY, abandon, die_with_parent, signals_held
from solgen.build.jobs import Job, Outcome
from solgen.math import lazy

STOP_GRACE = 2.0  # seconds a stopped worker has to clean up (kill pdflatex, remove its folder)
PDF_MARGIN = 0.5  # seconds of --timeout kept back from pdflatex, so its own timeout is the one reported

Work = Callable[..., Outcome]  # work(path, job, deadline, progress=...): one file's render


def _stop_worker(signum: int, frame: Any) -> None:
    """The worker's SIGTERM (from the parent, or from the kernel when the parent died):
    kill its pdflatex, remove its temporary folder, and exit now. No exception: one
    raised inside a destructor or a fork hook would be printed and swallowed."""
    abandon()
    os._exit(128 + signum)


def _memory_error(what: str) -> str:
    return f"{what} needs more memory than solgen allows ({WORKER_MEMORY / (1 << 30):g} GiB); simplify it"


def _become_worker(parent: int) -> None:
    """In the forked worker: die with the parent (the kernel sends SIGTERM, on which the
    worker kills its pdflatex and removes its temporary folder), leave
    Ctrl-C to the parent (which stops the worker), and use at most WORKER_MEMORY more
    memory than it started with (a MemoryError past that is reported as such)."""
    signal.signal(signal.SIGTERM, _stop_worker)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if os.name != "posix":  # pragma: no cover - no signal masks, parent-death signals or rlimits
        return
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # held by the parent while it forked
    die_with_parent(signal.SIGTERM, parent)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space() + WORKER_MEMORY  # on top of what it shares with the parent
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _address_space() -> int:
    """Bytes of address space this process uses now (Linux; elsewhere 0)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


# The worker's collector runs every WORKER_GC_THRESHOLD[0] new objects instead of 700:
# importing SymPy and deriving make millions of objects, hardly any of them garbage in a
# cycle, and scanning them every 700 costs a tenth of a render. The worker is short-lived
# and under WORKER_MEMORY.
WORKER_GC_THRESHOLD = (10_000, 10, 10)


def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)


# CPython 3.11 to 3.14 keep a thread's Python frames in 16 KiB chunks and unmap a chunk as
# soon as its first frame returns: a loop that keeps calling across a chunk's end maps and
# unmaps a chunk on every call (python/cpython#142183; fixed in 2026's 3.13 and 3.14
# releases, where the reserve below is harmless). Whether a render's hot loops (SymPy's
# recursions) sit on such an end depends on the depth it starts at: started from the
# ``solgen`` script, 1.2's render made 12,000 mmap/munmap pairs, a fifth of its time.
# ``roomy`` calls through a frame that reserves ROOM slots: its chunk is allocated at twice
# that size, and the frames under it fill the other half without crossing into a new
# chunk. (The reserved slots are never written: the pages stay unmapped.)
ROOM = 1 << 17  # 8-byte slots: a 2 MiB chunk, 1 MiB of it for the render's frames
_CHUNKED = sys.implementation.name == "cpython" and (3, 11) <= sys.version_info[:2] <= (3, 14)
_roomy_call = types.FunctionType(_call.__code__.replace(co_stacksize=_call.__code__.co_stacksize + ROOM), globals(),
                                 "_roomy_call") if _CHUNKED else _call


def roomy(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, its frames in one roomy chunk of the frame stack (above)."""
    return _roomy_call(fn, *args, **kwargs)


def _child(conn: Any, work: Work, args: tuple, parent: int) -> None:
    try:
        gc.set_threshold(*WORKER_GC_THRESHOLD)
        lazy.freeze_imports()
        _become_worker(parent)
        try:
            outcome = roomy(work, *args, progress=lambda text: conn.send(text))
        except MemoryError:
            outcome = Outcome(args[0], error=_memory_error("this problem file"))
        try:
            conn.send(outcome)
        except MemoryError:
            conn.send(Outcome(args[0], error=_memory_error("this problem file's output")))
    except BaseException:  # noqa: BLE001 - the parent is gone (a broken pipe): leave quietly
        os._exit(1)
    finally:
        conn.close()


def run_limited(work: Work, args: tuple, timeout: float, what: str = "a problem file") -> Outcome:
    """``work(*args)`` in a forked worker, stopped after ``timeout`` seconds (SIGTERM, so
    it cleans up, then SIGKILL after STOP_GRACE), or when this process is interrupted."""
    try:
        ctx = mp.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        ctx = mp.get_context("spawn")
    deadline = time.monotonic() + timeout
    args = (*args, deadline - min(PDF_MARGIN, timeout / 10))  # pdflatex's deadline: its timeout is the one reported
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, work, args, os.getpid()), daemon=True)
    doing = "loading"
    try:
        with signals_held():  # not while forking: the worker sets its own handlers first
            proc.start()
        child.close()
        while parent.poll(max(0.0, deadline - time.monotonic())):
            try:
                message = parent.recv()
            except EOFError:
                proc.join(1)
                return Outcome(args[0], error=f"the worker stopped unexpectedly (exit code {proc.exitcode})")
            if isinstance(message, Outcome):
                return message
            doing = message
        return Outcome(args[0], error=f"{doing} took longer than the {timeout:g} s allowed for {what}; "
                       "simplify it or raise --timeout")
    finally:
        _stop(proc)
        parent.close()
        child.close()


def _spawn(work: Work, args: tuple, timeout: float) -> dict[str, Any]:
    """A worker for ``work(*args)``, as run_limited starts one; its pipe, deadline and state."""
    try:
        ctx = mp.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        ctx = mp.get_context("spawn")
    deadline = time.monotonic() + timeout
    args = (*args, deadline - min(PDF_MARGIN, timeout / 10))
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, work, args, os.getpid()), daemon=True)
    with signals_held():
        proc.start()
    child.close()
    return {"proc": proc, "conn": parent, "deadline": deadline, "doing": "loading", "path": args[0]}


def _stop(proc: Any) -> None:
    """A worker stopped and waited for: asked (SIGTERM), then told (SIGKILL) after a grace."""
    if proc.is_alive():
        proc.terminate()
        proc.join(STOP_GRACE)
    if proc.is_alive():
        proc.kill()
    if proc.pid is not None:
        proc.join(5)


def _reap(worker: dict[str, Any]) -> None:
    _stop(worker["proc"])
    worker["conn"].close()


def run_parallel(work: Work, allowance: Callable[[str, float], tuple[float, str]], items: list[tuple[int, str]],
                 job: Job, timeout: float, jobs: int) -> Iterator[tuple[int, Outcome]]:
    """``(index, outcome)`` of each ``(index, path)`` as its worker finishes, at most ``jobs``
    workers at a time, each under ``allowance(path, timeout)`` as in run_limited."""
    pending = list(items)
    running: dict[Any, tuple[int, dict[str, Any]]] = {}
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                index, path = pending.pop(0)
                limit, what = allowance(path, timeout)
                worker = _spawn(work, (path, job), limit)
                worker.update(limit=limit, what=what)
                running[worker["conn"]] = (index, worker)
            soonest = min(w["deadline"] for _, w in running.values())
            ready = wait(list(running), timeout=max(0.0, soonest - time.monotonic()))
            for conn in ready:
                index, worker = running[conn]
                try:
                    message = conn.recv()
                except EOFError:
                    worker["proc"].join(1)
                    message = Outcome(worker["path"], error=f"the worker stopped unexpectedly (exit code {worker['proc'].exitcode})")
                if not isinstance(message, Outcome):
                    worker["doing"] = message
                    continue
                del running[conn]
                _reap(worker)
                yield index, message
            now = time.monotonic()
            for conn, (index, worker) in list(running.items()):
                if now >= worker["deadline"]:
                    del running[conn]
                    _reap(worker)
                    yield index, Outcome(worker["path"], error=f"{worker['doing']} took longer than the {worker['limit']:g} s "
                                         f"allowed for {worker['what']}; simplify it or raise --timeout")
    finally:
        for _, worker in running.values():
            _reap(worker)

