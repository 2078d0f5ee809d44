# Development shortcuts; CI runs .ci/run.
PY ?= .venv/bin/python

.PHONY: lint test bench demo
lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(dir $(PY))lint-imports
test:
	$(PY) -m pytest -q
bench:
	$(PY) scripts/bench_check.py
demo:
	$(PY) examples/demo.py
