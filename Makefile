# Yiyuan 艺苑 — two commands:
#   make run    set up and run the platform with demo data at http://127.0.0.1:8000
#   make test   set up and run the whole test suite (as CI does)
# For developers: make test-fast runs the tiers without a hub or a browser (see pytest.ini).

# Python 3.11, at least 3.11.2 (Debian 12's /usr/bin/python3.11); production needs one that every
# system user may execute (scripts/check-python.sh says so). VENV: e.g. .venv-production.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# JupyterLab reads these defaults at start-up: every single-user server opens in Chinese.
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/yiyuan.json
PYTEST_ARGS ?=
# one process by default (what CI runs). PARALLEL='-n auto --dist loadfile --no-loadscope-reorder'
# runs the suite on every core with pytest-xdist, each test module whole in one worker (its hub
# starts once), the costliest first (tests/conftest.py): not yet the default, see
# docs/developers.md, "Parallel runs"
PARALLEL ?=

.PHONY: run test test-fast setup setup-dev lint format system-packages test-system-packages clean

run: setup
	$(BIN)/yiyuan db upgrade
	$(BIN)/yiyuan demo seed
	$(BIN)/yiyuan courses publish --all --actor admin
	$(BIN)/yiyuan demo cohort
	@echo "艺苑已启动：http://127.0.0.1:8000 （Ctrl-C 停止）"
	$(BIN)/jupyterhub -f jupyterhub_config.py

test: setup-dev test-system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	scripts/start-postgres.sh
	YIYUAN_TEST_PG_URL="postgresql+psycopg:///postgres?host=/var/run/postgresql" \
		$(BIN)/python -m pytest $(PARALLEL) $(PYTEST_ARGS)

# the inner loop: no hub, no browser, no production venv, no kernels (unit and db tiers)
test-fast: setup-dev
	$(BIN)/lint-imports --no-logo
	scripts/start-postgres.sh
	YIYUAN_TEST_PG_URL="postgresql+psycopg:///postgres?host=/var/run/postgresql" \
		$(BIN)/python -m pytest $(PARALLEL) -m "not hub and not browser and not production and not kernel" $(PYTEST_ARGS)

setup: system-packages $(BIN)/.runtime-installed node_modules/.installed $(LAB_OVERRIDES)

setup-dev: setup $(BIN)/.dev-installed

system-packages:
	scripts/install-system-packages.sh runtime

test-system-packages:
	scripts/install-system-packages.sh test

# umask 022: learners' servers (their own system users, production) run this venv, whatever
# umask root has
$(BIN)/.runtime-installed: requirements.txt extensions/pyproject.toml
	scripts/check-python.sh "$(PYTHON)" "$(VENV)"
	umask 022 && (test -x $(BIN)/python || $(PYTHON) -m venv $(VENV))
	umask 022 && $(BIN)/pip install --quiet --upgrade pip
	umask 022 && $(BIN)/pip install --quiet -r requirements.txt
	umask 022 && $(BIN)/pip install --quiet --no-deps -e extensions
	touch $@

$(BIN)/.dev-installed: requirements-dev.txt $(BIN)/.runtime-installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

$(LAB_OVERRIDES): extensions/yiyuan/labsettings/yiyuan.json $(BIN)/.runtime-installed
	install -D -m 644 $< $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo

format: setup-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) node_modules data test-artifacts
