# Copydesk. Needs only Python 3.11+ and make; everything else lands in .venv.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

export QT_QPA_PLATFORM ?= offscreen

.PHONY: run test bench lint venv clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install whenever pyproject.toml changes.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	QT_QPA_PLATFORM= $(VENV)/bin/copydesk

test: $(STAMP)
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) bench/run_all.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache tests/artifacts

# Desktop build (PyInstaller, packaging/README.md): dist/Copydesk/ and the Linux tarball.
# PyInstaller is a build tool, not a dependency: installed into .venv on demand.
.PHONY: package package-test

package: $(STAMP)
	$(PY) -m pip install --quiet 'pyinstaller>=6.10,<7'
	bash packaging/build.sh $(PY)

package-test: package
	bash packaging/package_test.sh $(PY)
