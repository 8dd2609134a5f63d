# convdojo: `make lab` starts JupyterLab on the exercises, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Jupyter refuses to run as root (containers, CI) unless told to.
ALLOW_ROOT := $(if $(filter 0,$(shell PATH="$${PATH:-/usr/bin:/bin}" id -u)),--allow-root)

.PHONY: lab instructor test venv exercises check-sync bench pictures lock clean

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

test: $(STAMP)
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

# Regenerate the README's pictures (widget screenshot and GIF, feedback page).
pictures: $(STAMP)
	$(BIN)/python bench/bench_widget.py
	$(BIN)/python bench/screenshot_feedback.py
	$(BIN)/python bench/screenshot_selfcheck.py

# Re-pin every dependency after editing pyproject.toml.
lock:
	rm -rf /tmp/convdojo-lock && $(PYTHON) -m venv /tmp/convdojo-lock
	/tmp/convdojo-lock/bin/pip install -q 'torch==2.13.0' -e '.[test]'
	{ echo "# Pinned versions for make/CI installs (regenerate: make lock). torch stays on the local CPU wheel."; \
	  /tmp/convdojo-lock/bin/pip freeze --exclude-editable | grep -v '^convdojo' | sed 's/+cpu$$//'; } > constraints.txt

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
