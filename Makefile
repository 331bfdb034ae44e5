# reasonlab: `make test` and `make book` set themselves up on first use (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON3 ?= python3.11
VENV    := .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
VENDOR_STAMP := book/_static/vendor/VERSIONS.txt
SCALE   ?= laptop
FRESH   ?= 0
SEED    ?= 0
FRESH_FLAG := $(if $(filter 1 true yes True,$(FRESH)),--fresh,)

.PHONY: help setup test book html notebooks figures toc vendor clean lab lab-check

help:
	@echo "make test                        run the test suite (sets up .venv on first use)"
	@echo "make book                        execute every notebook (scale laptop, committed results) and build _build/html"
	@echo "make notebooks SCALE=smoke FRESH=1   execute every notebook at a scale into _build/notebooks/SCALE"
	@echo "SCALE=gpu make figures           re-execute the book's notebooks at a scale, recomputing (FRESH=1)"
	@echo "make html                        build the HTML from the executed notebooks already in book/chapters"
	@echo "make clean                       remove built HTML, executed notebooks and figure files"
	@echo "make lab                         open the chapter notebooks live in JupyterLab (widgets work there)"

# --- set-up: once, and again when the pins change -------------------------------------------------
$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON3) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q torch==2.13.0   # first and alone: a plain torch is a multi-GB CUDA build
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check -q -e .
	@touch $@

setup: $(STAMP)

# MathJax, RequireJS and the ipywidgets embed manager for the offline HTML (npm pack, cached).
$(VENDOR_STAMP): reasonlab/book.py | $(STAMP)
	$(PY) -m reasonlab.book vendor

vendor: $(VENDOR_STAMP)

# --- tests ---------------------------------------------------------------------------------------
test: $(STAMP)
	$(PY) -m pytest -q

# --- notebooks and book --------------------------------------------------------------------------
toc: $(STAMP)
	$(PY) -m reasonlab.book toc

notebooks: $(STAMP)
	$(PY) -m reasonlab.book execute --scale $(SCALE) $(FRESH_FLAG) --seed $(SEED) --out _build/notebooks/$(SCALE)

figures: $(STAMP)
	$(PY) -m reasonlab.book execute --scale $(SCALE) --fresh --seed $(SEED)

html: $(STAMP) $(VENDOR_STAMP) toc
	$(PY) -m reasonlab.book scoreboard --scale $(SCALE) --seed $(SEED)
	$(VENV)/bin/jupyter-book build . -W --keep-going
	$(PY) -m reasonlab.book check-offline _build/html

book: $(STAMP) $(VENDOR_STAMP) toc
	$(PY) -m reasonlab.book execute --scale $(SCALE) $(FRESH_FLAG) --seed $(SEED)
	$(MAKE) --no-print-directory html

clean:
	rm -rf _build book/chapters

# JupyterLab is not needed to build or test the book, so it is installed on first use of `make lab` only.
LAB_STAMP := $(VENV)/.lab-installed
$(LAB_STAMP): | $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -q jupyterlab==4.6.6
	@touch $@

lab: $(LAB_STAMP)
	$(VENV)/bin/jupyter-lab --notebook-dir=notebooks

# CI: a chapter opened live in JupyterLab, in headless Chromium; moving its widget must re-render its figure.
lab-check: $(LAB_STAMP)
	$(PY) .ci/live_widget_check.py exposure.ipynb
