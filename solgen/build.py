"""Write outputs: atomic files in the output folder, and PDFs through pdflatex.

Every file is written to a temporary name in the target folder and renamed into place,
so an interrupted run never leaves a half-written file. PDFs are built in a fresh
temporary folder (never reading a latexmkrc or anything else beside the problem file),
with shell escape off, and only a finished PDF is moved into the output folder.

To add a writer: produce text, then call ``write_atomic``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

PDFLATEX_ARGS = ("-no-shell-escape", "-halt-on-error", "-interaction=nonstopmode", "-file-line-error")
PDF_TIMEOUT = 120


class BuildError(RuntimeError):
    """An output could not be written or compiled; ``line`` is a line of the .tex, if known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def safe_target(out_dir: Path, name: str) -> Path:
    """``out_dir/name``, refusing any name that would leave ``out_dir``."""
    if "/" in name or "\\" in name or name.startswith((".", "-")) or not name:
        raise BuildError(f"refusing to write {name!r}: not a plain file name")
    target = (out_dir / name).resolve()
    if target.parent != out_dir.resolve():
        raise BuildError(f"refusing to write {name!r} outside {out_dir}")
    return target


def write_atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def pdflatex() -> str | None:
    return shutil.which("pdflatex")


@dataclass(frozen=True)
class PdfResult:
    pdf: bytes
    log: str


def compile_pdf(tex: str, name: str = "doc", runs: int = 2, timeout: int = PDF_TIMEOUT) -> PdfResult:
    """Compile ``tex`` with pdflatex in a private temporary folder; return the PDF bytes.

    Raises BuildError with the first TeX error and its .tex line on failure.
    """
    exe = pdflatex()
    if exe is None:
        raise BuildError("pdflatex is not on the PATH (install TeX Live, e.g. texlive-latex-extra)")
    with tempfile.TemporaryDirectory(prefix="solgen-tex-") as work:
        src = Path(work) / f"{name}.tex"
        src.write_text(tex, encoding="utf-8")
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": work,
            "TEXMFOUTPUT": work,
            "openout_any": "p",
            "openin_any": "p",
            "shell_escape": "f",
        }
        for _ in range(runs):
            try:
                proc = subprocess.run(
                    [exe, *PDFLATEX_ARGS, src.name],
                    cwd=work, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                )
            except subprocess.TimeoutExpired:
                raise BuildError(f"pdflatex took longer than {timeout} s") from None
            log = proc.stdout.decode("utf-8", "replace")
            if proc.returncode != 0:
                raise _tex_error(log, src.name)
        return PdfResult((Path(work) / f"{name}.pdf").read_bytes(), log)


def _tex_error(log: str, filename: str) -> BuildError:
    m = re.search(rf"^\./{re.escape(filename)}:(\d+): (.*)$", log, flags=re.M)
    if m:
        return BuildError(f"LaTeX error: {m.group(2).strip()}", int(m.group(1)))
    m = re.search(r"^! (.*)$", log, flags=re.M)
    return BuildError(f"LaTeX error: {m.group(1).strip() if m else 'see the pdflatex log'}")
