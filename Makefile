# `make run` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-requirements
PORT ?= 8000

.PHONY: run test venv worker bench clean

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	@cp requirements.txt $(STAMP)

venv: $(STAMP)

## run the embedded default (SQLite + in-process Redis + fake WeChat) with demo data on PORT
run: venv
	PORT=$(PORT) $(PY) app.py

## the whole test suite: MariaDB + Redis when reachable, else SQLite + fakeredis
test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

## an RQ worker with the cron schedule (needs REDIS_URL)
worker: venv
	$(VENV)/bin/flask --app app worker

clean:
	rm -rf $(VENV) instance/*.sqlite3* .pytest_cache .hypothesis
