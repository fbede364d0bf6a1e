# Every target bootstraps its own .venv: a fresh machine needs only python3 (3.10+) and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lab bench lint clean browser-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m veo_magic.demo

test: $(STAMP)
	$(PY) -m ruff check veo_magic tests benchmarks
	$(PY) -m pytest -q -p no:cacheprovider

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)
	$(PY) -m benchmarks

lint: $(STAMP)
	$(PY) -m ruff check veo_magic tests benchmarks
	$(PY) -m ruff format --check veo_magic tests benchmarks

clean:
	rm -rf $(VENV) veo_outputs .pytest_cache
