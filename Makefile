# Two commands do all the set-up on a fresh machine: `make run` serves, `make test` tests.
PY ?= python3
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test chromium poppler nginx lint bench fuzz-long

run: install
	$(PY) -m chainrule.app.cli serve --host $(HOST) --port $(PORT)

install:
	$(PIP) install -q -e .

install-test:
	$(PIP) install -q -e '.[test,bench]'

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
chromium:
	@test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# poppler-utils for tests/browser/test_handout.py (pdftotext, pdfinfo, pdftoppm read the PDF).
poppler:
	@command -v pdftotext >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null; }

# nginx for tests/app/test_reverse_proxy.py (it runs the configuration in docs/deployment.md).
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx \
		>/dev/null; }

lint:
	$(PY) -m ruff check .

test: install-test chromium poppler nginx lint
	$(PY) -m pytest -n 2 -p no:cacheprovider

bench: install-test chromium
	$(PY) -m bench

fuzz-long: install-test
	CHAINRULE_FUZZ_EXAMPLES=20000 $(PY) -m pytest tests/fuzz -p no:cacheprovider
