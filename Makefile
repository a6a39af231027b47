# Short wrapper around CMake. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
BUILD_TYPE ?= RelWithDebInfo
# `make fuzz`: seconds of fuzzing per harness; `make test` runs each for FUZZ_SMOKE.
# FUZZ_JOBS harnesses at once, each on a core (tests/fuzz/run; default: every core).
FUZZ_SECONDS ?= 300
FUZZ_SMOKE  ?= 10
JOBS       ?= $(shell nproc)
CONFIG     ?= examples/demo.yaml
SOURCES     = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

.PHONY: all build install deb deb-test run test unit asan asan-build protocol-asan tsan fuzz fuzz-smoke fuzz-build store-pg protocol web deps test-deps bench format format-check clean

all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Installs under PREFIX (default /usr/local), staged under DESTDIR when set:
# `make install PREFIX=/usr DESTDIR=/tmp/stage`. See docs/operations.md. (The install
# test of the ASan run passes BUILD_TYPE=Debug, its build's own, so nothing is rebuilt.)
PREFIX ?= /usr/local
install:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@DESTDIR=$(DESTDIR) cmake --install $(BUILD)

# A Debian package of the tracked files as they are in the work tree, built with
# dpkg-buildpackage in $(BUILD)/deb and checked by lintian: $(BUILD)/deb/centrala_*.deb.
# The unit tests are left to `make test` (DEB_BUILD_OPTIONS=nocheck); pass
# DEB_BUILD_OPTIONS= to run them inside the build.
DEB_BUILD_OPTIONS ?= nocheck
deb: build
	@scripts/install-deps --deb
	@rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/centrala
	@git ls-files -z | tar --null -T - -c | tar -x -C $(BUILD)/deb/centrala
	@if [ -f $(BUILD)/web/index.html ]; then cp -r $(BUILD)/web $(BUILD)/deb/centrala/web-dist; fi
	@cd $(BUILD)/deb/centrala && DEB_BUILD_OPTIONS="$(DEB_BUILD_OPTIONS)" \
		dpkg-buildpackage -b -us -uc -j$(JOBS) >../build.log 2>&1 || \
		{ tail -n 40 ../build.log; exit 1; }
	@lintian --fail-on error,warning --info $(BUILD)/deb/centrala_*.changes
	@ls $(BUILD)/deb/centrala_*.deb

# Installs that package in an overlay of this machine's root (mount and network
# namespaces; nothing here changes), starts it as its unit does, purges it. As root.
deb-test: deb
	@tests/deb/t-install-deb.sh $(BUILD)/deb/centrala_*_$(shell dpkg --print-architecture).deb

deps:
	@scripts/install-deps

test-deps:
	@scripts/install-deps --test

run: deps build
	@mkdir -p var/recordings
	$(BUILD)/centrala serve --config $(CONFIG)

# Everything: formatting, unit tests, the unit tests again under ASan+UBSan, the fuzz
# harnesses (seeds replayed, then FUZZ_SMOKE seconds each), the threaded parts under
# TSan, the store on PostgreSQL, the protocol and end-to-end tests against the real
# binary with real peers, twice (release build on io_uring, ASan+UBSan build on epoll),
# and the web application in a real browser.
TEST_STEPS = test-deps format-check build unit asan fuzz-smoke tsan store-pg protocol \
	protocol-asan web deb-test
# Each step in turn (tests/run-steps prints the seconds each took), the first failure
# stops the run.
test:
	@tests/run-steps $(TEST_STEPS)

# Most unit suites wait on real timers (the media tests play and record in real time),
# so twice as many as there are cores keep the machine busy.
UNIT_JOBS ?= $(shell echo $$(( $(JOBS) * 2 )))
unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(UNIT_JOBS)

asan: asan-build
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

# At -O1, as the sanitizers' authors advise for speed: asserts stay on (Debug) and
# reports keep their stacks (frame pointers).
asan-build:
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1" \
		-DCENTRALA_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# The protocol and end-to-end suites (tests/sip, tests/e2e) run twice, every test on
# both media packet paths and under the sanitizers: `make protocol` runs them against
# the release build on io_uring with the kernel relay of bridged RTP (eBPF: as root, or
# with CAP_BPF and CAP_NET_ADMIN), `make protocol-asan` against the ASan+UBSan build on
# the epoll fallback without it. tests/run-protocol runs PROTOCOL_JOBS tests at once, each on its
# own port block and scratch directory, then those whose header says "# serial" (load
# tests) one by one. Most of a test's time goes on SIP and media timers: the release
# suite took 885 s one test at a time for about 3.5 min of CPU, the ASan one about 6.5
# min of CPU. Four ASan tests at once keep two cores busy without starving a test's
# timers; the release suite, at four, kept the machine a fifth busy, so it runs six.
PROTOCOL_JOBS ?= 4
PROTOCOL_RELEASE_JOBS ?= $(shell echo $$(( $(PROTOCOL_JOBS) * 3 / 2 )))
export PROTOCOL_JOBS

