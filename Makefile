# Custos. `make help` lists the targets.
SHELL := /bin/bash
export GOTOOLCHAIN := auto
GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin
export PATH := $(GOBIN):$(PATH)
BIN := bin/custos
# custos --version: the commit it was built from (main.version), for a report that cites it.
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)

# A recipe that fails leaves no target behind (no verify.wasm newer than a
# stale .gz), so the next make runs it again.
.DELETE_ON_ERROR:

.PHONY: FORCE help build wasm run test test-race test-unit cross deps bench soak fuzz vet fmt screenshots clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: wasm ## build bin/custos (with the browser verifier embedded)
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/custos

# The browser verifier is built small (docs/performance.md, WebAssembly
# verifier): no inlining (-l), encoding/json's own implementation rather than
# the one over json/v2 (GOEXPERIMENT=nojsonv2), no symbols; web/wasm's
# TestNode builds it the same way. The server sends the brotli or gzip copy.
WASM_ENV = GOOS=js GOARCH=wasm GOEXPERIMENT=nojsonv2
WASM_FLAGS = -trimpath -gcflags=all=-l -ldflags="-s -w"

# web/static/verify.wasm (and so verifypdf.wasm) is rebuilt only when it
# is older than a file of a package of this module it is built from (as
# `go list -deps` finds them for js/wasm: every file of their folders,
# embedded files included), go.mod or
# go.sum (the other modules' versions), or this Makefile; so a stale verifier
# is never embedded, and `make build` right after `make build` rebuilds
# nothing of it. A change of imports is in a file listed already. (make
# exports GOTOOLCHAIN to recipes, not to $(shell), hence its own; should
# go list find nothing, the verifier is always rebuilt.)
wasm_srcs = $(filter-out %_test.go,$(wildcard $(shell GOTOOLCHAIN=$(GOTOOLCHAIN) $(WASM_ENV) $(GO) list -e -deps \
	-f '{{if and (not .Standard) .Module}}{{if .Module.Main}}{{.Dir}}/* {{range .EmbedFiles}}{{$$.Dir}}/{{.}} {{end}}{{end}}{{end}}' $(1))))
WASM_SRCS := $(call wasm_srcs,./web/wasm)
# The certificate PDF verifier (./web/wasmpdf), a module of its own that
# the page loads only when a PDF is chosen, is built the same way.
WASMPDF_SRCS := $(call wasm_srcs,./web/wasmpdf)

wasm: web/static/verify.wasm web/static/verifypdf.wasm ## build the browser verifiers if their sources changed (web/static/verify.wasm and verifypdf.wasm, their .br and .gz copies, wasm_exec.js); make -B wasm forces it

# wasm_build builds package $(2) into web/static/$(1), with wasm_exec.js
# and the compressed copies.
define wasm_build
	$(WASM_ENV) $(GO) build $(WASM_FLAGS) -o web/static/$(1) $(2)
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" web/static/wasm_exec.js
	gzip -9 -n -c web/static/$(1) > web/static/$(1).gz
	if command -v brotli >/dev/null; then brotli -q 11 -f -o web/static/$(1).br web/static/$(1); \
	else rm -f web/static/$(1).br; echo "make wasm: brotli is missing (apt-get install brotli): browsers get the gzip copy"; fi
endef

web/static/verify.wasm: $(WASM_SRCS) go.mod go.sum Makefile $(if $(WASM_SRCS),,FORCE)
	$(call wasm_build,verify.wasm,./web/wasm)

web/static/verifypdf.wasm: $(WASMPDF_SRCS) go.mod go.sum Makefile $(if $(WASMPDF_SRCS),,FORCE)
	$(call wasm_build,verifypdf.wasm,./web/wasmpdf)

# LISTEN: custos serve --listen (make run LISTEN=127.0.0.1:9090); empty,
# serve's own default.
LISTEN ?=
run: build ## run the embedded default node (./custos-data, 127.0.0.1:8080; LISTEN=HOST:PORT for another address)
	./$(BIN) serve $(if $(LISTEN),--listen $(LISTEN))

deps: ## install what the tests need (openssl, MinIO); safe to rerun
	./scripts/install-test-deps.sh

test: deps cross ## run every test, integration included (what CI runs)
	$(GO) vet ./...
	CUSTOS_REQUIRE_INTEGRATION=1 $(GO) test -race -count=1 -parallel 3 -timeout 30m ./...
	./scripts/fuzz.sh $(TEST_FUZZTIME)

test-race: deps ## the end-to-end tests of cmd/custos with the custos processes they start built with -race too (slower: about twice make test's share)
	CUSTOS_REQUIRE_INTEGRATION=1 CUSTOS_TEST_BINARY_RACE=1 $(GO) test -race -count=1 -parallel 3 -timeout 40m ./cmd/custos

# Courts may run the standalone verifier on Windows or a Mac
# (docs/operations.md, "On Windows and macOS"): make test builds it for
# these, compiling and linking without writing a binary, so that a change
# that breaks those builds fails. (go vet would compile its tests' imports
# too, net/http and the rest: twice the work.) With a cold build cache it
# takes about 30 s of CPU a platform; with a warm one, under a second.
CROSS_PLATFORMS := windows/amd64 darwin/arm64
cross: ## build custos-verify for Windows and macOS (CROSS_PLATFORMS), writing nothing
	for p in $(CROSS_PLATFORMS); do GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cmd/custos-verify || exit 1; done

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

screenshots: ## render the certificates' pictures in docs/images again (pdftoppm; see TestScreenshots)
	CUSTOS_UPDATE_SCREENSHOTS=1 $(GO) test -count=1 -run '^TestScreenshots$$' ./notary/document

clean: ## remove build output
	rm -rf bin
