# convdojo: `make lab` starts JupyterLab on the exercises, `make test` runs every test.
PYTHON ?= python3
# A service or `nohup make lab` may start make with no PATH at all (recipes run touch, sh).
export PATH := $(or $(PATH),/usr/local/bin:/usr/bin:/bin)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Jupyter refuses to run as root (containers, CI) unless told to.
ALLOW_ROOT := $(if $(filter 0,$(shell PATH="$${PATH:-/usr/bin:/bin}" id -u)),--allow-root)

.PHONY: lab instructor test venv system-deps exercises check-sync bench pictures lock clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	@# The package's bytecode, once: Python reads it even where PYTHONDONTWRITEBYTECODE keeps
	@# it from writing any, so the grader does not compile ~100 modules at every start.
	$(BIN)/python -m compileall -q src
	touch $(STAMP)

venv: $(STAMP)

# LAB_ARGS passes extra options, e.g. make lab LAB_ARGS="--no-browser --port=8890"
# The student's lab (jupyter-config/student): the kit's root, opened on exercises/, convdojo's
# Validate button, no nbgrader instructor or exchange tools; terminals find `convdojo`.
LAB_PATH := PATH="$(abspath $(BIN)):$${PATH:-/usr/local/bin:/usr/bin:/bin}"
lab: $(STAMP)
	$(LAB_PATH) JUPYTER_CONFIG_PATH="$(abspath jupyter-config/student)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" $(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) $(LAB_ARGS)

# The instructor's lab (jupyter-config/instructor): Formgrader for the course in autograder/.
instructor: $(STAMP)
	cd autograder && $(LAB_PATH) JUPYTER_CONFIG_PATH="$(abspath jupyter-config/instructor)$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" $(abspath $(BIN))/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT) $(LAB_ARGS)

# Debian packages the grader's sandbox, the browser tests and the hub test (npm, for
# configurable-http-proxy) need. Installed when this
# user can (root, or passwordless sudo); otherwise those tests skip and name the command.
# NO_SYSTEM_DEPS=1 skips this step (to try the suite as a machine without them sees it).
SYSTEM_PACKAGES := bwrap:bubblewrap chromium:chromium npm:npm
system-deps:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -z "$$missing" ] || [ -n "$(NO_SYSTEM_DEPS)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	else echo "note: cannot install$$missing here (not root, no passwordless sudo);" \
	  "their tests will skip. Install with: sudo apt-get install$$missing"; exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "note: no apt-get here; install$$missing yourself, or their tests will skip"; exit 0; fi; \
	echo "installing$$missing (Debian packages)"; \
	{ $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  $$sudo apt-get install -y -qq $$missing >/dev/null; } || \
	  echo "note: installing$$missing failed; their tests will skip"

test: $(STAMP) system-deps
	$(BIN)/python -m ruff check src tests && $(BIN)/python -m mypy
	$(BIN)/python -m pytest

# Regenerate exercises/ from solutions/ (nbgrader generate_assignment), outputs stripped.
exercises: $(STAMP)
	$(BIN)/convdojo release

check-sync: $(STAMP)
	$(BIN)/convdojo release --check

# Medians and ratios against the reference tools, measured in the same run.
bench: $(STAMP)
	$(BIN)/python bench/bench_check.py
	$(BIN)/python bench/bench_widget.py --no-docs
	$(BIN)/python bench/bench_grade.py
	$(BIN)/python bench/bench_dask.py
	$(BIN)/python bench/bench_validate.py
	$(BIN)/python bench/bench_report.py

# Regenerate the README's pictures (widget screenshot and GIF, feedback page, class report).
pictures: $(STAMP)
	$(BIN)/python bench/bench_widget.py
	$(BIN)/python bench/screenshot_feedback.py
	$(BIN)/python bench/screenshot_selfcheck.py
	$(BIN)/python bench/screenshot_report.py

# Re-pin every dependency after editing pyproject.toml.
lock:
	rm -rf /tmp/convdojo-lock && $(PYTHON) -m venv /tmp/convdojo-lock
	/tmp/convdojo-lock/bin/pip install -q 'torch==2.13.0' -e '.[test]'
	{ echo "# Pinned versions for make/CI installs (regenerate: make lock). torch stays on the local CPU wheel."; \
	  /tmp/convdojo-lock/bin/pip freeze --exclude-editable | grep -v '^convdojo' | sed 's/+cpu$$//'; } > constraints.txt

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache

# --- A course in a box: JupyterHub + nbgrader's exchange (deploy/; README, "A course on JupyterHub") ------------
# Every course account runs the hub's Python, so it lives in deploy/.venv, built from
# Debian's python3 (the kit's .venv may use an interpreter only root can reach, as pyenv's).
# configurable-http-proxy comes from npm into deploy/node_modules (package-lock.json).
# make hub HUB_ARGS="--port 8000 --students cd-alice,cd-bob"; as root; make hub-stop undoes it.
HUB_PYTHON ?= /usr/bin/python3
HUB_VENV := deploy/.venv
HUB_STAMP := $(HUB_VENV)/.installed
HUB_PROXY := deploy/node_modules/.bin/configurable-http-proxy
HUB_STATE ?= /srv/convdojo-hub
HUB_ARGS ?=

.PHONY: hub hub-stop hub-env

# The exact pins of constraints.txt, no resolver (so torch stays the CPU wheel), with the
# replacements Debian's Python needs; pip check proves the set is consistent.
$(HUB_STAMP): pyproject.toml constraints.txt deploy/pins-python-3.11.2.txt
	test -x $(HUB_VENV)/bin/python || $(HUB_PYTHON) -m venv $(HUB_VENV)
	awk -F'==' 'NR==FNR { if (!/^#/) { o[tolower($$1)] = 1; print }; next } \
	  !/^#/ && !(tolower($$1) in o)' deploy/pins-python-3.11.2.txt constraints.txt > $(HUB_VENV)/pins.txt
	$(HUB_VENV)/bin/python -m pip install -q --no-deps -r $(HUB_VENV)/pins.txt
	$(HUB_VENV)/bin/python -m pip install -q --no-deps -e .
	$(HUB_VENV)/bin/python -m pip check
	touch $(HUB_STAMP)

$(HUB_PROXY): deploy/package.json deploy/package-lock.json
	npm ci --prefix deploy --no-audit --no-fund
	touch $(HUB_PROXY)

hub-env: $(HUB_STAMP) $(HUB_PROXY)

hub: hub-env
	$(HUB_VENV)/bin/python deploy/hub.py start --state $(HUB_STATE) $(HUB_ARGS)

hub-stop:
	$(HUB_PYTHON) deploy/hub.py stop --state $(HUB_STATE)
