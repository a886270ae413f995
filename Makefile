# Two entry points for a user: `make demo` and `make test`. Each creates or updates .venv itself.
# For development (docs/developing.rst): `make lint`, `make format`, `make docs`, `make fuzz`,
# `make bench`, `make venv` (the environment alone) and `make clean`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.skbucket-installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test fuzz lint format docs bench venv clean

venv: $(STAMP)

$(STAMP): pyproject.toml tools/requirements.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip "setuptools>=77"
	$(PY) tools/requirements.py dev > $(VENV)/requirements.txt
	$(PY) -m pip install -q -r $(VENV)/requirements.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/skbucket demo

# Two xdist workers on a 2-core machine: one BLAS/torch thread each, or they thrash.
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	SKBUCKET_HYPOTHESIS_PROFILE=ci OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(PY) -m pytest -n 2 --dist loadfile

# The property tests (Hypothesis) ten times over, each run drawing new examples: a search
# for rare inputs, not part of `make test`, whose draws are the same every run.
fuzz: $(STAMP)
	for i in 1 2 3 4 5 6 7 8 9 10; do \
		OMP_NUM_THREADS=1 $(PY) -m pytest -q -p no:cacheprovider -m hypothesis tests || exit 1; \
	done

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

# A fix of `ruff check --fix` may leave a line that `ruff format` would wrap: the fixes first.
format: $(STAMP)
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

# The API pages are generated afresh: a page left from a renamed function failed the build.
docs: $(STAMP)
	rm -rf docs/generated
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build docs/auto_examples docs/generated \
		docs/gen_modules docs/sg_execution_times.rst
