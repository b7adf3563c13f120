"""Benchmark: what a figure adds to a render, measured side by side in one run.

    python bench/figures.py

`solgen render` of problems/1.2.yaml with its two figure parts ((g): contours, gradient,
directions, tangent; (h): the gradient field) against the same file without them, in
LaTeX, Markdown and HTML (handout, worksheet and slides, so each figure is drawn in every
mode and its SVGs are written), REPEATS times alternately; the fastest CPU time of each
(the process and its worker) is compared. Target (issue 12): the figures add at most 1 s
on this machine's two cores. The ratio is printed too. A third line checks that a file
without figures never imports numpy or contourpy (plain renders stay as fast as before).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import ROOT, measure  # noqa: E402 - the same measurement as bench/run.py

PY = sys.executable
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
TARGET_SECONDS = 1.0


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="solgen-bench-fig-") as tmp:
        tmp_path = Path(tmp)
        with_figures = ROOT / "problems" / "1.2.yaml"
        data = yaml.safe_load(with_figures.read_text(encoding="utf-8"))
        figures = [p for p in data["parts"] if p["ask"] == "figure"]
        data["parts"] = [p for p in data["parts"] if p["ask"] != "figure"]
        without = tmp_path / "1.2.yaml"
        without.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
        args = ["-m", "solgen.cli", "render", "--no-cache", "-f", "tex", "-f", "md", "-f", "html", "--all"]
        ours = [PY, *args, str(with_figures), "-o", str(tmp_path / "a")]
        bare = [PY, *args, str(without), "-o", str(tmp_path / "b")]
        runs: dict[str, list[tuple[float, float, int]]] = {"ours": [], "bare": []}
        for _ in range(REPEATS):
            runs["ours"].append(measure(ours, ROOT))
            runs["bare"].append(measure(bare, ROOT))
        co, cb = (min(r[1] for r in rs) for rs in (runs["ours"], runs["bare"]))
        wo, wb = (min(r[0] for r in rs) for rs in (runs["ours"], runs["bare"]))
        added = co - cb
        ok = added <= TARGET_SECONDS
        print(f"(c) render of 1.2 with its {len(figures)} figures against the same file without them (tex, md, html; --all)")
        print(f"  time   with {co:6.2f} s   without {cb:6.2f} s   ratio {co / cb:4.2f}x   added {added:5.2f} s "
              f"(target <= {TARGET_SECONDS:g} s; CPU time)")
        print(f"  wall   with {wo:6.2f} s   without {wb:6.2f} s   ratio {wo / wb:4.2f}x   added {wo - wb:5.2f} s")
        probe = ("import sys\nfrom solgen.pipeline import Job, _work\n"
                 f"out = _work({str(without)!r}, Job(formats=('tex', 'md', 'html', 'json')))\n"
                 "assert out.error is None, out.error\n"
                 "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'contourpy', 'matplotlib'})))\n")
        loaded = subprocess.run([PY, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        plain_ok = loaded == ""
        print(f"  a file without figures imports numpy/contourpy: {'no' if plain_ok else 'YES: ' + loaded}")
        print("ok" if ok and plain_ok else "FAILED")
        return 0 if ok and plain_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
