# cassmesos build, test and tooling. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := build

GO       ?= go
BIN      := $(CURDIR)/bin
TOOLBIN  := $(CURDIR)/.bin
export PATH := $(TOOLBIN):$(PATH)

# Tools, pinned, installed through the Go module proxy into .bin/.
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1
BUF_VERSION                := v1.57.0
GOIMPORTS_VERSION          := v0.40.0
STATICCHECK_VERSION        := v0.7.0

BINARIES := cassmesos cassmesosd cassmesos-executor mesos-sim cassandra-sim
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/cassmesos/cassmesos/internal/version.Version=$(VERSION)

TEST_TIMEOUT ?= 18m

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-24s %s\n", $$1, $$2}'

.PHONY: deps
deps: ## Install what this machine lacks (ZooKeeper, Java 17, Maven, Chromium) and assemble real Cassandra 5.0
	@./scripts/deps.sh

.PHONY: cassandra-dist
cassandra-dist: ## Assemble bin/apache-cassandra-5.0.N-bin.tar.gz from Maven Central (cached)
	@./scripts/cassandra-dist.sh

.PHONY: build
build: ## Build every binary into bin/
	@mkdir -p $(BIN)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES)) ./internal/zktest/cmd/zk-local

REAL_PKG := ./internal/e2e/realcassandra/

.PHONY: test
test: ## Run the whole test suite with the race detector, real Cassandra tier last (needs `make deps`)
	$(GO) test -race -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -v /internal/e2e/realcassandra)
	$(MAKE) --no-print-directory test-real

.PHONY: test-real
test-real: ## Run the real Apache Cassandra 5.0 tier alone (a machine's two cores to itself)
	$(GO) test -race -timeout 30m $(REAL_PKG)

CHAOS_KILLS ?= 200

