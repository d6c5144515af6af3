# nianbao — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test bench reliability lint serve clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade 'pip>=24'
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make demo [ARGS=--no-serve]: crawl the bundled sample portal, build data/archive.db, serve it
demo: $(STAMP)
	$(BIN)/nianbao demo $(ARGS)

## make test [PYTEST_ARGS=...]: ruff, mypy (configured in pyproject.toml), then the whole suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## make bench [QUICK=1]: benchmarks, ratios against references measured in the same run
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick,)

## make reliability: the hostile-input and fault suite, then docs/reliability.md from its own figures
reliability: $(STAMP)
	NIANBAO_RELIABILITY_OUT=build/reliability.jsonl $(BIN)/python -m pytest tests/reliability $(PYTEST_ARGS)
	$(BIN)/python tools/reliability_doc.py build/reliability.jsonl docs/reliability.md

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

serve: $(STAMP)
	$(BIN)/nianbao serve --db data/archive.db

clean:
	rm -rf data/ .pytest_cache .mypy_cache
