"""The render cache: an unchanged input is not derived again.

An entry is found by a key made of solgen's version (a fingerprint of its own code and
built-in templates: every file's name, size and modification time), the options that change the outputs (formats, kinds, language, PDF,
the ``--templates`` folder's files by content) and the real path of the file rendered;
it holds the hashes of every file the render read (a section's problems and included
sections too: the SHA-256 of the very bytes the worker read, ``Outcome.digests``) and the
outputs. It is used only when every one of those files still hashes the same, so an edit
anywhere (the section, a problem it points to, a template) renders again. Only successful
renders are kept, and only when what was read equals what the files hold before and
after the render: a file saved again during a render (two quick saves under ``watch``)
is not stored under the new contents' hash.

The folder may be shared (``SOLGEN_CACHE_DIR`` on a common disk), so the cache trusts
nothing in it: it is created ``0700``; a folder owned by another user is not used; an
entry is opened without following links and without waiting (a FIFO cannot hang it) and
used only if it is a regular file owned by this user, of a sane size, and well formed;
anything else is ignored and said on the ``solgen.cache`` logger (INFO, shown by ``-v``).
Writes go to a fresh temporary name created exclusively (``O_CREAT|O_EXCL|O_NOFOLLOW``,
mode ``0600``) and are renamed over the entry, so a planted link is never written through.

Entries are JSON (text outputs as text, PDFs as base64), never pickle: a cache folder is
data, not code. The folder is ``$SOLGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/solgen``, else
``~/.cache/solgen``; ``--no-cache`` turns it off; deleting the folder is always safe.

To add an option that changes outputs: put it in ``_options``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

from solgen.build.jobs import Outcome
from solgen.input import paths

FORMAT = 2  # of an entry; bump when it changes
MAX_ENTRY = 512 << 20  # bytes: a larger entry is not read
log = logging.getLogger("solgen.cache")


def cache_dir() -> Path:
    own = os.environ.get("SOLGEN_CACHE_DIR")
    if own:
        return Path(own)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "solgen"


MAX_HASHED = 64 * 1024 * 1024  # a larger file is keyed by its size and time, not read


def file_hash(path: str) -> str | None:
    """The content's SHA-256; None for what is not a regular file (a pipe or a device, which
    reading would hang or flood: a folder of templates may hold a link to /dev/zero)."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    if stat.S_ISREG(st.st_mode) and st.st_size > MAX_HASHED:
        return f"size:{st.st_size}:{st.st_mtime_ns}"
    try:
        return paths.read(path, None, MAX_HASHED).digest
    except (paths.PathError, ValueError):
        return None


def _tree_stamp(root: Path, suffixes: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """(name, size, mtime) of the files under ``root``: cheap, and changes with any edit."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        for name in sorted(filenames):
            if name.endswith(suffixes):
                st = os.stat(os.path.join(dirpath, name))
                out.append((os.path.relpath(os.path.join(dirpath, name), root), st.st_size, st.st_mtime_ns))
    return out


def _code_stamp() -> str:
    """solgen's version, as a fingerprint of its code and built-in templates: stronger
    than the version string (an edited checkout, a reinstall are new solgens), and cheap
    (importlib.metadata's lookup would cost more than a small render's cache check)."""
    here = Path(__file__).resolve().parent.parent  # the solgen package
    shipped = here / "templates"  # as formats.templates.builtin_templates finds them, without importing Jinja
    templates = shipped if (shipped / "tex").is_dir() else here.parent / "templates"
    data = [_tree_stamp(here, (".py",)), _tree_stamp(templates, (".j2", ".yaml"))]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def _templates_digest(templates: str | None) -> str | None:
    if not templates:
        return None
    h = hashlib.sha256()
    root = Path(templates)
    for path in paths.walk(root, suffixes=("",)).files:  # what the policy lets a render read, by content
        h.update(os.path.relpath(path, root).encode() + b"\0" + (paths.digest(path, root) or "").encode() + b"\0")
    return h.hexdigest()


def _private(root: Path) -> bool:
    """Make ``root`` (mode 0700) or check it: a folder of this user's, private. False (and
    said on the log) when it cannot be used."""
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(root)
    except OSError as exc:
        log.info("cache %s: cannot use it (%s)", root, exc.strerror)
        return False
    if not stat.S_ISDIR(st.st_mode):
        log.info("cache %s: not a folder; not used", root)
        return False
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        log.info("cache %s: owned by another user (uid %d); not used", root, st.st_uid)
        return False
    if stat.S_IMODE(st.st_mode) & 0o077:
        try:
            os.chmod(root, 0o700)
        except OSError:
            log.info("cache %s: others may write in it and it cannot be made private; not used", root)
            return False
    return True


def _read_entry(path: Path) -> Any:
    """The JSON of the entry at ``path``, or None (said on the log) when it is missing, not a
    regular file of this user's, too large, or not JSON."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.info("cache entry %s ignored: %s", path.name, exc.strerror)
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            log.info("cache entry %s ignored: not a regular file", path.name)
            return None
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            log.info("cache entry %s ignored: owned by another user (uid %d)", path.name, st.st_uid)
            return None
        if st.st_size > MAX_ENTRY:
            log.info("cache entry %s ignored: larger than %d MiB", path.name, MAX_ENTRY >> 20)
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            raw = fh.read(MAX_ENTRY + 1)
        return json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        log.info("cache entry %s ignored: malformed (%s)", path.name, type(exc).__name__)
        return None
    finally:
        os.close(fd)


