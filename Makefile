# diffae-repro. Both headline targets set everything up themselves on a fresh machine.
#   make reproduce   run the pipeline on the embedded default (params.yaml)
#   make test        run the whole test suite (unit tests + workflow checks + smoke end-to-end)
#   make test-cluster  the smoke preset through the SLURM profile on a one-node SLURM brought up here (root)
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(abspath $(VENV))/bin:$(PATH)
CORES ?= all
PYTEST_ARGS ?=

.PHONY: setup reproduce report test test-cluster test-fast lint touch dvc-record clean-outputs benchmark fetch-weights \
	wheelhouse

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

setup: $(STAMP)

reproduce: setup
	snakemake --cores $(CORES) --profile workflow/profiles/local
	snakemake --report reports/report.html

# One HTML page with every table (ours beside the paper's), figure with its caption, the claims and provenance.
report: setup
	snakemake --report reports/report.html

# Lint gates: ruff (pyflakes + complexity) on the package, tests and benchmarks; snakefmt and Snakemake's
# own linter on the workflow.
lint: setup
	$(PY) -m ruff check src tests benchmarks
	$(VENV)/bin/snakefmt --check workflow
	snakemake --lint

test: setup lint
	$(PY) -m pytest $(PYTEST_ARGS)

# A one-node SLURM on this machine (Debian packages; root), then the smoke preset end to end through
# `snakemake --profile workflow/profiles/slurm` and checks of where each job ran (tests/test_cluster.py).
test-cluster: setup
	$(PY) -m pip install --quiet -e '.[slurm]'
	bash workflow/cluster/slurm-single-node.sh up
	$(PY) -m pytest --cluster tests/test_cluster.py $(PYTEST_ARGS)

test-fast: setup
	$(PY) -m pytest -m "not slow" $(PYTEST_ARGS)

# After `dvc pull` / `dvc checkout` file mtimes are arbitrary: mark outputs up to date for Snakemake.
touch: setup
	snakemake --cores 1 --touch $(TARGETS)

# After a Snakemake run of params.yaml: record its outputs in dvc.lock (hashes only, nothing reruns).
dvc-record: setup
	dvc commit --force --quiet

benchmark: setup
	$(PY) benchmarks/throughput.py

# Wheels of benchmarks/gpu_node_requirements.txt for a GPU node without internet whose python has its own PyTorch
# (CPython $(NODE_PYTHON), manylinux x86-64), into $(WHEELHOUSE)/: benchmarks/gpu_check.sh installs them there.
NODE_PYTHON ?= 3.12
WHEELHOUSE ?= wheelhouse
wheelhouse: setup
	$(PY) -m pip download --quiet --no-deps --only-binary=:all: --python-version $(NODE_PYTHON) --implementation cp \
		$(foreach p,manylinux_2_28 manylinux_2_27 manylinux_2_24 manylinux_2_17 manylinux2014 manylinux1,--platform $(p)_x86_64) \
		-d $(WHEELHOUSE) -r benchmarks/gpu_node_requirements.txt

fetch-weights: setup
	diffae fetch-weights --dir $(or $(DIR),metric-weights)

clean-outputs:
	rm -rf data/raw data/prepared data/models data/latents data/eval reports/*.csv reports/*.md reports/*.json \
		reports/*.html reports/figures reports/diffae reports/diffsiam logs results
