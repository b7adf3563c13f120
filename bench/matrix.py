"""Benchmark (issue 11): deriving and rendering the ridge and logistic-regression examples
(vector variables, every step checked on random sizes) against the bare imports of
solgen's libraries, as a ratio measured side by side in one run, as a user runs it: each
file in its own time-limited worker, forked from a parent that has imported the engine once.

    python bench/matrix.py          # target: at most 1.5x the CPU time of the bare imports

Each side is a whole process (start-up included), run REPEATS times alternately; the
fastest CPU time of each is compared (bench/run.py's ``compare``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import PY, ROOT, SOLGEN, compare  # noqa: E402

LIBRARIES = "import sympy, jinja2, yaml, click, markdown_it, mdit_py_plugins, latex2mathml"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="solgen-bench-") as tmp:
        work = Path(tmp)
        problems = [str(ROOT / "problems" / name) for name in ("ridge.yaml", "logistic.yaml")]
        ok = compare(
            "solgen render problems/ridge.yaml problems/logistic.yaml --format tex  vs  the bare imports",
            SOLGEN + ["render", *problems, "--format", "tex", "--out", str(work / "out"), "--no-cache"],
            [PY, "-c", LIBRARIES],
            work, 1.5, 1.5,
        )
    print("all targets met" if ok else "some targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
