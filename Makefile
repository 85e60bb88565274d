# ems_mailjet — the two commands of the README, plus the benchmark.
PYTHON ?= python3
export ODOO_PYTHON ?= $(PYTHON)

.PHONY: test run lint bench
test:            ## lint, tests without Odoo, and (with Odoo 18) the Odoo tests on a fresh database
	$(PYTHON) scripts/run_tests.py

run:             ## Odoo 18 on http://localhost:8069 with ems_mailjet and demo data
	$(PYTHON) scripts/run_demo.py

bench:           ## 100,000 participants against the sandbox (--latency-ms 20); prints the BENCH line
	$(PYTHON) scripts/bench.py

lint:            ## pre-commit's hooks on every file (ruff, prettier, pylint-odoo, OCA checks, readme)
	@test -x node_modules/.bin/prettier || npm ci --no-audit --no-fund
	$(PYTHON) -m pre_commit run --all-files --show-diff-on-failure
