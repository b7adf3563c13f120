"""``python -m solgen``: the same command line as ``solgen``."""

from solgen.cli import run

if __name__ == "__main__":  # pragma: no cover - run as a module
    run(prog_name="solgen")
