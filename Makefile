# The two commands the README shows: `make demo` and `make test`. Both install missing Debian
# packages first (scripts/install-deps), so they work on a fresh Debian 12 machine as root.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build demo test bench format check-format clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j$(JOBS)

demo: build
	@$(BUILD_DIR)/daemon/app/chuhai demo

# Release build and every test, then the same suite under ASan+UBSan, then the fuzzers for a
# bounded time (scripts/run-tests says how).
test: deps
	@scripts/run-tests

# Every benchmark with the arguments docs/performance.md quotes (about half an hour; QUICK=1 for
# a short check that they all run). Installs the peers they compare against first.
bench:
	@scripts/install-deps --bench
	@scripts/run-benchmarks $(if $(QUICK),--quick)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

check-format:
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build build-asan build-fuzz
