# Switchboard — the two commands a newcomer needs are `make run` and `make test`.
# Both install what they need (scripts/ensure-deps.sh, apt) on a fresh Debian machine.

CARGO  ?= cargo
CONFIG ?= switchboard.toml
TARGET_DIR ?= $(or $(CARGO_TARGET_DIR),target)

.PHONY: run test test-unit test-interop test-browser bench fmt fmt-check clippy deps build web

deps:
	@scripts/ensure-deps.sh test

# The softphone bundle (static/softphone.js) from web/src; the server embeds it when built.
web:
	@scripts/build-web.sh

build:
	@scripts/ensure-deps.sh run
	@scripts/build-web.sh
	$(CARGO) build --release -p switchboard

# Starts the server with defaults that work on a laptop (SQLite under ./data); a
# switchboard.toml in this directory is used when present.
run: build
	@if [ -f "$(CONFIG)" ]; then \
	  exec $(TARGET_DIR)/release/switchboard serve --config "$(CONFIG)"; \
	else \
	  exec $(TARGET_DIR)/release/switchboard serve; \
	fi

# Every test layer: unit, protocol scenarios, loopback integration (SQLite + PostgreSQL),
# interop with real peers (sipp, baresip, JsSIP), then Playwright calls between real
# browsers; cargo's summaries stay visible and the last line is the total
# "N passed, N failed" (scripts/test.sh).
test: deps
	@scripts/build-web.sh
	scripts/test.sh

test-unit: deps
	$(CARGO) test --workspace

test-interop: deps
	e2e/interop.sh

test-browser: deps
	@scripts/build-web.sh
	e2e/browser/run.sh

# Whole-system load with sipp against Switchboard and Kamailio in the same run, then the
# criterion micro-benchmarks of the sip crate.
bench:
	@scripts/ensure-deps.sh bench
	scripts/bench.sh

fmt:
	$(CARGO) fmt --all

fmt-check:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