protocol: build
	@CENTRALA_RTP_IO=uring CENTRALA_RTP_KERNEL=on PROTOCOL_JOBS=$(PROTOCOL_RELEASE_JOBS) \
		tests/run-protocol $(BUILD)/centrala

# Against the ASan+UBSan server, every test but those named here. A sanitizer report
# from the server or any command a test runs (ASan, UBSan, LeakSanitizer at exit) fails
# the test (tests/sip/lib.sh: reports go to the test's scratch directory). Excluded:
#   t-soak: its assertion is the server's RSS growth per minute under load, which ASan
#     (quarantine of freed memory, shadow memory, full malloc stacks) makes meaningless;
#     the calls it places go through the same paths as the tests that do run here.
PROTOCOL_ASAN_EXCLUDE ?= t-soak
protocol-asan: asan-build
	@ASAN_OPTIONS=detect_leaks=1 CENTRALA_RTP_IO=epoll PROTOCOL_EXCLUDE="$(PROTOCOL_ASAN_EXCLUDE)" \
		tests/run-protocol $(ASAN_BUILD)/centrala

# ThreadSanitizer: the unit tests whose modules run threads (media workers, the store's
# writer and readers, data dips, TTS workers, webhook delivery), then protocol tests that
# drive the API server and its inbox, the engine's queues, the media workers and the
# email and SMS workers (with their SMPP sessions' threads, across a reload) through
# the TSan server (a report makes it exit 66: the test fails), on port blocks of their
# own (slots 91-97): `make protocol` starts right after on slots 1 and up, and a TSan
# server is slow to let go of its sockets.
TSAN_UNIT ?= ^test_(media|store|dip|tts|api|core)
TSAN_PROTOCOL ?= t-api.sh t-call-caller-hangs-up t-dtmf-rfc4733 t-email.sh t-sms.sh \
	t-channels-reload
# Only what it runs is built: the server and the unit tests TSAN_UNIT names.
tsan:
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCENTRALA_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS) --target centrala $$(cd $(TSAN_BUILD) && \
		ctest -N -R '$(TSAN_UNIT)' | sed -n 's/^ *Test *#[0-9]*: *\(test_[a-z0-9_]*\)$$/\1/p' | \
		sed -E 's/_(epoll|kernel)$$//' | sort -u)
	@cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		ctest --output-on-failure -j $(JOBS) -R '$(TSAN_UNIT)'
	@PROTOCOL_SLOT_BASE=90 tests/run-protocol $(TSAN_BUILD)/centrala $(TSAN_PROTOCOL)

# libFuzzer harnesses (fuzz/*.c, clang, ASan+UBSan) in $(FUZZ_BUILD): tests/fuzz/run
# replays each seed corpus (tests/fuzz/corpus/<harness>/) and fuzzes each harness.
fuzz-build:
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
		-DCENTRALA_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all

fuzz: fuzz-build
	@tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SECONDS)

fuzz-smoke: fuzz-build
	@tests/fuzz/run $(FUZZ_BUILD) $(FUZZ_SMOKE)

# The store suite again, against a real PostgreSQL server started for the run.
store-pg: build
	@tests/store/run $(BUILD)

# The web application: its catalogues and components checked (every key in pl, es, ru
# and en, no hard-coded text), then the browser tests (tests/browser, headless Chromium
# through playwright-core) against the real server and SIPp; screenshots of every main
# screen in every language land in $(BUILD)/web-screenshots.
# Browser tests at once: each runs headless Chromium (two for the phone calls test)
# beside the server and SIPp. Four at once overloaded two cores; two at once, with the
# twenty tests there are now, still let a pair starve each other (a click the renderer
# took 15 s to take, the phone test's audio falling silent): one at a time.
WEB_JOBS ?= 1
web: build
	@node web/tests/check-i18n.mjs
	@PROTOCOL_DIRS=browser PROTOCOL_JOBS=$(WEB_JOBS) PROTOCOL_TEST_TIMEOUT=180 tests/run-protocol $(BUILD)/centrala

bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b; done

format:
	@clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)
