# Linli: `make demo` and `make test` are the whole set-up on a fresh Debian 12
# machine (Rust toolchain and Node >= 20.19 present; Debian packages are
# installed here when missing).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
# Where cargo puts binaries; CI points CARGO_TARGET_DIR at a cache.
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
APP_BIN := $(TARGET_DIR)/debug/linli-app
SERVER_BIN := $(TARGET_DIR)/debug/linli-sync-server
# npm writes this after every install, so it is newer than the lock file
# exactly when node_modules matches it.
UI_INSTALLED := ui/node_modules/.package-lock.json
ADMIN_INSTALLED := admin/node_modules/.package-lock.json

# One thing at a time, in the order listed: cargo already uses every core, and
# the order below puts cheap checks first.
.NOTPARALLEL:

.PHONY: help deps ui ui-test admin admin-test api-check admin-e2e build fmt-check clippy cargo-test smoke e2e tauri-driver app-bench walkthrough test demo

help:
	@echo "make demo   build, start the sync server, open the app"
	@echo "make test   formatting, lints, Rust and UI tests, app smoke and end-to-end tests, API walkthrough"

deps:
	scripts/install-deps.sh

$(UI_INSTALLED): ui/package.json ui/package-lock.json | deps
	cd ui && npm ci --no-audit --no-fund

# ui/dist is embedded into the app at compile time, so it is built before any
# cargo command that compiles linli-app (clippy and tests included).
ui: $(UI_INSTALLED)
	cd ui && npm run build

ui-test: $(UI_INSTALLED)
	cd ui && npm test

$(ADMIN_INSTALLED): admin/package.json admin/package-lock.json | deps
	cd admin && npm ci --no-audit --no-fund

# admin/dist is compiled into the sync server (served at /admin), so it is built
# before any cargo command that compiles linli-sync-server.
admin: $(ADMIN_INSTALLED)
	cd admin && npm run build

# Unit tests, and the generated API types against admin/openapi.json.
admin-test: $(ADMIN_INSTALLED)
	cd admin && npm run check:api && npm test

# admin/openapi.json is what the server describes: a changed endpoint without
# regenerated types fails here (fix: $(SERVER_BIN) openapi > admin/openapi.json
# && (cd admin && npm run gen:api)).
api-check: build
	@$(SERVER_BIN) openapi | diff -q admin/openapi.json - >/dev/null \
	  || { echo "api-check: admin/openapi.json differs from the server's /openapi.json; regenerate it and the types" >&2; exit 1; }
	@echo "api-check: admin/openapi.json matches the server"

# The staff's day through the admin web in headless Chromium against a demo
# server; screenshots in artifacts/admin.
admin-e2e: build
	scripts/admin-e2e.sh $(SERVER_BIN) artifacts/admin $(TARGET_DIR)/debug/counter-short

# One cargo invocation builds the app, the server and every test target, so
# they share one feature resolution: `cargo test` then compiles nothing anew,
# where a separate `cargo build -p linli-app` would resolve features
# differently and rebuild most of the dependency tree (about 10 minutes cold).
build: ui admin
	$(CARGO) build --workspace --bins --tests --examples

fmt-check:
	$(CARGO) fmt --all --check

clippy: ui admin
	$(CARGO) clippy --workspace --all-targets -- -D warnings

cargo-test: build
	$(CARGO) test --workspace

smoke: build
	scripts/app-smoke.sh $(APP_BIN) artifacts/app-smoke.png

# WebDriver in front of the app's WebKit view; installed once, only when missing.
tauri-driver:
	@command -v tauri-driver >/dev/null || [ -x "$${CARGO_HOME:-$$HOME/.cargo}/bin/tauri-driver" ] \
	  || $(CARGO) install --locked tauri-driver

# The counter day end to end through the real window; screenshots in artifacts/e2e.
e2e: build tauri-driver
	scripts/app-e2e.sh $(APP_BIN) artifacts/e2e

# Figures for docs/BENCHMARKS.md (not part of `make test`: it measures, asserts nothing).
app-bench: build tauri-driver
	LINLI_E2E_SCENARIO=latency LINLI_DEMO_ORDERS=10000 scripts/app-e2e.sh $(APP_BIN) artifacts/app-bench

# The README's curl walkthrough against a real demo server: order, cutoff, PDFs.
walkthrough: build
	scripts/api-walkthrough.sh $(SERVER_BIN) artifacts/walkthrough

# Cheap checks first so a formatting slip fails in seconds, not minutes.
test: deps fmt-check ui-test admin-test clippy cargo-test api-check smoke e2e walkthrough admin-e2e

demo: deps build
	scripts/demo.sh $(APP_BIN) $(SERVER_BIN)
