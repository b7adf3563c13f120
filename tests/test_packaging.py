"""A non-editable install renders too: the wheel carries every built-in template and words catalog."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_wheel_ships_every_template(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("solgen-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "templates").rglob("*")
                       if p.is_file() and "__jinja__" not in p.parts)
    assert templates
    assert not [n for n in names if "__jinja__" in n]  # this checkout's compiled templates (make compiled) stay here
    for name in templates:
        assert f"solgen/{name}" in names
    assert "solgen/cli.py" in names and "solgen/derive/diff.py" in names
    assert "solgen/math/figure.py" in names and "solgen/asks/figure.py" in names  # ask: figure
    assert "solgen/formats/solgen.schema.json" in names  # the JSON contract, for graders
    assert "solgen/__main__.py" in names and "solgen/input/config.py" in names  # python -m solgen; solgen.toml
    assert any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names)
