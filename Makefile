# Custos. `make help` lists the targets.
SHELL := /bin/bash
export GOTOOLCHAIN := auto
GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
BIN := bin/custos

.PHONY: help build wasm run test test-unit deps bench soak fuzz vet fmt clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: wasm ## build bin/custos (with the browser verifier embedded)
	$(GO) build -o $(BIN) ./cmd/custos

wasm: ## build the browser verifier (web/static/verify.wasm, wasm_exec.js)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags="-s -w" -o web/static/verify.wasm ./web/wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" web/static/wasm_exec.js

run: build ## run the embedded default node (./custos-data, 127.0.0.1:8080)
	./$(BIN) serve

deps: ## install what the tests need (openssl, MinIO); safe to rerun
	./scripts/install-test-deps.sh

test: deps ## run every test, integration included (what CI runs)
	$(GO) vet ./...
	CUSTOS_REQUIRE_INTEGRATION=1 $(GO) test -race -count=1 -timeout 30m ./...
	./scripts/fuzz.sh $(TEST_FUZZTIME)

test-unit: ## unit tests only (integration tests skip when their tools are missing)
	$(GO) test -count=1 ./...

bench: deps build ## benchmarks with same-run baselines; see docs/performance.md
	./scripts/bench.sh

SOAK ?= 10m
soak: deps ## load and fault scenarios, SOAK of load each (default 10m; make test runs 10s); see docs/reliability.md
	mkdir -p bin; set -o pipefail; CUSTOS_REQUIRE_INTEGRATION=1 CUSTOS_SOAK_DURATION=$(SOAK) \
		$(GO) test -count=1 -timeout 0 -v -run '^TestSoak' ./cmd/custos | tee bin/soak.log \
		| grep -E '^(--- |ok|FAIL)|SOAK |checked |custos verify'

FUZZTIME ?= 30s
TEST_FUZZTIME ?= 5s
fuzz: ## run each fuzz test for FUZZTIME (default 30s; `make test` runs them for TEST_FUZZTIME, 5s)
	./scripts/fuzz.sh $(FUZZTIME)

vet: ## go vet
	$(GO) vet ./...

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output
	rm -rf bin
