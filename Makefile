SHELL := /bin/bash
# Quick start: `make run` (the baseline market at 20k fans -> results/quickstart/) and `make test`.
# Both create .venv with a Python >= 3.12 found on this machine and install what they need.
VENV := .venv
PY := $(VENV)/bin/python
SCENARIO ?= scenarios/quickstart.toml

# First interpreter that is Python >= 3.12: $PYTHON, pythonX.Y on PATH, then pyenv's versions.
FIND_PYTHON = for p in $$PYTHON python3.14 python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo "$$p"; exit 0; }; \
	done; echo "error: no Python >= 3.12 found (set PYTHON=/path/to/python3.12)" >&2; exit 1

.PHONY: run test lint bench clean figures calibrate validate validate-quick validation-figures golden whatif dashboard dashboard-figure audit

$(VENV)/.created:
	@py=$$($(FIND_PYTHON)) && echo "using $$py" && "$$py" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

# Installing also compiles the numba kernels into their cache (about 10 s), so that no run
# pays it: the first quick start would take 7 s longer, and each test worker would compile.
$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PY) -m pip install --quiet -e .
	$(PY) -c 'from simulation.runner import compile_kernels; compile_kernels()'
	touch $@

$(VENV)/.installed-viz: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[viz]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/creator-sim run $(SCENARIO)

# Three workers on two cores: a third runs while another waits on a killed process, a
# browser or a Dask cluster (same CPU time, 11 min 53 s instead of 13 min 36 s, README).
# The ten slowest tests are listed at the end: the suite's budget is 10 minutes.
test: $(VENV)/.installed-dev
	$(PY) -m pytest -n 3 --dist worksteal -q --durations=10

# Known vulnerabilities with a fix available in the installed dependencies fail (pip-audit).
audit: $(VENV)/.installed-dev
	$(PY) .ci/audit.py

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check simulation tests benchmarks docs
	$(VENV)/bin/ruff format --check simulation tests benchmarks docs

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) results/*/ .pytest_cache

figures: $(VENV)/.installed
	$(VENV)/bin/creator-sim run scenarios/quickstart.toml --quiet
	cp results/quickstart/figures/{budget_share_by_tier,live_sales_share_by_tier,follower_ccdf,platform_shares}.png docs/figures/

# Calibration and validation. `calibrate` searches the baseline's parameters at 100k fans
# and reruns the best candidate at the full 750k on the same 3 seeds (two fidelities; about
# 80 min on 2 cores; rerun it to resume) -> results/calibration/baseline/ without
# rewriting scenarios/baseline.toml (--in-place would); `validate` checks the full
# baseline over 10 seeds, its counterfactuals and the theory limits -> results/validation/
# (9-15 h of runs at 750k fans, kept in the committed docs/validation/full_baseline.runs.jsonl:
# it reads the runs stored there for the current model, runs only the missing ones and
# appends them, so rerun it to resume); `validate-quick` does the same at 20k fans (~15 min);
# `golden` refreshes the regression test's reference after an intended model change.
calibrate: $(VENV)/.installed
	$(VENV)/bin/creator-sim calibrate scenarios/baseline.toml --population 100000:5000 \
		--confirm 1 --seeds 3 --trials 14

validate: $(VENV)/.installed
	$(VENV)/bin/creator-sim validate --runs docs/validation/full_baseline.runs.jsonl
	$(MAKE) VALIDATION=results/validation validation-figures

validate-quick: $(VENV)/.installed
	$(VENV)/bin/creator-sim validate --baseline scenarios/quickstart.toml --out results/validation-quickstart
	$(MAKE) VALIDATION=results/validation-quickstart validation-figures

# The README's validation figures, from the last validation run (VALIDATION).
validation-figures:
	for f in targets bass bass_1 follower_ccdf_fit concentration_by_algorithm attachment_with_churn; do \
		cp $(VALIDATION)/figures/$$f.png docs/figures/validation_$$f.png; done
	mv docs/figures/validation_bass_1.png docs/figures/validation_bass_alt.png
	mv docs/figures/validation_concentration_by_algorithm.png docs/figures/validation_concentration.png

golden: $(VENV)/.installed
	$(VENV)/bin/creator-sim validate --baseline scenarios/quickstart.toml --only baseline \
		--out results/validation-quickstart --golden tests/data/golden_baseline.json

# The README's what-if catalogue: every scenario of scenarios/whatif/ against the quick
# start's market, 5 seeds each (~20 min on 2 cores; finished runs are reused).
whatif: $(VENV)/.installed
	$(VENV)/bin/creator-sim compare scenarios/quickstart.toml scenarios/whatif/*.toml \
		--replicates 5 --workers 2 --name whatif

# The classroom dashboard on http://127.0.0.1:8765/ (installs the viz extra first).
dashboard: $(VENV)/.installed-viz
	$(VENV)/bin/creator-sim dashboard

# The README's dashboard figure: the first lesson after 80 days, screenshot in headless Chromium.
dashboard-figure: $(VENV)/.installed-viz $(VENV)/.installed-dev
	$(PY) docs/dashboard_figure.py
