"""``--format tree``: every formula a reader sees, read back with SymPy alone from
``<id>.tree.json``, holds; a reader can parse (almost) all of them; each one's tex is what
the .tex prints (DESIGN.md, "The document tree")."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tree_check import check_tree

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "problems").glob("*.yaml")) + sorted((ROOT / "sections").glob("*.yaml"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tree")
    proc = subprocess.run([sys.executable, "-m", "solgen", "render", *map(str, FILES), "-f", "tree", "-f", "tex",
                           "--out", str(out), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (out / "outputs.txt").write_text(proc.stdout)  # "problems/1.2.yaml -> out/1.2.tree.json, out/1.2.tex"
    return out


def _tree_and_tex(out: Path, path: Path) -> tuple[dict, str]:
    for line in (out / "outputs.txt").read_text().splitlines():
        source, _, written = line.partition(" -> ")
        if Path(source).name == path.name and source.endswith(f"{path.parent.name}/{path.name}"):
            files = [Path(w.strip()) for w in written.split(",")]
            tree = next(f for f in files if f.name.endswith(".tree.json"))
            stem = tree.name[: -len(".tree.json")]
            tex = next(f for f in files if f.name == f"{stem}.tex")  # the handout (a section also writes its deck)
            return json.loads(tree.read_text()), tex.read_text()
    raise AssertionError(f"{path.name} was not rendered")


_REPORTS: dict[tuple[Path, Path], object] = {}


def _report(out: Path, path: Path):  # type: ignore[no-untyped-def]
    """check_tree of one document, read once for the per-file and the overall tests."""
    if (out, path) not in _REPORTS:
        _REPORTS[(out, path)] = check_tree(*_tree_and_tex(out, path))
    return _REPORTS[(out, path)]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_formula_holds_and_is_printed(rendered: Path, path: Path) -> None:
    report = _report(rendered, path)
    assert report.formulas > 0, "no formula in the tree"
    assert report.false == [], f"false formulas: {report.false[:3]}"
    assert report.missing_tex == [], f"formula tex not in the .tex: {report.missing_tex[:3]}"
    assert report.unformed == [], f"equations displayed without forms: {report.unformed[:3]}"
    # Sums over i of vectors (least squares written with sums) have no SymPy spelling: a
    # document may have a few sides no reader parses, the whole set at most 2% (below).
    assert report.unreadable_share <= 0.3, f"{len(report.unreadable)} unreadable of {report.formulas}: {report.unreadable[:5]}"


def test_at_most_two_percent_of_all_formulas_are_unreadable(rendered: Path) -> None:
    formulas = unreadable = 0
    for path in FILES:
        report = _report(rendered, path)
        formulas += report.formulas + len(report.unformed)
        unreadable += len(report.unreadable) + len(report.unformed)
    assert formulas > 300 and unreadable / formulas <= 0.02, (unreadable, formulas)


def test_tree_nodes_have_the_contract_shape(rendered: Path) -> None:
    tree = json.loads((rendered / "1.2.tree.json").read_text())
    assert tree["node"] == "document" and isinstance(tree["children"], list)
    formulas = [n for n in __import__("tree_check").nodes(tree) if n["node"] == "formula"]
    assert formulas
    for f in formulas:
        assert set(f) >= {"tex", "forms", "relations", "where", "shapes"}
        assert len(f["relations"]) == len(f["forms"]) - 1
