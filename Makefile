# Short wrapper around CMake. See README.md.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
TSAN_BUILD ?= build-tsan
# `make fuzz`: seconds of fuzzing per harness; `make test` runs each for FUZZ_SMOKE.
FUZZ_SECONDS ?= 300
FUZZ_SMOKE  ?= 15
JOBS       ?= $(shell nproc)
CONFIG     ?= examples/demo.yaml
SOURCES     = $(shell git ls-files '*.c' '*.h' 2>/dev/null)

.PHONY: all build install deb deb-test run test unit asan asan-build protocol-asan tsan fuzz fuzz-smoke fuzz-build store-pg protocol web deps test-deps bench format format-check clean

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

# A Debian package of the tracked files as they are in the work tree, built with
# dpkg-buildpackage in $(BUILD)/deb and checked by lintian: $(BUILD)/deb/centrala_*.deb.
# The unit tests are left to `make test` (DEB_BUILD_OPTIONS=nocheck); pass
# DEB_BUILD_OPTIONS= to run them inside the build.
DEB_BUILD_OPTIONS ?= nocheck
deb: build
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
# binary with real peers (then a subset against the ASan build), and the web
# application in a real browser.
test: test-deps format-check build unit asan fuzz-smoke tsan store-pg protocol protocol-asan web

unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

asan: asan-build
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

asan-build:
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCENTRALA_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

# Protocol tests against the ASan+UBSan server: calls with media, DTMF, transfers, the
# IVR, queues, registration and digest, the API, the torture messages. A sanitizer
# report in the server's log, or a non-zero exit (LeakSanitizer at exit), fails the test
# (tests/sip/lib.sh, stop_server).
PROTOCOL_ASAN ?= t-api.sh t-api-control t-call-caller-hangs-up t-call-refer t-call-cancel \
	t-dtmf-info t-dtmf-rfc4733 t-hold t-ivr-menu t-queue-abandon t-register.sh t-nonce-replay \
	t-options t-sip-torture t-sigterm-drain t-record-disk-full t-api-trunks t-trunk-register \
	t-reload-tenants t-api-flows \
	t-campaign-progressive t-campaign-abandon t-campaign-preview t-campaign-amd
protocol-asan: asan-build
	@ASAN_OPTIONS=detect_leaks=1 tests/run-protocol $(ASAN_BUILD)/centrala $(PROTOCOL_ASAN)

# ThreadSanitizer: the unit tests whose modules run threads (media workers, the store's
# writer and readers, data dips, TTS workers, webhook delivery), then protocol tests that
# drive the API server and its inbox, the engine's queues and the media workers through
# the TSan server (a report makes it exit 66: the test fails).
TSAN_UNIT ?= ^test_(media|store|dip|tts|api|core)
TSAN_PROTOCOL ?= t-api.sh t-call-caller-hangs-up t-dtmf-rfc4733
tsan:
	@cmake -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCENTRALA_TSAN=ON >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)
	@cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		ctest --output-on-failure -j $(JOBS) -R '$(TSAN_UNIT)'
	@tests/run-protocol $(TSAN_BUILD)/centrala $(TSAN_PROTOCOL)

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

# The whole suite runs on the io_uring media path (rtp.io: uring, tests/sip/lib.sh), then
# the media-heavy tests again on the epoll fallback: calls with recording, hold, DTMF
# both ways, in-band DTMF, IVR menus and voicemail, announcements, transcoding refusal,
# consultation and conference through the mixer (t-api-control), and the baresip
# end-to-end test with its recording check, and an impaired caller's stream (t-rtp-impaired).
PROTOCOL_EPOLL ?= t-call- t-dtmf- t-hold t-ivr-inband t-ivr-menu t-ivr-voicemail \
	t-queue-announce t-queue-spread t-no-common-codec t-api-control t-baresip t-rtp-impaired

protocol: build
	@tests/run-protocol $(BUILD)/centrala
	@CENTRALA_RTP_IO=epoll tests/run-protocol $(BUILD)/centrala $(PROTOCOL_EPOLL)

# The web application: its catalogues and components checked (every key in pl, es, ru
# and en, no hard-coded text), then the browser tests (tests/browser, headless Chromium
# through playwright-core) against the real server and SIPp; screenshots of every main
# screen in every language land in $(BUILD)/web-screenshots.
web: build
	@node web/tests/check-i18n.mjs
	@PROTOCOL_DIRS=browser PROTOCOL_TEST_TIMEOUT=180 tests/run-protocol $(BUILD)/centrala

bench: build
	@for b in $(BUILD)/bench_*; do echo "== $$b"; $$b; done

format:
	@clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run --Werror $(SOURCES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(TSAN_BUILD)
