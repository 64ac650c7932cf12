# mapback — developer tasks. `make test` is the test command CI runs first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO      ?= go
CACHE   := $(CURDIR)/.cache
BIN     := $(CURDIR)/bin
PKG     := github.com/mapback/mapback
# A tag when there is one (v1.2.3-4-gabc1234), else dev-<commit>.
VERSION ?= $(shell git describe --tags --dirty 2>/dev/null || echo dev-$$(git rev-parse --short HEAD 2>/dev/null))
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X $(PKG)/internal/buildinfo.version=$(VERSION) \
           -X $(PKG)/internal/buildinfo.commit=$(COMMIT) -X $(PKG)/internal/buildinfo.date=$(DATE)
# The six release targets; `make cross` builds each so a broken one fails CI.
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

GORELEASER_VERSION    := v2.13.3
GOLANGCI_LINT_VERSION := v2.15.0

.PHONY: build test vet unit cross npm-check action-check recipes-check fixtures fixtures-browser fixtures-workers conformance bench lint tools snapshot release-check clean

build: ## bin/mapback for this machine
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/mapback ./cmd/mapback

test: vet unit cross ## go vet, the race-enabled unit tests, and a build for every release target

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

cross:
	@for p in $(PLATFORMS); do \
	  echo "cross-compile $$p"; \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o /dev/null ./cmd/mapback; \
	done

npm-check: ## the npm packages (internal/npmdist): pack, install offline in a scratch project, run npx mapback
	testdata/npm/check.sh

action-check: ## the GitHub Action's scripts (.github/actions/sourcemaps) against a local release and dev-server
	testdata/action/check.sh

recipes-check: ## docs/recipes.md's tested recipes, as written, with the pinned bundlers (needs the npm registry once)
	testdata/recipes/check.sh

fixtures: ## rebuild testdata/fixtures and testdata/chain with the pinned bundlers (needs the npm registry)
	testdata/gen/generate.sh
	testdata/chain/generate.sh

fixtures-browser: ## re-record testdata/browser (Sentry SDK) and testdata/browser-posthog (posthog-js) in headless browsers
	testdata/browser/generate.sh
	testdata/browser-posthog/generate.sh

fixtures-workers: ## re-record testdata/workers with wrangler 4 and workerd (Node 22 from npm)
	testdata/workers/generate.sh

conformance: ## differential tests against the reference client, sentry-cli 3.8.0
	$(GO) build -trimpath -o $(CACHE)/bin/mapback ./cmd/mapback
	ref="$$(testdata/bench/install-reference.sh)"; ph="$$(testdata/posthog/install.sh)"; \
	  MAPBACK_REFERENCE_CLI="$$ref" MAPBACK_POSTHOG_ORACLE="$$ph" MAPBACK_BIN="$(CACHE)/bin/mapback" \
	  $(GO) test -tags conformance -count=1 -v ./internal/conformance/... ./internal/sentrytest/
	# The source map engine against go-sourcemap on the corpus the tests above fetched.
	MAPBACK_CORPUS_DIFF=1 $(GO) test -count=1 -v -run 'TestDifferentialCorpus' ./internal/sourcemap/

bench: ## whole-command timings next to the reference client; rewrites docs/benchmarks.md
	testdata/bench/run.sh

lint: $(CACHE)/bin/golangci-lint ## gofmt, go vet, golangci-lint (pinned) with the layering rules of .ci/golangci.yml
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(CACHE)/bin/golangci-lint run --config .ci/golangci.yml ./...

$(CACHE)/bin/golangci-lint:
	GOBIN=$(CACHE)/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

tools: ## install goreleaser and golangci-lint into .cache/bin
	GOBIN=$(CACHE)/bin $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)
	GOBIN=$(CACHE)/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

release-check: ## validate .goreleaser.yaml with goreleaser itself
	@[ -x $(CACHE)/bin/goreleaser ] || GOBIN=$(CACHE)/bin $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)
	$(CACHE)/bin/goreleaser check

snapshot: ## local release build of every archive into dist/ (no publishing)
	@[ -x $(CACHE)/bin/goreleaser ] || GOBIN=$(CACHE)/bin $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)
	$(CACHE)/bin/goreleaser release --snapshot --clean

clean:
	rm -rf $(BIN) dist
