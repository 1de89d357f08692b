# The two commands of the README: `make demo` and `make test`.
# Each installs what it needs: Debian packages (as root) and a virtualenv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint types layers unit system venv bench flow-diagram docs-receipts \
	translations ts gallery maintenance-gallery clean crash fuzz soak load deb appliance-test

QM := ui/i18n/kiosk_zh_CN.qm

demo: system venv translations
	$(BIN)/kiosk-dev demo --out demo-out

test: system venv translations check unit

check: lint types layers

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: venv
	$(BIN)/mypy

layers: venv
	$(BIN)/lint-imports

unit: venv
	$(BIN)/pytest -q --durations=30

bench: system venv deb
	$(BIN)/python bench/journal.py
	$(BIN)/python bench/bill_acceptor.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/central_load.py
	$(BIN)/python bench/payments.py
	$(BIN)/python bench/reconcile.py
	$(BIN)/python bench/ui.py
	$(BIN)/python bench/journal_retention.py
	$(BIN)/python bench/update.py

# The kiosk left running for MINUTES (see the README's Benchmarks section).
MINUTES ?= 30

soak: system venv translations
	$(BIN)/python bench/soak.py --minutes $(MINUTES)

# The seed's load test: locust (bench/locustfile.py) runs KIOSKS kiosks' journeys
# for LOAD_MINUTES against a local server on PostgreSQL (see the README's capacity).
KIOSKS ?= 500
LOAD_MINUTES ?= 2

load: system venv
	$(BIN)/python bench/load.py --kiosks $(KIOSKS) --minutes $(LOAD_MINUTES)

# The reliability campaigns (long: see the README's Reliability section).
RUNS ?= 1000
COUNT ?= 1000000

crash: system venv
	$(BIN)/python bench/crash.py --runs $(RUNS)

fuzz: venv
	$(BIN)/python bench/fuzz.py --count $(COUNT)

# Render the pay-flow state diagram that the README shows.
flow-diagram: system venv
	$(BIN)/kiosk flow --dot > docs/flow.dot
	dot -Tsvg docs/flow.dot -o docs/flow.svg

# Render the sample receipts the README shows (zh and en, 58 and 80 mm).
docs-receipts: system venv
	for lang in zh en; do for paper in 58 80; do \
	  rm -rf var/sample && $(BIN)/kiosk receipt sample --lang $$lang --paper $$paper --out var/sample \
	  && mv var/sample/printed-001.png docs/receipt-$$lang-$$paper.png || exit 1; \
	done; done

system:
	@sh packaging/dev/install-system-packages.sh

# The Debian packages, kiosk and kiosk-central, into dist/ (devtools/deb.py).
deb: system venv translations
	$(BIN)/python -m devtools.deb --out dist

# The kiosk package on a real boot: debootstrap, apt, qemu (devtools/appliance.py).
# Not in `make test` (it takes minutes and downloads Debian); as root.
appliance-test: deb
	@command -v debootstrap >/dev/null && command -v qemu-system-x86_64 >/dev/null || \
		apt-get install -y -q --no-install-recommends debootstrap qemu-system-x86
	$(BIN)/python -m devtools.appliance

# Compiled translations (.qm) from the Qt Linguist sources (.ts) in the repo.
translations: venv $(QM)

$(QM): ui/i18n/kiosk_zh_CN.ts
	$(BIN)/pyside6-lrelease $< -qm $@

# Refresh the .ts from the strings in ui/ (new ones come in unfinished; a test
# fails until each has its Chinese).
ts: venv
	$(BIN)/pyside6-lupdate $$(find ui -name '*.py' | sort) -locations none -no-obsolete \
	  -source-language en -target-language zh_CN -ts ui/i18n/kiosk_zh_CN.ts

# Every screen in zh and en, portrait and landscape, for the README.
gallery: system venv translations
	$(BIN)/kiosk-dev gallery --out docs/gallery

maintenance-gallery: system venv translations
	$(BIN)/kiosk-dev maintenance-gallery --out docs/maintenance

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) var demo-out dist $(QM) .mypy_cache .ruff_cache .pytest_cache .hypothesis
