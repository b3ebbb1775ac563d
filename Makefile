# Two commands for a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
# Offline-friendly Reflex: npm from the virtualenv, no telemetry, no version check.
export REFLEX_USE_NPM := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false

.PHONY: run test install migrate demo unit e2e lint benchmarks bench-portal bench-staff

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python -m kontrol_app.manage migrate

## Install, migrate and serve the production build on http://$HOST:$PORT (127.0.0.1:3000).
## With REDIS_URL set, several workers: GRANIAN_WORKERS (Reflex's setting) or WEB_CONCURRENCY says how many.
run: migrate
	$(if $(and $(WEB_CONCURRENCY),$(REDIS_URL)),GRANIAN_WORKERS="$${GRANIAN_WORKERS:-$(WEB_CONCURRENCY)}") $(BIN)/reflex run --env prod --single-port

## Load a demo shop (customers, jobs in every status) into the local database.
demo: migrate
	$(BIN)/python -m kontrol_app.manage demo

## Lint, then every test layer: services and HTTP routes (SQLite and PostgreSQL), then the browser.
test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 tests/unit tests/api
	$(BIN)/python -m pytest tests/e2e

unit: install
	$(BIN)/python -m pytest -n 2 tests/unit tests/api

lint: install
	$(BIN)/ruff check .

e2e: install
	$(BIN)/python -m pytest tests/e2e

## Timings at shop scale (10,000 customers, 200,000 jobs, 100,000 invoices, 50,000 threads), then the staff
## pages and the portal against the blank Reflex app; prints numbers.
benchmarks: migrate
	$(BIN)/python benchmarks/customers.py
	$(BIN)/python benchmarks/jobs.py
	$(BIN)/python benchmarks/approval.py
	$(BIN)/python benchmarks/invoices.py
	$(BIN)/python benchmarks/invoice_pdf.py
	$(BIN)/python benchmarks/messages.py
	$(BIN)/python benchmarks/staff_rtt.py
	$(BIN)/python benchmarks/portal_rtt.py

## The portal's websocket events against the blank Reflex app (../shared/bench), one run; then 1 vs 2
## workers on Redis + PostgreSQL (scratch databases; skipped when either does not answer).
bench-portal: migrate
	$(BIN)/python benchmarks/portal_rtt.py

## The staff pages' clicks at shop scale (10 staff) against the blank Reflex app, one run.
bench-staff: migrate
	$(BIN)/python benchmarks/staff_rtt.py
