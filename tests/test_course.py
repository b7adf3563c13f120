"""The course workflow (issue 13): a folder of problems and sections in one command,
--all, --jobs, the cache (an unchanged file is not derived again), progress, watch."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from solgen.cli import main

PROBLEM = 'id: "{id}"\ntitle: "P {id}"\nvariables: [x, y]\nfunctions:\n  f: "{f}"\nparts:\n  - {{id: a, ask: gradient, of: f}}\n  - {{id: b, ask: hessian, of: f}}\n'
SECTION = 'id: sec\ntitle: "Section"\nagenda: auto\nslides:\n  - {topic: "Gradients"}\n  - md: "# Vocab\\n`=grad(x^2*y, [x, y])`"\n  - {problem: ../problems/p1.yaml, parts: [a], show: questions}\n  - {problem: ../problems/p1.yaml, parts: [a], show: answers, title: Answers}\n'


@pytest.fixture(autouse=True)
def _steady_solgen(monkeypatch):
    """solgen's own fingerprint held still: colleagues editing solgen in this checkout
    while the tests run would otherwise (rightly) make every run a new solgen."""
    import solgen.build.cache

    monkeypatch.setattr(solgen.build.cache, "_code_stamp", lambda: "solgen under test")


def test_an_edit_to_solgen_is_a_new_solgen(tmp_path):
    from solgen.build.cache import _tree_stamp

    (tmp_path / "a.py").write_text("x = 1\n")
    before = _tree_stamp(tmp_path, (".py",))
    (tmp_path / "a.py").write_text("x = 22\n")
    assert _tree_stamp(tmp_path, (".py",)) != before


def course(root: Path, n: int = 3) -> Path:
    (root / "problems").mkdir(parents=True)
    (root / "sections").mkdir()
    for i in range(1, n + 1):
        (root / "problems" / f"p{i}.yaml").write_text(PROBLEM.format(id=f"p{i}", f=f"x^{i + 1}*y + exp(x*y)"))
    (root / "sections" / "s.yaml").write_text(SECTION)
    return root


def render(*args: str):
    res = CliRunner().invoke(main, ["render", *args])
    assert "Traceback" not in res.output, res.output
    return res


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_folder_renders_every_problem_and_section(tmp_path):
    root = course(tmp_path / "c")
    res = render(str(root), "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    assert names(tmp_path / "out") == ["p1.tex", "p2.tex", "p3.tex", "sec-slides.tex", "sec-worksheet.tex", "sec.tex"]
    assert "4 of 4 problem files rendered" in res.stdout


def test_all_writes_handout_worksheet_and_slides(tmp_path):
    root = course(tmp_path / "c", 1)
    res = render(str(root), "--all", "-f", "tex", "-f", "md", "--out", str(tmp_path / "out"))
    assert res.exit_code == 0, res.output
    expected = sorted(f"{stem}{kind}.{fmt}" for stem in ("p1", "sec") for kind in ("", "-worksheet", "-slides")
                      for fmt in ("tex", "md"))
    assert names(tmp_path / "out") == expected


def test_an_unchanged_file_is_not_derived_again(tmp_path, monkeypatch):
    root = course(tmp_path / "c")
    out = tmp_path / "out"
    first = render(str(root), "--out", str(out), "--jobs", "1")
    assert first.exit_code == 0 and "(unchanged)" not in first.stdout
    before = {p.name: p.read_text() for p in out.iterdir()}

    import solgen.pipeline as pipeline

    def derive_again(*args, **kwargs):
        raise AssertionError("derived again")

    monkeypatch.setattr(pipeline, "_work", derive_again)  # the forked workers would have it too
    again = render(str(root), "--out", str(out), "--jobs", "1")
    assert again.exit_code == 0, again.output
    assert again.stdout.count("(unchanged)") == 4
    assert {p.name: p.read_text() for p in out.iterdir()} == before
    (out / "p1.tex").write_text("edited by hand")
    (out / "sec.tex").unlink()
    third = render(str(root), "--out", str(out), "--jobs", "1")
    assert third.exit_code == 0 and third.stdout.count("(unchanged)") == 4
    assert {p.name: p.read_text() for p in out.iterdir()} == before  # made again, from the cache


def test_an_edit_renders_that_file_and_the_sections_that_use_it_again(tmp_path):
    root = course(tmp_path / "c")
    out = tmp_path / "out"
    assert render(str(root), "--out", str(out)).exit_code == 0
    p1 = root / "problems" / "p1.yaml"
    p1.write_text(p1.read_text().replace("exp(x*y)", "sin(x*y)"))
    res = render(str(root), "--out", str(out))
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    rebuilt = [ln.split(" -> ")[0] for ln in lines if " -> " in ln and "(unchanged)" not in ln]
    assert sorted(Path(r).name for r in rebuilt) == ["p1.yaml", "s.yaml"], lines
    assert r"\cos(x y)" in (out / "sec-slides.tex").read_text()


def test_another_templates_folder_or_option_is_another_cache_entry(tmp_path):
    from solgen.build.cache import Cache
    from solgen.pipeline import Job

    (tmp_path / "t" / "words").mkdir(parents=True)
    plain, md = Cache(Job(("tex",))), Cache(Job(("md",)))
    own = Cache(Job(("tex",), templates=str(tmp_path / "t")))
    assert len({plain._entry("x.yaml"), md._entry("x.yaml"), own._entry("x.yaml")}) == 3
    (tmp_path / "t" / "words" / "en.yaml").write_text("document: {}\n")
    assert Cache(Job(("tex",), templates=str(tmp_path / "t")))._entry("x.yaml") != own._entry("x.yaml")


def test_no_cache_derives_again(tmp_path):
    root = course(tmp_path / "c", 1)
    assert render(str(root), "--out", str(tmp_path / "out")).exit_code == 0
    res = render(str(root), "--out", str(tmp_path / "out"), "--no-cache")
    assert res.exit_code == 0 and "(unchanged)" not in res.stdout


def test_parallel_jobs_give_the_same_files_in_the_same_order(tmp_path):
    root = course(tmp_path / "c", 4)
    one = render(str(root), "--out", str(tmp_path / "o1"), "--jobs", "1", "--no-cache", "-f", "md")
    two = render(str(root), "--out", str(tmp_path / "o2"), "--jobs", "2", "--no-cache", "-f", "md")
    assert one.exit_code == two.exit_code == 0
    order = [ln.split(" -> ")[0] for ln in one.stdout.splitlines() if " -> " in ln]
    assert order == [ln.split(" -> ")[0] for ln in two.stdout.splitlines() if " -> " in ln] == sorted(order)
    for p in (tmp_path / "o1").iterdir():
        assert (tmp_path / "o2" / p.name).read_text() == p.read_text()


def test_a_bad_file_in_a_parallel_batch_fails_alone(tmp_path):
    root = course(tmp_path / "c", 3)
    (root / "problems" / "p2.yaml").write_text(PROBLEM.format(id="p2", f="x^2*(y"))
    res = render(str(root), "--out", str(tmp_path / "out"), "--jobs", "2")
    assert res.exit_code == 1
    assert res.stderr.splitlines()[0].startswith(f"{root / 'problems' / 'p2.yaml'}:5: error: in expression")
    assert "3 of 4 problem files rendered, 1 failed" in res.stdout
    assert "p2.tex" not in names(tmp_path / "out") and "p3.tex" in names(tmp_path / "out")


def test_no_progress_bar_when_not_a_terminal(tmp_path):
    res = render(str(course(tmp_path / "c")), "--out", str(tmp_path / "out"))
    assert res.exit_code == 0 and res.stderr == ""


def test_check_a_folder_with_a_section(tmp_path):
    root = course(tmp_path / "c", 1)
    res = CliRunner().invoke(main, ["check", str(root)])
    assert res.exit_code == 0, res.output
    assert sorted(res.stdout.split()) == sorted([f"{root / 'problems' / 'p1.yaml'}:", f"{root / 'sections' / 's.yaml'}:", "ok", "ok"])
    assert not (tmp_path / "out").exists()


def test_watch_says_what_changed_and_what_it_rebuilt(tmp_path, capsys):
    from solgen.cli import _job, run_batch, watch_step

    root = course(tmp_path / "c")
    out = tmp_path / "out"
    job = _job(("tex",), False, False, False, False, None, None, False)
    run_batch((str(root),), job, out, 20.0, 1, True)
    capsys.readouterr()
    p2 = root / "problems" / "p2.yaml"
    p2.write_text(p2.read_text().replace("exp", "sin"))
    watch_step((str(root),), {(2, str(p2))}, job, out, 20.0, 1)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("changed: ") and lines[0].endswith("p2.yaml"), lines
    assert len(lines) == 2 and lines[1].startswith(f"{root / 'problems' / 'p2.yaml'} -> "), lines


def test_watch_watches_the_course_folder_of_a_section(tmp_path):
    from solgen.cli import _watched

    root = course(tmp_path / "c")
    assert _watched((str(root / "sections" / "s.yaml"),), None) == [str(root)]
    assert _watched((str(root / "problems"), str(root / "problems" / "p1.yaml")), None) == [str(root / "problems")]


@pytest.mark.parametrize("jobs", ["0", "x"])
def test_jobs_must_be_a_positive_number(tmp_path, jobs):
    res = CliRunner().invoke(main, ["render", str(course(tmp_path / "c", 1)), "--jobs", jobs])
    assert res.exit_code == 2 and "--jobs" in res.output


def test_a_section_is_allowed_the_timeout_for_itself_and_each_file_it_names(tmp_path):
    from solgen.pipeline import allowance

    root = course(tmp_path / "c", 2)
    section = root / "sections" / "s.yaml"
    assert allowance(str(section), 20) == (40, "this section (20 s for it and for each of the 1 files it names)")
    assert allowance(str(root / "problems" / "p1.yaml"), 20) == (20, "a problem file")
    res = render(str(section), "--out", str(tmp_path / "out"), "--timeout", "0.01")
    assert res.exit_code == 1
    assert "took longer than the 0.02 s allowed for this section" in res.stderr, res.stderr
