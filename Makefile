# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: demo test typecheck bench bench-course clean compiled

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Byte-compile solgen and its built-in templates (templates/__jinja__/), as an installer does:
# imports and renders stay fast even with PYTHONDONTWRITEBYTECODE. Only what changed is redone.
compiled: $(STAMP)
	@$(BIN)/python -m compileall -q solgen
	@$(BIN)/python -c "from solgen.formats.templates import precompile; precompile()"

$(TSTAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Create .venv, install solgen, render problems/1.2.yaml into out/ (and a PDF if pdflatex exists).
demo: compiled
	$(BIN)/solgen render problems/1.2.yaml --format tex --format md --format html --format json --out out
	@if command -v pdflatex >/dev/null 2>&1; then \
		$(BIN)/solgen render problems/1.2.yaml --pdf --out out; \
	else \
		echo "pdflatex not found: skipping out/1.2.pdf (install TeX Live to get it)"; \
	fi

# Install the test extras, type-check, and run the whole suite (on every core: pytest-xdist).
test: typecheck compiled
	$(BIN)/python -m pytest -q -n auto

# mypy --strict on solgen/present and solgen/formats (the settings are [tool.mypy] in pyproject.toml).
typecheck: $(TSTAMP)
	$(BIN)/python -m mypy --strict solgen/present solgen/formats

bench: compiled
	$(BIN)/python bench/run.py

# The course workflow: 40 problem files, --jobs 2 vs --jobs 1, the cached re-run.
bench-course: $(STAMP)
	$(BIN)/python bench/course.py

clean:
	rm -rf out build *.egg-info .mypy_cache templates/__jinja__
