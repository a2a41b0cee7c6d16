# The two commands: `make run` starts everything; `make test` runs every test.
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
PKGS := ./...

# Offline defaults for the testcontainers harness (override them with a
# registry): it removes what it starts itself, so Ryuk is not needed.
export TESTCONTAINERS_RYUK_DISABLED ?= true
ifneq ($(wildcard /.dockerenv),)
export TESTCONTAINERS_HOST_OVERRIDE ?= 127.0.0.1
endif
# `make e2e-images` builds this Postgres image from Debian packages; use it
# when present instead of pulling the official one.
E2E_LOCAL_PG := $(shell docker image inspect systemuser-e2e-postgres:15 >/dev/null 2>&1 && echo systemuser-e2e-postgres:15)
ifneq ($(E2E_LOCAL_PG),)
export SYSTEMUSER_E2E_POSTGRES_IMAGE ?= $(E2E_LOCAL_PG)
endif

.PHONY: run build docker test test-unit node-deps e2e e2e-images bench bench-http bench-scale generate check-generated lint lint-install vet fmt-check clean

## run: the whole stack on an embedded PostgreSQL, migrated and seeded (Ctrl-C stops it)
run:
	@$(GO) build -o bin/systemuser ./cmd/systemuser
	./bin/systemuser dev

## build: a static binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/systemuser ./cmd/systemuser

## docker: the user-facing image (Dockerfile; needs a registry for the Go image, or GO_IMAGE=<local image>)
DOCKER_IMAGE ?= systemuser:latest
docker:
	docker build $(if $(GO_IMAGE),--build-arg GO_IMAGE=$(GO_IMAGE)) -t $(DOCKER_IMAGE) .

## test: vet, formatting, generated code current, then every test with -race
## (with Node present, e2e/node's JavaScript clients too: node-deps installs them)
test: lint check-generated node-deps test-unit

node-deps:
	@if command -v npm >/dev/null && [ ! -d e2e/node/node_modules ]; then \
		cd e2e/node && npm ci --no-audit --no-fund --loglevel=error; fi

test-unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

## e2e: end-to-end suites in testcontainers (builds the offline images first)
e2e: e2e-images
	SYSTEMUSER_E2E_REQUIRED=$${SYSTEMUSER_E2E_REQUIRED:-1} \
	SYSTEMUSER_E2E_POSTGRES_IMAGE=$${SYSTEMUSER_E2E_POSTGRES_IMAGE:-systemuser-e2e-postgres:15} \
	$(GO) test -race -count=1 -timeout 20m ./e2e/...

e2e-images:
	bash scripts/e2e-images.sh

## bench: authorize and token issuance figures, each next to its baseline
bench:
	$(GO) test -run '^$$' -bench . -benchmem -cpu 1 -count 3 ./simulator/
	$(GO) test -run '^$$' -bench . -benchmem ./pdp/... ./gateway/...

## bench-http: wrk against a bare XACML handler and the real gateway, with ratios
## (≈2 min; SYSTEMUSER_BENCH_DURATION per run, default 8s; SYSTEMUSER_BENCH_ROUNDS, default 2)
bench-http:
	@command -v wrk >/dev/null || { echo "bench-http: wrk missing (apt-get install wrk)"; exit 1; }
	SYSTEMUSER_BENCH_HTTP=1 $(GO) test -count=1 -v -timeout 10m -run '^TestBenchHTTP$$' ./gateway/

## bench-scale: seed SCALE system users (+ DECISIONS, default 10 each) with COPY into a fresh
## database, and the 1 k baseline into another; time the hot paths on both, interleaved, with
## the ratios and EXPLAIN ANALYZE (make bench-scale SCALE=1000000)
SCALE ?= 1000
bench-scale:
	SYSTEMUSER_SCALE=$(SCALE) SYSTEMUSER_SCALE_DECISIONS=$(DECISIONS) $(GO) test -count=1 -v -timeout 60m -run '^TestScaleMeasure$$' ./db/seed/scaletest/

## generate: regenerate gqlgen's executor and resolver stubs (cmd/graphgen: gqlgen generate plus one plugin)
generate:
	$(GO) run ./cmd/graphgen

check-generated:
	bash scripts/check-generated.sh

## lint: gofmt, go vet and golangci-lint (the pinned version, installed with go install when missing)
GOLANGCI_LINT_VERSION := v2.15.0
# Installed under a versioned name, so bumping the pin installs the new one.
LINT_BIN ?= $(or $(GOBIN),$(CURDIR)/bin)
GOLANGCI_LINT := $(LINT_BIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
lint: fmt-check vet $(GOLANGCI_LINT)
	$(GOLANGCI_LINT) run ./...

lint-install: $(GOLANGCI_LINT)

$(GOLANGCI_LINT):
	@echo "installing golangci-lint $(GOLANGCI_LINT_VERSION) into $(LINT_BIN) (a few minutes, once)"
	@tmp=$$(mktemp -d) && GOBIN=$$tmp $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) \
		&& mkdir -p $(LINT_BIN) && mv $$tmp/golangci-lint $@ && rm -rf $$tmp

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin
