# ems_mailjet — the two commands of the README, plus the benchmark.
PYTHON ?= python3
export ODOO_PYTHON ?= $(PYTHON)

.PHONY: test run lint bench bench-1m
test:            ## lint, tests without Odoo, and (with Odoo 18) the Odoo tests on a fresh database
	$(PYTHON) scripts/run_tests.py

run:             ## Odoo 18 on http://localhost:8069 with ems_mailjet and demo data
	$(PYTHON) scripts/run_demo.py

bench:           ## 100,000 participants in 20 lists against the sandbox (--latency-ms 20); prints the BENCH line
	$(PYTHON) scripts/bench.py

bench-1m:        ## the same with 1,000,000 participants in 200 lists, 100,000 partners, 5,000 employees
	$(PYTHON) scripts/bench.py --participants 1000000 --campaigns 200 --partners 100000 --employees 5000

lint:            ## pre-commit's hooks on every file (ruff, prettier, pylint-odoo, OCA checks, readme)
	@test -x node_modules/.bin/prettier || npm ci --no-audit --no-fund
	$(PYTHON) -m pre_commit run --all-files --show-diff-on-failure
