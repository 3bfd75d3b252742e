# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check bench install clean record-histories screenshots

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@# The browser tests drive Debian's chromium, never a downloaded browser: install it when it is
	@# missing and we may (root, with apt); otherwise those tests skip and say why.
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
		|| echo "chromium could not be installed: the browser tests will skip"; fi
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/dualpath run

# Lint, format and types first: CI fails on them before it spends minutes on the servers.
test: $(STAMP) check
	$(BIN)/pytest -q $(PYTEST_ARGS)

check: $(STAMP)
	$(BIN)/ruff check dualpath tests benchmarks
	$(BIN)/ruff format --check dualpath tests benchmarks
	$(BIN)/mypy

# Add the current histories to those the replay tests replay (commit them with the change
# that made them; the earlier ones stay: running pathways have their shape).
record-histories: $(STAMP)
	$(BIN)/pytest -q tests/api tests/inpatient tests/meetings tests/transitions tests/campaigns tests/workflows --record-histories

# Refresh docs/screenshots/ (worklist.png, pathway.png): the staff pages in headless chromium.
screenshots: $(STAMP)
	DUALPATH_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(BIN)/pytest -q tests/web/test_browser.py -k screenshots

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .data .pytest_cache
