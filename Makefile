# The two commands a fresh machine needs (see README.md):
#   make book   build the site into _build/html (creates .venv from constraints.txt first)
#   make test   run the whole test suite (builds the book first: the browser test reads the built site)
# Other targets: make exercises (regenerate student notebooks), make student (the student's bundle,
# build/student.zip, which the chapter pages link to), make bench, make clean.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# nbgrader runs `alembic`, and jupyter-book runs kernels: the venv's bin must come first on PATH
RUN    := PATH="$(abspath $(BIN)):$$PATH" MPLBACKEND=Agg PYTHONHASHSEED=0
MATHJAX := build/mathjax/tex-chtml.js

.PHONY: venv book test exercises student bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	$(BIN)/python -m pip check
	touch $@

# MathJax 3 from the npm registry, served by the site itself (the book must read offline).
# It lives outside _static/ because Jupyter Book injects every .js under _static/ into every page.
$(MATHJAX):
	rm -rf build/mathjax build/npm && mkdir -p build/npm build/mathjax
	cd build/npm && npm pack --silent mathjax@3 >/dev/null && tar xzf mathjax-*.tgz
	cp -r build/npm/package/es5/. build/mathjax/
	test -f $@

book: $(STAMP) $(MATHJAX) student
	$(RUN) $(BIN)/jupyter-book build -W -n --keep-going .

test: book
	$(RUN) $(BIN)/python -m pytest

exercises: $(STAMP)
	$(RUN) $(BIN)/python -m autograder.generate

# What a student downloads: the notebooks and the rnncheck checker, no solution, reference or hidden case
ASSIGNMENTS := 01_feedforward 02_rnn 03_bptt 04_gradients 05_lstm 06_gru 07_applications 08_attention \
	09_transformers 10_linear_rnns
student: $(STAMP)
	rm -rf build/student build/student.zip
	$(RUN) $(BIN)/python -m autograder release $(ASSIGNMENTS) --out build/student --zip build/student.zip

bench: $(STAMP)
	$(RUN) $(BIN)/python bench/run_all.py

clean:
	rm -rf _build build
