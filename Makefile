# Set-up on a fresh machine (Python >= 3.10 with pip and venv):
#   make demo   train LeNet-5 on the embedded MNIST sample and draw its graph (the main job)
#   make test   run the test suite
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin

.PHONY: demo test venv graphviz bench clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# Graphviz's `dot` renders the graphs; installed with apt-get where we may, else a hint.
graphviz:
	@command -v dot >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; \
	  else echo "note: Graphviz 'dot' not found; graphs are written as DOT source only" \
	            "(Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz)"; fi; }

demo: venv graphviz
	$(BIN)/tinygrad-cnn train

test: venv graphviz
	$(BIN)/ruff check tinygrad_cnn tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -rs

bench: venv
	$(BIN)/python benchmarks/bench_ops.py
	$(BIN)/python benchmarks/bench_train.py

clean:
	rm -rf $(VENV) runs .pytest_cache
