# Two commands matter: `make run` and `make test`. Each installs what it needs into project venvs.
#   .venv        the app, the local API, tests and linters (any Python >= 3.11)
#   .venv-tools  aws-sam-cli and cfn-lint, apart because they pin their own boto3/pydantic; built with
#                Python 3.13 when one is found, so that `sam build` finds the python3.13 the runtime needs
#   .venv-checkov  checkov, apart for the same reason
#   .venv-sdk    the official ragflow-sdk client, unmodified (0.27.x needs Python 3.13), which
#                tests/e2e/test_ragflow_sdk.py runs against the local API
#   .venv-lambda what AWS's Powertools layer (the template's version of it) and the Lambda runtime provide,
#                for running sam build's output as deployed (needs Python 3.13; tools/powertools_layer.py)

SHELL := /bin/bash
PYTHON ?= python3
# A Python 3.13 (the Lambda runtime's): $(PYTHON313), python3.13 on the PATH, or pyenv's newest 3.13.x.
PY313 ?= $(or $(PYTHON313),$(shell for c in python3.13 $$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/3.13*/bin/python3.13 2>/dev/null | sort -r); do \
  "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { command -v "$$c"; break; }; done))
VENV := .venv
TOOLS := .venv-tools
CHECKOV := .venv-checkov
SDK := .venv-sdk
LAMBDA := .venv-lambda
BIN := $(VENV)/bin
PIP_QUIET := --quiet --disable-pip-version-check
PORT ?= 9380

.PHONY: run test lint fmt typecheck unit e2e e2e-built template-check sam-build invoke deploy openapi clean help

help: ## this list
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## /  make \1\t/' | expand -t 24

$(VENV)/.installed: requirements/app.txt requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) -r requirements/dev.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

$(TOOLS)/.installed: requirements/tools.txt
	@test -x $(TOOLS)/bin/python || $(if $(PY313),$(PY313),$(PYTHON)) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install $(PIP_QUIET) -r requirements/tools.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

# The pinned ragflow-sdk; if it cannot install on this interpreter (no Python 3.13), the newest one that can.
$(SDK)/.installed: requirements/sdk.txt
	@test -x $(SDK)/bin/python || $(if $(PY313),$(PY313),$(PYTHON)) -m venv $(SDK)
	@$(SDK)/bin/python -m pip install $(PIP_QUIET) -r requirements/sdk.txt 2> >(grep -v "is ignored: it is neither" >&2) \
	 || { echo "the pinned ragflow-sdk does not install on $$($(SDK)/bin/python --version): installing the newest that does"; \
	      $(SDK)/bin/python -m pip install $(PIP_QUIET) --upgrade ragflow-sdk 2> >(grep -v "is ignored: it is neither" >&2); }
	@echo "ragflow-sdk $$($(SDK)/bin/python -c 'import importlib.metadata as m; print(m.version("ragflow-sdk"))') on $$($(SDK)/bin/python --version)"
	@touch $@

$(CHECKOV)/.installed: requirements/checkov.txt
	@test -x $(CHECKOV)/bin/python || $(PYTHON) -m venv $(CHECKOV)
	$(CHECKOV)/bin/python -m pip install $(PIP_QUIET) -r requirements/checkov.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

run: $(VENV)/.installed ## the local API on an embedded DynamoDB (prints its URL and an API key; PORT=9380, ARGS="--reset" ...)
	$(BIN)/python -m tools.local_api --port $(PORT) $(ARGS)

test: lint typecheck unit e2e template-check e2e-built ## every check: lint, typecheck, unit, e2e, template-check, e2e-built

