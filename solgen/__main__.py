"""``python -m solgen``: the same command line as ``solgen``."""

from solgen.cli import main

if __name__ == "__main__":  # pragma: no cover - run as a module
    main(prog_name="solgen")
