# quorumkv: `make run` starts a single node, `make test` runs the tests.
GO        ?= go
BIN       := bin
PROTOC_GEN_GO_VERSION := v1.36.12
export PATH := $(PATH):$(shell $(GO) env GOPATH)/bin

.PHONY: all build run test simulate test-short proto lint cluster cluster-stop bench bench-heal bench-quick soak image test-docker clean ring-model

all: build

build:
	$(GO) build -o $(BIN)/kvnode ./cmd/node
	$(GO) build -o $(BIN)/kvcli ./cmd/kvcli
	@if [ -d cmd/kvbench ]; then $(GO) build -o $(BIN)/kvbench ./cmd/kvbench; fi

# A single node on an embedded NATS server (127.0.0.1:4222), data in ./data.
run: build
	$(BIN)/kvnode --data-dir ./data

# Unit, property and end-to-end tests (real kvnode processes), with the
# race detector, in the tests and in the kvnode processes they start. A few
# minutes on a 2-core machine. -count=1: the end-to-end tests run binaries
# they build, which go test's cache cannot see change. Then 200 seeded
# runs of whole clusters in one process (internal/sim), without the race
# detector, which would multiply their CPU (it already ran 30 of them).
test:
	$(GO) vet ./...
	QUORUMKV_RACE=1 $(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -count=1 -run TestSimulatedClusters ./internal/sim/

# Whole clusters in one process under seeded faults (internal/sim):
# SEEDS=n runs n seeds from BASE (default 1); SEED=s replays one.
SEEDS ?= 1000
BASE ?= 1
simulate:
	QUORUMKV_SIM_SEEDS=$(SEEDS) QUORUMKV_SIM_BASE=$(BASE) QUORUMKV_SIM_SEED=$(SEED) $(GO) test -count=1 -run TestSimulatedClusters -v -timeout 60m ./internal/sim/

# The chaos test for minutes instead of seconds: nodes SIGKILLed and
# restarted under write load; every acknowledged write must read back.
SOAK ?= 3m
soak:
	QUORUMKV_SOAK=$(SOAK) $(GO) test -count=1 -run Chaos -v -timeout 60m ./e2e/

# The ring's balance and join movement at 10, 100 and 1,000 nodes for
# several partition counts (docs/ring-model.md); about a minute.
ring-model:
	$(GO) test -count=1 -run TestRingModel -v -timeout 10m ./ring/ -args -ring.model

test-short:
	$(GO) test -short ./...

# Regenerate messages/*.pb.go from messages/*.proto.
proto:
	@command -v protoc >/dev/null || { echo "installing protoc (Debian protobuf-compiler)"; apt-get update -qq && apt-get install -y -qq protobuf-compiler; }
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	cd messages && protoc -I . --go_out=. --go_opt=paths=source_relative *.proto

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

# Three local nodes on 127.0.0.1 (clients on 4222, 4223, 4224), data in
# .cluster/; `make cluster-stop` stops them.
cluster: build
	deploy/local-cluster.sh start

cluster-stop:
	deploy/local-cluster.sh stop

# quorumkv against JetStream KV and plain NATS request-reply, on fresh
# local clusters of real processes (127.0.0.1 only); writes BENCHMARKS.md.
# 10 s a row; RUNS runs of each closed-loop comparison row (default 3);
# BIG_RECORDS records of 1 KiB for the beyond-the-cache row (default
# 2000000, about 7 minutes of load). About 20 minutes in all on 2 cores;
# `make bench BIG_RECORDS=500000` saves about 5.
bench:
	BENCH_COMMAND="make bench" RUNS="$(RUNS)" BIG_RECORDS="$(BIG_RECORDS)" deploy/bench.sh

# What a refill by anti-entropy costs clients: p99 while a wiped replica
# is refilled, next to the idle p99 (KEYS keys of 1 KiB).
KEYS ?= 20000
bench-heal:
	QUORUMKV_HEAL_BENCH=$(KEYS) $(GO) test -count=1 -run TestRefillLatency -v -timeout 30m ./e2e/

# The same rows for a second or two each, one run, small data sets (about
# 2 minutes); the report goes to a temp file. Fails only when the tool is
# broken, never on a slow figure.
bench-quick:
	BENCH_COMMAND="make bench-quick" deploy/bench.sh --quick

# The node image (FROM scratch, static Linux binaries, whatever the host
# OS); deploy/docker-compose.yml runs three of them. IMAGE names the tag,
# IMAGE_ARCH the CPU (default: Go's GOARCH here, e.g. arm64 on Apple
# silicon). The commit is stamped into the binaries for --version and
# quorumkv_build_info.
IMAGE      ?= quorumkv:dev
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
IMAGE_LDFLAGS := -X github.com/quorumkv/quorumkv/internal/buildinfo.commit=$(shell git rev-parse --short=12 HEAD 2>/dev/null)
image:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	for p in node:kvnode kvcli:kvcli; do \
		CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GO) build -trimpath -ldflags '$(IMAGE_LDFLAGS)' \
			-o "$$tmp/$${p#*:}" ./cmd/$${p%%:*} || exit 1; \
	done && \
	mkdir "$$tmp/data" && cp deploy/Dockerfile "$$tmp/" && \
	docker build -q --platform linux/$(IMAGE_ARCH) -t $(IMAGE) "$$tmp"

# The compose cluster for real: builds the image, starts three nodes,
# puts and gets through kvcli in a container, removes it all (part of
# `make test` too, where a Docker daemon answers).
test-docker:
	$(GO) test -count=1 -run TestComposeCluster -v -timeout 10m ./deploy/

clean:
	rm -rf $(BIN)
