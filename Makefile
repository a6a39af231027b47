# Short wrapper around CMake. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CONFIG     ?= examples/demo.yaml
SOURCES     = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

.PHONY: all build install run test unit asan store-pg protocol deps test-deps bench format format-check clean

all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Installs under PREFIX (default /usr/local), staged under DESTDIR when set:
# `make install PREFIX=/usr DESTDIR=/tmp/stage`. See docs/operations.md.
PREFIX ?= /usr/local
install:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD)

deps:
	@scripts/install-deps

test-deps:
	@scripts/install-deps --test

run: deps build
	@mkdir -p var/recordings
	$(BUILD)/centrala serve --config $(CONFIG)

# Everything: formatting, unit tests, the unit tests again under ASan+UBSan, then the
# protocol and end-to-end tests against the real binary with real peers.
test: test-deps format-check build unit asan store-pg protocol

unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan:
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCENTRALA_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# The store suite again, against a real PostgreSQL server started for the run.
store-pg: build
	@tests/store/run $(BUILD)

protocol: build
	@tests/run-protocol $(BUILD)/centrala

bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b; done

format:
	@clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
