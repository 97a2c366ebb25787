# Graft - developer entry points. `make help` lists the targets.
#
# Targets that need a database go through scripts/with-env.sh: when
# DATABASE_URL and REDIS_URL are not both set, it starts the private dev
# stack (scripts/dev-up.sh: PostgreSQL + PostGIS + Redis on free ports under
# .graft/dev, installed with apt-get when missing) and exports its URLs.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO       ?= go
WITH_ENV := scripts/with-env.sh

.PHONY: help build console dev-up dev-down test conformance run bench bench-events bench-subs fmt vet clean

help: ## List the targets
	@echo "Graft make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*## "}; {printf "  %-12s %s\n", $$1, $$2}'

build: console ## Build bin/graft (with the console bundle)
	$(GO) build -o bin/graft ./cmd/graft

# The console's GraphiQL bundle comes from npm at build time and is embedded
# in the binary (proxy/console/static/build, git-ignored; without it /console
# says to run this). npm ci runs only when package-lock.json changed, the
# esbuild step only when the sources did: a no-op make console is instant.
CONSOLE_WEB   := proxy/console/web
CONSOLE_STAMP := proxy/console/static/build/.built

console: $(CONSOLE_STAMP) ## Build the /console GraphiQL bundle (npm ci + esbuild, embedded by go build)

$(CONSOLE_WEB)/node_modules/.package-lock.json: $(CONSOLE_WEB)/package.json $(CONSOLE_WEB)/package-lock.json
	cd $(CONSOLE_WEB) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

$(CONSOLE_STAMP): $(CONSOLE_WEB)/node_modules/.package-lock.json $(CONSOLE_WEB)/build.mjs $(wildcard $(CONSOLE_WEB)/src/*)
	cd $(CONSOLE_WEB) && node build.mjs
	touch $@

dev-up: ## Start the private PostgreSQL + Redis (.graft/dev/env has the URLs)
	scripts/dev-up.sh

dev-down: ## Stop the private PostgreSQL + Redis (data kept; --purge via scripts/dev-down.sh)
	scripts/dev-down.sh

# The conformance package runs with -v so its per-area lines and the final
# "conformance: N passed, M failed" line show even when it passes.
# The console test drives Debian's chromium, installed when missing (as root
# or through sudo; otherwise it skips loudly, or fails under CI=true).
test: vet console ## go vet + all tests, then the conformance suite, against the dev stack
	scripts/ensure-chromium.sh
	$(WITH_ENV) $(GO) test -count=1 -timeout 30m -p 2 $$($(GO) list ./... | grep -v /tests/conformance)
	$(WITH_ENV) $(GO) test -count=1 -timeout 30m -v ./tests/conformance

# CONFORMANCE_DIR (environment or `make conformance CONFORMANCE_DIR=...`) is
# passed through: make exports both to the recipe.
conformance: ## Run only the Hasura conformance suite (honours CONFORMANCE_DIR)
	$(WITH_ENV) $(GO) test -count=1 -timeout 30m -v -run TestConformance ./tests/conformance

# The example metadata is applied only to a new example database, so what
# you change through the API survives; RESET=1 recreates the database.
RESET ?=
run: console ## Run graft on the example schema + metadata (configs/examples); RESET=1 starts over
	RESET='$(RESET)' scripts/run-example.sh

# tests/bench is a program, not a test: it seeds a fresh database, runs Graft
# in-process and prints Graft over HTTP against the raw-SQL floor (about a
# minute; `make bench BENCH_QUICK=1` for ~10 s). Then BenchmarkCompile, and
# BenchmarkActionSyncVsReverseProxy: a sync action against a bare reverse
# proxy to the same handler (p50 of each and their p50-ratio), and
# BenchmarkActionAsyncVsSync: async calls through the Redis queue against
# sync ones (calls/s, their ratio against a floor). Each further line names
# what it compares.
bench: ## Benchmark Graft over HTTP against raw SQL (tests/bench), Engine.Compile, actions, remote joins, sources, observability overhead
	$(WITH_ENV) $(GO) run ./tests/bench
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkCompile$$' -benchmem -benchtime 2s ./graphql
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkCompileCold$$' -benchmem -benchtime 2000x ./graphql # a query text seen for the first time: parse, fragment skips, validation, SQL
	@echo '== actions: sync action vs a bare reverse proxy to the same handler (p50s alternating request by request, then req/s and p50 of each at c=1 and c=16) =='
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkActionSyncVsReverseProxy$$' -benchtime 2000x ./tests/integration
	@echo '== actions: a sync action whose output joins tables vs the same action without them (p50s, p50-ratio, SQL statements per call) =='
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkActionWithRelationship$$' -benchtime 1000x ./tests/integration
	@echo '== remote relationships: 100 rows each joined to a remote field vs the same query without the join (p50s, p50-ratio, remote calls per request) =='
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkRemoteJoin$$' -benchtime 1000x ./tests/integration
	@echo '== remote schemas: a query forwarded through Graft vs the same query sent to the remote directly (p50s, p50-ratio) =='
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkRemoteSchemaForwarding$$' -benchtime 1000x ./tests/integration
	@echo '== actions: async calls through the Redis queue vs sync calls (calls/s, async/sync against its floor, p50 created->stored) =='
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkActionAsyncVsSync$$' -benchtime 5x ./tests/integration
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkByPKObservability$$' -benchtime 100x ./tests/integration # by-pk req/s, metrics+tracing off vs on (OTLP/HTTP, every request sampled): on/off, median of 100 pairs of 2000 requests; `GOGC=100 make bench` measures without the heap floor
	$(GO) test -run '^$$' -bench '^BenchmarkRequest(Trace|Path)$$' -benchmem ./tracing # one by-pk request's spans: CPU per trace with export and receiver, and the request goroutine's share
	@echo '== sources: by-pk on an added source vs the same on the default source (p50 latencies, p50-ratio) =='
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkSourceByPkVsDefault$$' -benchtime 2000x ./tests/integration

# tests/bench/events is a program too: on a fresh database it prints insert
# TPS without a trigger, with a Graft event trigger and with a Hasura-style
# trigger, delivered events/s, and commit -> webhook latency at 1k and 5k
# events/s (Graft in-process with Redis; about a minute;
# `make bench-events BENCH_QUICK=1` for ~20 s), then the WAL reader's own
# CPU per single-row transaction (pgbench commits from another process).
bench-events: ## Benchmark event triggers: insert TPS, events/s, commit->webhook latency (tests/bench/events)
	$(WITH_ENV) $(GO) run ./tests/bench/events
	$(WITH_ENV) $(GO) test -run '^$$' -bench '^BenchmarkCaptureSingleRowCommits$$' -benchtime 20000x ./replication

# tests/bench/subs is a program too: Graft in-process with the WAL reader
# and Redis; prints commit -> client push latency (1k subscribers), idle
# statements, RSS with 10k subscriptions and fan-out frames/s against their
# goals (about a minute; `make bench-subs BENCH_QUICK=1` for ~20 s).
bench-subs: ## Benchmark subscriptions: push latency, idle cost, memory, fan-out (tests/bench/subs)
	$(WITH_ENV) $(GO) run ./tests/bench/subs

fmt: ## gofmt all Go files
	$(GO) fmt ./...

vet: ## go vet ./...
	$(GO) vet ./...

clean: ## Remove build output (and the console bundle)
	rm -rf bin proxy/console/static/build
