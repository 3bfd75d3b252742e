# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install clean record-histories

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/dualpath run

test: $(STAMP)
	$(BIN)/pytest -q $(PYTEST_ARGS)

# Refresh the histories the replay tests replay (commit them with the change
# that made them; never to paper over a replay failure of running pathways).
record-histories: $(STAMP)
	$(BIN)/pytest -q tests/api tests/inpatient tests/meetings tests/workflows --record-histories

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .data .pytest_cache
