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

# Mutation testing, run by hand (not in CI: minutes, see docs/testing.md). mutmut 3 copies the package
# into mutants/, mutates the core listed under [tool.mutmut] in pyproject.toml and runs the fast test
# selection named there against each mutant. mutants/ is reused (only changed code is re-run); FRESH=1
# starts over; MUTANTS='tinygrad_cnn.gradcheck*' runs a subset. Survivors: .venv/bin/mutmut results,
# one diff: .venv/bin/mutmut show NAME.
MUTATE_JOBS ?= 2
.PHONY: mutate
mutate: venv
	@test -x $(BIN)/mutmut || $(BIN)/python -m pip install --quiet -e '.[test,mutate]'
	@if [ -n "$(FRESH)" ]; then rm -rf mutants; fi
	$(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS)
	$(BIN)/mutmut export-cicd-stats >/dev/null && cat mutants/mutmut-cicd-stats.json && echo
	$(BIN)/mutmut results
