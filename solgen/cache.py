"""The render cache: an unchanged input is not derived again.

An entry is found by a key made of solgen's version (a fingerprint of its own code and
built-in templates: every file's name, size and modification time), the options that change the outputs (formats, kinds, language, PDF,
the ``--templates`` folder's files by content) and the real path of the file rendered;
it holds the hashes of every file the render read (a section's problems and included
sections too) and the outputs. It is used only when every one of those files still
hashes the same, so an edit anywhere (the section, a problem it points to, a template)
renders again. Only successful renders are kept.

Entries are JSON (text outputs as text, PDFs as base64), never pickle: a cache folder is
data, not code. The folder is ``$SOLGEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/solgen``, else
``~/.cache/solgen``; ``--no-cache`` turns it off; deleting the folder is always safe.

To add an option that changes outputs: put it in ``_options``.
"""

from __future__ import annotations

import base64
import hashlib
import stat
import json
import os
from pathlib import Path
from typing import Any

FORMAT = 1  # of an entry; bump when it changes


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
        if not stat.S_ISREG(st.st_mode):
            return None
        if st.st_size > MAX_HASHED:
            return f"size:{st.st_size}:{st.st_mtime_ns}"
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except (OSError, ValueError):
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
    here = Path(__file__).resolve().parent
    shipped = here / "templates"  # as formats.templates.builtin_templates finds them, without importing Jinja
    templates = shipped if (shipped / "tex").is_dir() else here.parent / "templates"
    data = [_tree_stamp(here, (".py",)), _tree_stamp(templates, (".j2", ".yaml"))]
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def _templates_digest(templates: str | None) -> str | None:
    if not templates:
        return None
    h = hashlib.sha256()
    root = Path(templates)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            h.update(os.path.relpath(path, root).encode() + b"\0" + (file_hash(path) or "").encode() + b"\0")
    return h.hexdigest()


class Cache:
    """Lookups and stores for one run (the code and templates fingerprints taken once)."""

    def __init__(self, job: Any, root: Path | None = None):
        self.root = root or cache_dir()
        self.options = json.dumps({
            "format": FORMAT, "code": _code_stamp(), "formats": list(job.formats), "kinds": list(job.kinds),
            "lang": job.lang, "pdf": job.pdf, "templates": _templates_digest(job.templates),
            "body_only": getattr(job, "body_only", False),
            "epoch": os.environ.get("SOURCE_DATE_EPOCH"),
        }, sort_keys=True)

    def _entry(self, path: str) -> Path:
        key = hashlib.sha256((self.options + "\0" + os.path.realpath(path)).encode()).hexdigest()
        return self.root / key[:2] / f"{key}.json"

    def get(self, path: str) -> Any:
        """The cached Outcome for ``path``, if every file it read is unchanged; else None."""
        from solgen.pipeline import Outcome

        try:
            entry = json.loads(self._entry(path).read_text(encoding="utf-8"))
            if any(file_hash(p) != h for p, h in entry["inputs"].items()):
                return None
            files: dict[str, str | bytes] = {
                name: (base64.b64decode(v["b64"]) if "b64" in v else v["text"]) for name, v in entry["files"].items()
            }
            return Outcome(path, files=files, fallbacks=entry["fallbacks"], id=entry["id"], id_line=entry["id_line"],
                           warnings=tuple((w[0], w[1]) for w in entry["warnings"]), inputs=tuple(entry["inputs"]),
                           cached=True)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def put(self, path: str, outcome: Any, before: str | None) -> None:
        """Keep ``outcome`` (a success) for ``path``; ``before`` is the file's hash when
        the render started (an edit during it is not cached)."""
        if outcome.error is not None or before is None or file_hash(path) != before:
            return
        inputs = {os.path.realpath(p): file_hash(p) for p in (outcome.inputs or (path,))}
        inputs[os.path.realpath(path)] = before
        if any(h is None for h in inputs.values()):
            return
        entry = {
            "inputs": inputs, "fallbacks": outcome.fallbacks, "id": outcome.id, "id_line": outcome.id_line,
            "warnings": [list(w) for w in outcome.warnings],
            "files": {n: ({"b64": base64.b64encode(d).decode()} if isinstance(d, bytes) else {"text": d})
                      for n, d in outcome.files.items()},
        }
        target = self._entry(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(entry), encoding="utf-8")
            os.replace(tmp, target)
        except OSError:  # a cache that cannot be written is no cache, not an error
            pass