def _outcome(path: str, entry: Any) -> Any:
    """The Outcome an entry holds; ValueError when it is not one solgen wrote."""
    try:
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            raise ValueError("another format")
        inputs, files = entry["inputs"], entry["files"]
        if not isinstance(inputs, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in inputs.items()):
            raise ValueError("inputs")
        if not isinstance(files, dict):
            raise ValueError("files")
        out: dict[str, str | bytes] = {}
        for name, v in files.items():
            if not isinstance(name, str) or not isinstance(v, dict):
                raise ValueError("files")
            data = base64.b64decode(v["b64"], validate=True) if "b64" in v else v["text"]
            if not isinstance(data, (str, bytes)):
                raise ValueError("files")
            out[name] = data
        warnings = tuple((int(w[0]), str(w[1])) for w in entry["warnings"])
        return Outcome(path, files=out, fallbacks=int(entry["fallbacks"]), id=str(entry["id"]),
                       id_line=int(entry["id_line"]), warnings=warnings, inputs=tuple(entry["order"]),
                       digests=dict(inputs), cached=True)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValueError(type(exc).__name__) from None


class Cache:
    """Lookups and stores for one run (the code and templates fingerprints taken once)."""

    def __init__(self, job: Any, root: Path | None = None):
        self.root = root or cache_dir()
        self.usable: bool | None = None  # checked on first use
        self.options = json.dumps({
            "format": FORMAT, "code": _code_stamp(), "formats": list(job.formats), "kinds": list(job.kinds),
            "lang": job.lang, "pdf": job.pdf, "templates": _templates_digest(job.templates),
            "variant": job.variant, "seed": job.seed,
            "body_only": getattr(job, "body_only", False),
            "epoch": os.environ.get("SOURCE_DATE_EPOCH"),
        }, sort_keys=True)

    def _ready(self) -> bool:
        if self.usable is None:
            self.usable = _private(self.root)
        return self.usable

    def _entry(self, path: str) -> Path:
        key = hashlib.sha256((self.options + "\0" + os.path.realpath(path)).encode()).hexdigest()
        return self.root / f"{key}.json"

    def get(self, path: str) -> Any:
        """The cached Outcome for ``path``, if every file it read is unchanged; else None."""
        if not self._ready():
            return None
        target = self._entry(path)
        entry = _read_entry(target)
        if entry is None:
            return None
        try:
            outcome = _outcome(path, entry)
        except ValueError as exc:
            log.info("cache entry %s ignored: malformed (%s)", target.name, exc)
            return None
        if any(file_hash(p) != h for p, h in outcome.digests.items()):
            return None
        return outcome

    def put(self, path: str, outcome: Any, before: str | None) -> None:
        """Keep ``outcome`` (a success) for ``path``; ``before`` is the file's hash when
        the render started. Not kept when a file the render read differs, now or when it
        started, from what the render read (``outcome.digests``)."""
        read = getattr(outcome, "digests", None) or {}
        if outcome.error is not None or before is None or not read:
            return
        if read.get(os.path.realpath(path)) != before:
            log.info("%s changed while it was rendered; not cached", path)
            return
        if any(file_hash(p) != h for p, h in read.items()):
            log.info("%s: a file it read changed during the render; not cached", path)
            return
        if not self._ready():
            return
        entry = {
            "format": FORMAT, "inputs": read, "order": list(outcome.inputs or (path,)), "fallbacks": outcome.fallbacks,
            "id": outcome.id, "id_line": outcome.id_line, "warnings": [list(w) for w in outcome.warnings],
            "files": {n: ({"b64": base64.b64encode(d).decode()} if isinstance(d, bytes) else {"text": d})
                      for n, d in outcome.files.items()},
        }
        target = self._entry(path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        tmp = None
        try:
            for _ in range(20):
                name = self.root / f".{target.stem}.{os.urandom(8).hex()}.tmp"
                try:
                    fd = os.open(name, flags, 0o600)
                except FileExistsError:
                    continue
                tmp = name
                break
            if tmp is None:
                return
            with os.fdopen(fd, "wb") as fh:
                fh.write(json.dumps(entry).encode("utf-8"))
            os.replace(tmp, target)
            tmp = None
        except OSError as exc:  # a cache that cannot be written is no cache, not an error
            log.info("cache %s: cannot write an entry (%s)", self.root, exc.strerror)
        finally:
            if tmp is not None:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
