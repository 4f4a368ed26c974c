# The two commands of the README: `make run` and `make test`. Both install
# what is missing first (as root; otherwise they say what to install).
# `make fuzz` fuzzes each target for FUZZ_TIME seconds, its findings in
# FUZZ_OUT (outside the tree); `make test` only replays the corpus.
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc)
PORT ?= 8080
FUZZ_TIME ?= 60
FUZZ_OUT ?= $(or $(TMPDIR),/tmp)/lode-fuzz

.PHONY: all deps build run test fuzz bench install clean

all: build

deps:
	@scripts/deps.sh test

build:
	@scripts/deps.sh build
	@cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DLODE_TESTS=OFF >/dev/null
	@cmake --build build/release -j $(JOBS)

# The main demo: a server on 127.0.0.1 that says its address.
run: build
	@scripts/run-demo.sh build/release $(PORT)

test:
	@scripts/deps.sh test
	@scripts/test.sh

fuzz:
	@scripts/deps.sh test
	@fuzz/fuzz.sh $(FUZZ_TIME) $(FUZZ_OUT)

bench:
	@scripts/deps.sh bench
	@scripts/bench.sh

install: build
	@cmake --install build/release $(if $(PREFIX),--prefix $(PREFIX))

clean:
	rm -rf build
