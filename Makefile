# bgterm build, test, demo and benchmarks. Only Node.js and npm are assumed:
# Bun itself is installed from the npm registry into .tools/ on first use.
BUN_VERSION := 1.4.5
BUN := .tools/node_modules/.bin/bun
BIN := dist/bgterm
PREFIX ?= /usr/local
SOURCES := $(shell find src -name '*.ts') package.json Makefile

# Registries behind a TLS-inspecting proxy need the machine's CA store; npm and
# bun both honour NODE_EXTRA_CA_CERTS, so point it at the system bundle unless set.
SYSTEM_CA := $(wildcard /etc/ssl/certs/ca-certificates.crt)
ifneq ($(SYSTEM_CA),)
NODE_EXTRA_CA_CERTS ?= $(SYSTEM_CA)
export NODE_EXTRA_CA_CERTS
endif

.PHONY: all build test test-unit test-slow check demo bench lint format typecheck clean install deps

all: build

$(BUN):
	npm install --prefix .tools --no-save --no-audit --no-fund --no-package-lock --loglevel=error bun@$(BUN_VERSION)
	@# npm may skip bun's postinstall; the platform package holds the same binary.
	@$(BUN) --version >/dev/null 2>&1 || node .tools/node_modules/bun/install.js
	@$(BUN) --version

node_modules/.deps-installed: package.json bun.lock | $(BUN)
	$(BUN) install --frozen-lockfile
	@touch $@

deps: node_modules/.deps-installed

# A compiled Bun program reads ./.env and ./bunfig.toml from the caller's current
# directory at start unless told not to: a project's .env would end up in every
# session bgterm starts there, and each start would list the directory.
NO_AUTOLOAD := --no-compile-autoload-dotenv --no-compile-autoload-bunfig

$(BIN): node_modules/.deps-installed $(SOURCES)
	@mkdir -p dist
	$(BUN) build --compile --minify --bytecode --format=esm --splitting $(NO_AUTOLOAD) src/main.ts src/pty/pty-worker.ts --outfile $(BIN)

build: $(BIN)

# Tests drive the compiled binary; each file uses its own state dir.
# `test` is what CI runs; slow cases (*.slow.test.ts) run in `test-slow`.
test: build
	$(BUN) test --timeout 120000 --path-ignore-patterns '**/*.slow.test.ts' test/

# Pure modules only: seconds, no binary needed.
test-unit: node_modules/.deps-installed
	$(BUN) test --timeout 20000 test/unit/

# With no slow files, say so (bun test with no paths would run everything).
test-slow: build
	@files=$$(find test -name '*.slow.test.ts' | sort); \
	if [ -z "$$files" ]; then echo "no slow tests (test/**/*.slow.test.ts)"; \
	else $(BUN) test --timeout 600000 $$files; fi

typecheck: node_modules/.deps-installed
	$(BUN) x tsc --noEmit -p .

lint: node_modules/.deps-installed
	node_modules/.bin/biome check .

format: node_modules/.deps-installed
	node_modules/.bin/biome format --write .

check: typecheck lint test

demo: build
	@sh test/fixtures/demo.sh $(BIN)

bench: build
	$(BUN) run bench/run.ts

install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/bgterm

clean:
	rm -rf dist
