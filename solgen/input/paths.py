"""The one path policy for every file solgen reads from a course folder.

Section includes, the problems they name, ``--templates`` overrides and words catalogs,
folder walks (``solgen render DIR``) and the folders ``solgen watch`` watches all go
through here, so they all keep the same promise:

- **One root per run.** What a course file may name lies inside one folder, fixed once:
  for a section, the top section's folder's parent (``course_root``), never moved by an
  included section; for a folder walk, the folder named on the command line; for
  templates, the ``--templates`` folder.
- **Links are resolved, then checked.** A path's links and ``..`` are resolved first
  (``os.path.realpath``); the resolved file must lie inside the root.
- **The file checked is the file read.** ``read`` opens the resolved path without
  following a last link (``O_NOFOLLOW``) and without waiting (``O_NONBLOCK``: a pipe
  cannot hang it), checks the opened descriptor (a regular file, within the size limit,
  and, on Linux, where ``/proc/self/fd`` says it really is), and reads from that
  descriptor. Its bytes' SHA-256 is returned with them, so the cache records what was
  read, not what a later look at the path finds.
- **Walks are iterative** (``walk``): no recursion limit to hit, unreadable folders are
  skipped with a warning, and a folder link is followed only when it leads to a folder
  inside the root not seen before.

To read a new kind of course file: call ``read(path, root)`` and turn ``PathError`` into
an error of the line that named it.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from solgen.math.record import record
from solgen.errors import SpecError, WordsError

_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_NOCTTY", 0)


class PathError(SpecError):
    """A path the policy refuses, or a file it cannot read; ``file`` is the path."""


@record
class Read:
    """The bytes of a file, where they were read from (links resolved), and their SHA-256."""

    data: bytes
    real: str
    digest: str


def course_root(section: str | Path) -> Path:
    """The course folder of a top section: its folder's parent, links resolved."""
    return Path(os.path.realpath(section)).parent.parent


def is_inside(real: str | Path, root: str | Path) -> bool:
    """Is the resolved path ``real`` the resolved ``root`` or under it?"""
    root = os.path.realpath(root)
    real = str(real)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def inside(path: str | Path, root: str | Path | None) -> str:
    """``path`` with its links and ``..`` resolved, refused (PathError) when it leads out
    of ``root`` (None: anywhere)."""
    real = os.path.realpath(path)
    if root is not None and not is_inside(real, root):
        raise PathError(f"leads outside {os.path.realpath(root)} (to {real}): links and '..' may not leave "
                        "the folder", file=str(path))
    return real


def _opened(fd: int) -> str | None:
    """Where the open file ``fd`` really is (Linux: /proc/self/fd), else None."""
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return None


def read(path: str | Path, root: str | Path | None = None, limit: int = 1 << 20, what: str = "file") -> Read:
    """The bytes of ``path``, after the policy's checks (see the module); PathError names
    ``path`` and says what is wrong: outside ``root``, not a regular file, larger than
    ``limit`` bytes, or unreadable."""
    real = inside(path, root)
    try:
        fd = os.open(real, _FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise PathError(f"{what} changed into a link while it was read", file=str(path)) from None
        raise PathError(f"cannot read: {exc.strerror}", file=str(path)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise PathError("not a regular file (a pipe, a device or a folder): nothing to read", file=str(path))
        where = _opened(fd)
        if where is not None and where != real and root is not None and not is_inside(where, root):
            raise PathError(f"leads outside {os.path.realpath(root)}", file=str(path))
        if st.st_size > limit:
            raise PathError(f"{what} is larger than {_size(limit)}", file=str(path))
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise PathError(f"{what} is larger than {_size(limit)}", file=str(path))
    except OSError as exc:
        raise PathError(f"cannot read: {exc.strerror}", file=str(path)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    return Read(data, where or real, hashlib.sha256(data).hexdigest())


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 and limit % (1 << 20) == 0 else f"{limit // 1024} KiB"


def digest(path: str | Path, root: str | Path | None = None, limit: int = 64 << 20) -> str | None:
    """The SHA-256 of what ``read`` would read now; None when it would refuse."""
    try:
        return read(path, root, limit).digest
    except PathError:
        return None


@dataclass
class Walk:
    """What a walk found: files and the folders it read (as paths under the folder named),
    what it could not read (warnings), and files that lead out of the root."""

    files: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def walk(top: str | Path, suffixes: tuple[str, ...] = (".yaml", ".yml"), skip: tuple[str, ...] = ()) -> Walk:
    """The files under the folder ``top`` whose names end in ``suffixes``, sorted within
    each folder, without recursion. Hidden folders, ``__*`` folders and those named in
    ``skip`` are left out; a folder link is followed only into a folder inside ``top``
    that was not read yet; a file link leading out of ``top`` is listed in ``outside``."""
    root = os.path.realpath(top)
    out = Walk()
    seen: set[tuple[int, int]] = set()  # (device, inode) of the folders read: a link back is read once
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            out.warnings.append(f"{folder}: warning: cannot read this folder ({exc.strerror}); skipped")
            continue
        out.folders.append(folder)
        subfolders = []
        for entry in entries:
            name = entry.name
            try:
                link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                continue
            if is_dir:
                if name.startswith((".", "__")) or name in skip:
                    continue
                if link and not is_inside(os.path.realpath(entry.path), root):
                    out.warnings.append(f"{entry.path}: warning: a link to a folder outside {root}; not followed")
                    continue
                subfolders.append(entry.path)
            elif name.endswith(suffixes) and not name.startswith("."):
                if link and not is_inside(os.path.realpath(entry.path), root):
                    out.outside.append(entry.path)
                out.files.append(entry.path)
        stack.extend(reversed(subfolders))
    out.files.sort()
    return out


def builtin_templates() -> Path:
    """The built-in templates: ``solgen/templates`` in an installed wheel, or the
    repository's ``templates/`` in a checkout (an editable install)."""
    here = Path(__file__).resolve().parent.parent  # the solgen package
    shipped = here / "templates"
    return shipped if (shipped / "tex").is_dir() else here.parent / "templates"


MAX_TEMPLATE_BYTES = 1 << 20


def read_course_file(path: Path, root: Path, what: str = "template") -> str:
    """The text of a template or catalog from a course's ``--templates`` folder, read by the
    path policy (``input/paths.py``): a regular file inside ``root`` once its links are
    resolved (a link to a private key, /proc/self/environ or /dev/zero is refused), at most
    MAX_TEMPLATE_BYTES, UTF-8."""
    try:
        got = read(path, root, MAX_TEMPLATE_BYTES, what)
    except PathError as exc:
        raise WordsError(str(exc), file=str(path)) from None
    try:
        return got.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = got.data.count(b"\n", 0, exc.start) + 1
        raise WordsError(f"{what} is not UTF-8 (save it as UTF-8)", line, str(path)) from None