lint: $(VENV)/.installed ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.installed ## format and auto-fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(VENV)/.installed ## mypy --strict
	$(BIN)/mypy layers/shared tools tests
	for f in functions/*/app.py; do $(BIN)/mypy "$$f" || exit 1; done

# tests/ is organised by layer; each folder is a pytest marker (tests/conftest.py).
unit: $(VENV)/.installed ## pytest, all but end-to-end (unit, handlers, template, tooling): needs only .venv
	$(BIN)/python -m pytest -m "not e2e"

e2e: $(VENV)/.installed $(SDK)/.installed ## pytest end-to-end over HTTP against the local API, the official ragflow-sdk included
	$(BIN)/python -m pytest -m e2e

template-check: $(TOOLS)/.installed $(CHECKOV)/.installed ## cfn-lint, checkov, sam validate --lint, sam build
	$(TOOLS)/bin/cfn-lint template.yaml
	BC_SKIP_MAPPING=TRUE $(CHECKOV)/bin/checkov --quiet --compact --framework cloudformation -f template.yaml
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(TOOLS)/bin/sam validate --lint --region us-east-1
	@$(MAKE) --no-print-directory sam-build

openapi: $(VENV)/.installed ## regenerate openapi.json from the routes (a test fails while it is stale)
	$(BIN)/python -m tools.openapi

# sam build as a SAM user runs it, with nothing but the SAM CLI's own folder on the PATH (and the system's, for
# make): the layer's Makefile finds a Python 3.13 by itself (PYTHON313 is passed on), or builds without bytecode.
sam-build: $(TOOLS)/.installed ## sam build: .aws-sam/build (the layer with Python 3.13 bytecode when a 3.13 is found)
	env PATH="$(CURDIR)/$(TOOLS)/bin:/usr/bin:/bin" HOME="$(HOME)" PYTHON313="$(PY313)" SAM_CLI_TELEMETRY=0 \
	  $(TOOLS)/bin/sam build --region us-east-1
	@if [ -n "$(PY313)" ]; then ls .aws-sam/build/SharedLayer/python/dataset_core/__pycache__/*.cpython-313.pyc > /dev/null \
	  || { echo "sam build: the shared layer has no Python 3.13 bytecode"; exit 1; }; fi

$(LAMBDA)/.installed: $(VENV)/.installed requirements/app.txt tools/powertools_layer.py template.yaml
	$(BIN)/python -m tools.powertools_layer install --python "$(PY313)" $(LAMBDA)

# End-to-end tests that cover every function (every event through tools.invoke, over HTTP too; the README's
# curl and ragflow-sdk examples), once more against what sam deploy ships: .aws-sam/build on Python 3.13, with
# the packages of the template's Powertools layer version. About a minute.
E2E_BUILT := tests/e2e/test_invoke_events.py tests/e2e/test_readme.py
e2e-built: $(VENV)/.installed $(SDK)/.installed ## the end-to-end tests of every function against sam build's output (needs Python 3.13)
	@if [ -z "$(PY313)" ]; then echo "e2e-built skipped: no Python 3.13 on this machine (the Lambda runtime is python3.13)"; \
	 else $(MAKE) --no-print-directory sam-build $(LAMBDA)/.installed \
	   && LOCAL_API_FROM_BUILD=.aws-sam/build PYTHON313="$(PY313)" $(BIN)/python -m pytest -m e2e $(E2E_BUILT); fi

invoke: $(VENV)/.installed ## one function, one event, no Docker: make invoke FUNCTION=CreateDatasetFunction EVENT=events/create_dataset_restful.json
	@$(BIN)/python -m tools.invoke $(FUNCTION) $(if $(EVENT),-e $(EVENT)) $(ARGS)

# The first deploy asks (sam deploy --guided, starting from samconfig.toml's defaults) and keeps the answers in
# samconfig.local.toml, git-ignored: the committed samconfig.toml holds only safe defaults, never an account's
# data. Until a guided run has saved a region there, deploys ask; then they reuse the answers without asking.
deploy: sam-build ## sam deploy (guided until answered once; answers kept in samconfig.local.toml); ARGS="--parameter-overrides ..."
	@test -f samconfig.local.toml || cp samconfig.toml samconfig.local.toml
	@if grep -q '^region *=' samconfig.local.toml; then \
	  PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" $(TOOLS)/bin/sam deploy --config-file samconfig.local.toml $(ARGS); \
	 else \
	  PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" $(TOOLS)/bin/sam deploy --guided --config-file samconfig.local.toml $(ARGS); fi

clean: ## remove the venvs and all build output (not the local API's data in .local/)
	rm -rf $(VENV) $(TOOLS) $(SDK) $(CHECKOV) $(LAMBDA) .aws-sam .pytest_cache .mypy_cache .ruff_cache .hypothesis

.PHONY: apikey bench-local

apikey: $(VENV)/.installed ## the API-key CLI: make apikey ARGS="create --tenant acme --label ci"
	@$(BIN)/python -m tools.apikeys $(ARGS)

bench-local: $(VENV)/.bench-installed ## the local API's requests per second and p50/p99, 1 and 4 clients
	$(BIN)/python -m bench.run --only localapi

# Benchmarks (bench/REPORT.md): moto's server on top of the project venv, and a venv with only
# the app's requirements on Python 3.13 (the Lambda runtime) for the cold starts; without a 3.13, 3.11 only.
BENCH313 := bench/.venv313

.PHONY: bench bench-smoke

$(VENV)/.bench-installed: $(VENV)/.installed requirements/bench.txt
	$(BIN)/python -m pip install $(PIP_QUIET) -r requirements/bench.txt 2> >(grep -v "is ignored: it is neither" >&2)
	@touch $@

$(BENCH313)/.installed: requirements/app.txt
	@if [ -n "$(PY313)" ]; then \
	  test -x $(BENCH313)/bin/python || $(PY313) -m venv $(BENCH313); \
	  $(BENCH313)/bin/python -m pip install $(PIP_QUIET) -r requirements/app.txt 2> >(grep -v "is ignored: it is neither" >&2) \
	  && touch $@; \
	 else echo "no Python 3.13 here: cold starts are measured on the project venv's Python only"; fi

bench: $(VENV)/.bench-installed $(TOOLS)/.installed $(BENCH313)/.installed ## every benchmark (< 10 min): rewrites bench/REPORT.md
	$(BIN)/python -m bench.run

bench-smoke: $(VENV)/.bench-installed ## the benchmarks at tiny sizes (< 1 min), report under bench/.work/
	$(BIN)/python -m bench.run --smoke
