# Entry points for users and CI. Every target sets up what it needs: a virtual environment in .venv
# and the collections in ./collections. Variables: PYTHON (interpreter for the venv), ARGS (extra
# ansible-playbook arguments, e.g. ARGS='-e lab_name=mylab').

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ARGS ?=
PLAYBOOK := $(BIN)/ansible-playbook
# ansible-lint and molecule start ansible-config, ansible-playbook and other Ansible commands by
# name, so they run with the venv first on PATH.
ON_VENV_PATH := PATH="$(abspath $(BIN)):$$PATH"

.PHONY: help setup site verify cleanup test lint unit integration molecule clean

help:
	@echo "make site      set up .venv and the collections, then run site.yml"
	@echo "make verify    run verify.yml (the data is still there)"
	@echo "make cleanup   run cleanup.yml (keeps the volume)"
	@echo "make test      lint, unit, Molecule and integration tests (needs a Docker engine or root)"
	@echo "make lint      ruff, yamllint and ansible-lint, offline"
	@echo "make molecule  site, idempotence, verify and cleanup of a mol-<random> lab"
	@echo "make clean     remove .venv and ./collections"

$(BIN)/activate: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(BIN)/activate tests/requirements.txt
	$(BIN)/pip install --quiet -r tests/requirements.txt
	touch $@

collections/.installed: $(BIN)/activate requirements.yml
	$(BIN)/python tools/install_collections.py
	touch $@

setup: $(BIN)/activate collections/.installed

site: setup
	$(PLAYBOOK) site.yml $(ARGS)

verify: setup
	$(PLAYBOOK) verify.yml $(ARGS)

cleanup: setup
	$(PLAYBOOK) cleanup.yml $(ARGS)

lint: setup $(VENV)/.dev-installed
	$(BIN)/ruff check app tests tools roles
	$(BIN)/ruff format --check app tests tools roles
	$(BIN)/yamllint --strict .
	$(ON_VENV_PATH) $(BIN)/ansible-lint --offline

unit: $(VENV)/.dev-installed
	$(BIN)/python -m pytest tests/unit -q

integration: setup $(VENV)/.dev-installed
	$(BIN)/python -m pytest tests/integration -q -n 2 --dist loadfile --durations=10

# Each run gets its own lab name, so two runs on one engine never touch each other's lab.
# --destroy=always removes the lab after a failed step too.
molecule: setup $(VENV)/.dev-installed
	$(ON_VENV_PATH) \
	  MOLECULE_LAB_NAME="mol-$$($(BIN)/python -c 'import uuid; print(uuid.uuid4().hex[:10])')" \
	  $(BIN)/molecule test --destroy=always

# Molecule runs before the integration tests because it is the shorter run of the two, so a broken
# site.yml, idempotence or verify.yml stops `make test` early.
test: lint unit molecule integration

clean:
	rm -rf $(VENV) collections