.PHONY: chaos
chaos: ## Chaos suite: kill the leading daemon CHAOS_KILLS times (default 200) with CHAOS_SEED (default random, printed); see docs/chaos.md
	@set -o pipefail; seed=$${CHAOS_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; \
	echo "chaos: CHAOS_KILLS=$(CHAOS_KILLS) CHAOS_SEED=$$seed (full log: chaos.log)"; \
	CHAOS_KILLS=$(CHAOS_KILLS) CHAOS_SEED=$$seed $(GO) test -race -count=1 -v -run '^TestChaos$$' -timeout 8h ./internal/chaos/ \
		| tee chaos.log | grep --line-buffered -E '^(--- |PASS|FAIL|ok)|chaos[: ]|VIOLATION'

.PHONY: bench
bench: ## Run the benchmarks and print their figures (real Cassandra's included); redraws docs/performance-join.svg and docs/performance-failover.svg
	CASSMESOS_BENCH_JOIN_SVG=$(CURDIR)/docs/performance-join.svg CASSMESOS_BENCH_FAILOVER_SVG=$(CURDIR)/docs/performance-failover.svg $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./...

.PHONY: bench-join bench-failover bench-planner bench-scale
bench-join: ## Node join overhead benchmark alone (20 nodes, 0 s bootstrap); redraws docs/performance-join.svg
	CASSMESOS_BENCH_JOIN_SVG=$(CURDIR)/docs/performance-join.svg $(GO) test -run '^$$' -bench '^BenchmarkNodeJoinOverhead$$' -benchtime 1x -timeout 30m -v ./internal/e2e/ | grep -E '^join |node join overhead|^Benchmark|^ok|FAIL|wrote'
bench-failover: ## Failover benchmark alone (kill -9 of the leader, CASSMESOS_BENCH_FAILOVERS rounds); see docs/performance.md
	CASSMESOS_BENCH_FAILOVER_SVG=$(CURDIR)/docs/performance-failover.svg $(GO) test -run '^$$' -bench '^BenchmarkFailover$$' -benchtime 1x -timeout 30m -v ./internal/e2e/ | grep -E 'failover|serving|true state|recorded|^Benchmark|^ok|FAIL'
bench-scale: ## The 1,000-node run (CASSMESOS_BENCH_NODES, default 1000; CASSMESOS_BENCH_SOAK, default 10m); see docs/performance.md
	set -o pipefail; ulimit -n 65536 2>/dev/null || true; CASSMESOS_BENCH_SCALE=1 $(GO) test -run '^$$' -bench '^BenchmarkRing1000$$' -benchtime 1x -timeout 3h -v ./internal/e2e/ | grep -E '^scale:|^Benchmark|^ok|FAIL|--- |e2e_test|Error'
bench-planner: ## Planner pass benchmarks (1,000 nodes, 10,000 offers; wall and CPU ms per pass)
	$(GO) test -run '^$$' -bench '^BenchmarkPlan' -benchtime 10x ./daemon/plan/

.PHONY: fuzz
fuzz: ## Run every fuzzer, one at a time, for FUZZTIME each (default 10m); fails on a crasher
	@./scripts/fuzz.sh $(or $(FUZZTIME),10m)

$(TOOLBIN)/protoc-gen-go:
	GOBIN=$(TOOLBIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
$(TOOLBIN)/protoc-gen-go-grpc:
	GOBIN=$(TOOLBIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
$(TOOLBIN)/buf:
	GOBIN=$(TOOLBIN) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
$(TOOLBIN)/goimports:
	GOBIN=$(TOOLBIN) $(GO) install golang.org/x/tools/cmd/goimports@$(GOIMPORTS_VERSION)
$(TOOLBIN)/staticcheck:
	GOBIN=$(TOOLBIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

.PHONY: tools
tools: $(TOOLBIN)/protoc-gen-go $(TOOLBIN)/protoc-gen-go-grpc $(TOOLBIN)/buf $(TOOLBIN)/goimports $(TOOLBIN)/staticcheck ## Install the pinned tools into .bin/

.PHONY: generate
generate: $(TOOLBIN)/protoc-gen-go $(TOOLBIN)/protoc-gen-go-grpc $(TOOLBIN)/buf ## Generate Go code from rpc/proto (committed)
	cd rpc/proto && buf lint && buf generate

.PHONY: completions
completions: ## Write the shell completion scripts into completions/
	$(GO) run ./cmd/cassmesos completion bash > completions/cassmesos.bash
	$(GO) run ./cmd/cassmesos completion zsh > completions/_cassmesos
	$(GO) run ./cmd/cassmesos completion fish > completions/cassmesos.fish
	$(GO) run ./cmd/cassmesos completion powershell > completions/cassmesos.ps1

.PHONY: man
man: ## Write the man pages of cassmesos and cassmesosd into docs/man (committed)
	$(GO) run ./internal/mangen/cmd/mangen docs/man

# make install [PREFIX=/usr/local] [DESTDIR=]: binaries, man pages, shell completions.
PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL_BINARIES := cassmesos cassmesosd cassmesos-executor

.PHONY: install
install: ## Install the binaries, man pages and completions under $(DESTDIR)$(PREFIX) (default /usr/local)
	@test -d docs/man || { echo "install: docs/man is missing (make man)"; exit 1; }
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./cmd/,$(INSTALL_BINARIES))
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(addprefix $(BIN)/,$(INSTALL_BINARIES)) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 completions/cassmesos.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/cassmesos
	install -m 0644 completions/_cassmesos $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_cassmesos
	install -m 0644 completions/cassmesos.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/cassmesos.fish

.PHONY: lint
lint: $(TOOLBIN)/goimports $(TOOLBIN)/staticcheck ## gofmt, goimports, go vet, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@out=$$(goimports -l -local github.com/cassmesos/cassmesos $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); if [ -n "$$out" ]; then echo "goimports would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...

.PHONY: check
check: ## Fail when tidy, generate or completions would change a file, or an import boundary is broken
	@./scripts/check.sh

.PHONY: cassandra-sim-tarball
cassandra-sim-tarball: ## Build the Cassandra stand-in as bin/apache-cassandra-4.1-sim-bin.tar.gz
	@mkdir -p $(BIN)
	$(GO) run ./internal/cassandrasim/cmd/mktarball -o $(BIN)/apache-cassandra-4.1-sim-bin.tar.gz

.PHONY: demo
demo: build cassandra-sim-tarball ## Run a ring on the local world (ZooKeeper, mesos-sim, cassmesosd)
	@./scripts/demo.sh up

.PHONY: demo-down
demo-down: ## Stop everything `make demo` started
	@./scripts/demo.sh down

.PHONY: clean
clean: ## Remove build output
	rm -rf $(BIN)
