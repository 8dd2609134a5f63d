# convdojo: `make lab` starts JupyterLab on the exercises, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Jupyter refuses to run as root (containers, CI) unless told to.
ALLOW_ROOT := $(if $(filter 0,$(shell PATH="$${PATH:-/usr/bin:/bin}" id -u)),--allow-root)

.PHONY: lab instructor test venv system-deps exercises check-sync bench pictures lock clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
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

# Debian packages the grader's sandbox and the browser tests need. Installed when this
# user can (root, or passwordless sudo); otherwise those tests skip and name the command.
# NO_SYSTEM_DEPS=1 skips this step (to try the suite as a machine without them sees it).
SYSTEM_PACKAGES := bwrap:bubblewrap chromium:chromium
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
