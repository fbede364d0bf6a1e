# Every target bootstraps its own .venv: a fresh machine needs only python3 (3.10+) and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

DEPS   := .deps
PRISM  := $(DEPS)/prism/node_modules/.bin/prism
# LiteLLM's proxy in an environment of its own (its pins must not touch .venv): the newest that
# installs from the registry here. prisma only makes bad-key answers a 401 instead of a bare 500.
LITELLM := $(DEPS)/litellm/bin/litellm
LITELLM_PINS := 'litellm[proxy]==1.108.7' 'prisma==0.15.0'
# google-genai 3.x for the Interactions API conformance tests, apart from .venv (whose dev extra
# pins google-genai<3 for the gemini protocol's generate_videos): the newest that installs.
GENAI3 := $(DEPS)/genai3/bin/python
GENAI3_PINS := 'google-genai>=3.1'

.PHONY: demo test test-fast lab bench lint clean test-deps deps-chromium deps-prism deps-litellm deps-genai3

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m veo_magic.cli.demo

# Test-only tools from the registries: Debian's chromium (Playwright drives it; its own browser
# download cannot work here), Stoplight Prism from npm, LiteLLM's proxy from PyPI (about a
# minute and 760 MB, once), google-genai 3.x from PyPI. Skipped, with a note, where they cannot
# be installed (no root, no apt, no registry); the tests that need them then skip and say why.
# Each is a target of its own, so `make test` installs them side by side (-j) with .venv.
test-deps: deps-chromium deps-prism deps-litellm deps-genai3

deps-chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "note: could not install chromium; browser tests will skip"; \
	  else echo "note: chromium missing and not root; browser tests will skip"; fi; }

deps-prism:
	@test -x $(PRISM) || { command -v npm >/dev/null 2>&1 && \
	  npm install --silent --no-audit --no-fund --prefix $(DEPS)/prism @stoplight/prism-cli@5 >/dev/null \
	  || echo "note: could not install Prism; its conformance tests will skip"; }

deps-litellm:
	@test -x $(LITELLM) || { ($(PYTHON) -m venv $(DEPS)/litellm && \
	  $(DEPS)/litellm/bin/python -m pip install --quiet $(LITELLM_PINS) >/dev/null 2>&1) \
	  || { rm -rf $(DEPS)/litellm; echo "note: could not install LiteLLM; the gateway tests will skip"; }; }

deps-genai3:
	@test -f $(DEPS)/genai3/.installed || { ($(PYTHON) -m venv $(DEPS)/genai3 && \
	  $(GENAI3) -m pip install --quiet $(GENAI3_PINS) >/dev/null 2>&1 && touch $(DEPS)/genai3/.installed) \
	  || { rm -rf $(DEPS)/genai3; echo "note: could not install google-genai 3.x; its Interactions tests will skip"; }; }

# Across the machine's cores and beyond: most tests wait on a loopback relay, a kernel or a
# browser, so four workers on two cores keep `make test` within minutes (pytest-xdist; six
# were no faster: 460 s against 450 s, run one after another). Work stealing: a worker that
# runs out takes tests from another's queue, so the run does not end on one slow block (409 s).
XDIST ?= -n 4 --dist worksteal

test:
	@$(MAKE) --no-print-directory -j5 $(STAMP) test-deps
	@$(MAKE) --no-print-directory lint
	$(PY) -m pytest -q -p no:cacheprovider $(XDIST)

# The quick loop while developing: no browser, no kernel, no Prism, no gateway.
test-fast: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider $(XDIST) -m "not browser and not kernel and not prism and not gateway"

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

bench: $(STAMP)
	$(PY) -m benchmarks

# Style, then the architecture: the import contract (pyproject's [tool.importlinter], drawn in
# docs/architecture.md) and the dependency list (deptry).
lint: $(STAMP)
	$(PY) -m ruff check veo_magic tests benchmarks
	$(PY) -m ruff format --check veo_magic tests benchmarks
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/deptry veo_magic

clean:
	rm -rf $(VENV) $(DEPS) veo_outputs .pytest_cache
