# Two commands for a newcomer: `make demo` (set up, ingest the shipped corpus, open the chat)
# and `make test`. Everything runs offline except pip's package downloads.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
INDEX ?= var/index
FULL_INDEX ?= var/index-full
SHARED ?= ../shared
HOST ?= 127.0.0.1
PORT ?= 7860
export HF_HUB_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 GRADIO_ANALYTICS_ENABLED=False

.PHONY: setup setup-cluster model demo demo-full ask test test-cluster test-fast eval bench bench-layout bench-cluster chroma services-up services-down cluster-up cluster-down clean load screenshots

setup: $(STAMP) model

# torch first and pinned: a bare torch requirement would pull a multi-GB CUDA build.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q --no-deps -r requirements.lock
	# The mapped layout (src/assistant, ingest, eval, ui) makes setuptools print an editable-install notice.
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

model: $(STAMP)
	$(BIN)/assistant build-model

# The seed plus the shared files corpus/demo.txt names: what the example questions and the
# training scenarios are answered from (tests/test_demo_examples.py), about 2 min of embedding on 2 cores (docs/ui.md).
DEMO_DOCS := corpus/documents $(addprefix $(SHARED)/corpus/,$(shell sed -e 's/\#.*//' corpus/demo.txt))

$(INDEX)/catalog.sqlite: | setup
	$(BIN)/assistant ingest $(DEMO_DOCS) --index $(INDEX)

demo: setup
	$(BIN)/assistant ingest $(DEMO_DOCS) --index $(INDEX)
	$(BIN)/assistant serve --index $(INDEX) --host $(HOST) --port $(PORT)

demo-full: setup
	$(BIN)/assistant ingest corpus/documents $(SHARED)/corpus --index $(FULL_INDEX)
	$(BIN)/assistant serve --index $(FULL_INDEX) --host $(HOST) --port $(PORT)

ask: setup
	$(BIN)/assistant ingest corpus/documents --index $(INDEX)
	$(BIN)/assistant ask "แนวทางที่ 7 คืออะไร" --index $(INDEX)

# The whole shared corpus, then the domain question set and the external benchmarks side by side.
eval: setup
	$(BIN)/assistant ingest corpus/documents $(SHARED)/corpus --index $(FULL_INDEX)
	$(BIN)/assistant eval --index $(FULL_INDEX) --shared-eval $(SHARED)/eval --bench-index var/bench \
		--benchmark xquad-th --benchmark iapp --benchmark iapp-distractors --benchmark tscc --name domain

# 20 clients asking through the JSON API (`assistant api`) for 60 s: requests, errors, p50/p95.
load: setup
	$(BIN)/python -m eval.load --index $(INDEX) --concurrency 20 --seconds 60

# Performance: ingest rate, search/ask latency at the corpus, ~10k and 100k chunks, memory, serve
# start-up; prints a table and writes eval/reports/bench-<date>.md (~20 min on 2 cores from a clean
# clone, ~15 min once var/bench holds the benchmark paragraphs' vectors; its
# indexes go to var/bench). QUICK=1: the smoke run CI uses (seed only, 1k chunks, ~1 min).
bench: setup
	$(BIN)/python -m eval.bench $(if $(QUICK),--quick) --shared $(SHARED)
	$(BIN)/python -m eval.bench_viewer

# The services layout (PostgreSQL catalog + two Chroma shards + Tantivy, started and stopped by the
# run) against the embedded one on the blind dev set and XQuAD-th: same top 10? recall, latency
# (~10 min; eval/reports/<date>-layout.md, docs/scaling.md).
bench-layout: setup
	$(BIN)/python -m eval.bench_layout --shared $(SHARED)

# A Chroma server for several app processes: `assistant serve|ingest|search --chroma-url
# http://$(HOST):$(CHROMA_PORT)` (or ASSISTANT_CHROMA_URL). docs/scaling.md.
CHROMA_PATH ?= var/chroma-server
CHROMA_PORT ?= 8000
chroma: setup
	$(BIN)/chroma run --path $(CHROMA_PATH) --host $(HOST) --port $(CHROMA_PORT)

# The services layout for a developer, on loopback (trust authentication: not for production): a
# PostgreSQL catalog and two Chroma shards under var/services. Prints the ASSISTANT_* lines that
# point `assistant ingest|serve|ask` at them. docs/scaling.md.
SERVICES_DIR ?= var/services
PG_PORT ?= 5433
SHARD_PORTS ?= 8001,8002
services-up: setup
	@$(BIN)/python -m assistant.store.services up $(SERVICES_DIR) --pg-port $(PG_PORT) --shard-ports $(SHARD_PORTS)

services-down:
	@$(BIN)/python -m assistant.store.services down $(SERVICES_DIR)

# Ray for serving and ingesting on several machines (`pip install '.[cluster]'`, pinned here).
CLUSTER_STAMP := $(VENV)/.cluster-stamp
setup-cluster: setup $(CLUSTER_STAMP)

$(CLUSTER_STAMP): requirements-cluster.lock $(STAMP)
	$(BIN)/python -m pip install -q --no-deps -r requirements-cluster.lock
	touch $(CLUSTER_STAMP)

# A Ray head on this machine (NETNS=1: two one-CPU nodes in network namespaces, as root), then
# `assistant ingest --ray` / `assistant serve --ray`; cluster-down ends it. docs/cluster.md.
cluster-up: setup-cluster
	@$(BIN)/python -m assistant.cluster.nodes up $(if $(NETNS),--netns)

cluster-down:
	@$(BIN)/python -m assistant.cluster.nodes down $(if $(NETNS),--netns)

# Two workers, a test file each at a time (a module's index is built once): one process keeps only
# one of two cores busy (docs/evaluation.md#tests). TEST_WORKERS=0: one process.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile -m "not cluster"

# One one-CPU node against two (network namespaces, root): ingest chunks/s and asks/s, p50/p95
# (~10 min; eval/reports/<date>-cluster.md, docs/cluster.md). Run it alone on the machine.
bench-cluster: setup-cluster
	$(BIN)/python -m eval.bench_cluster --shared $(SHARED)

# The Ray cluster set: two nodes in network namespaces (root; skipped, with the reason, elsewhere).
test-cluster: setup-cluster
	$(BIN)/python -m pytest -q -m cluster tests/test_cluster.py

# Retake docs/*.png (the chat, the viewer, the review tab) from the browser tests.
screenshots: setup
	ASSISTANT_SCREENSHOTS=docs $(BIN)/python -m pytest -q tests/test_ui_browser.py

clean:
	rm -rf var .pytest_cache
