# opsboard — the two commands a new user needs are `make demo` and `make test`.
GO ?= go

.PHONY: demo test build vet bench

demo: ## local PostgreSQL + demo data + dashboards on http://127.0.0.1:8080
	$(GO) run ./cmd/opsboard demo

test: ## the whole test suite against real PostgreSQL, SMTP and Chromium
	$(GO) test -count=1 -timeout 20m ./...

build:
	$(GO) build -o bin/opsboard ./cmd/opsboard

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal)" || (gofmt -l cmd internal; exit 1)

bench: ## benchmarks against their baselines (~30 min; BENCH_SCALE30=0: ~10); rewrites docs/benchmarks.md
	bash bench/run.sh
