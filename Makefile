# The two commands of the README: `make run` opens the console, `make test` runs every check.
PYTHON ?= python3
# The libraries Qt needs to draw (a desktop usually has them), and the Debian packages the
# tests drive for real.
QT_LIBS := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
PEERS := prometheus prometheus-alertmanager postgresql

.PHONY: run test install qt-deps peer-deps checks pytest

run: qt-deps install
	incident-console

install:
	$(PYTHON) -m pip install -q -e ".[test]"

# Installs what is missing with apt-get (as root); does nothing when all is present.
define apt_missing
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

qt-deps:
	$(call apt_missing,$(QT_LIBS))

peer-deps:
	$(call apt_missing,$(PEERS))

checks:
	ruff check console tests bench tools
	ruff format --check console tests bench tools
	mypy
	lint-imports

pytest:
	INCIDENT_CONSOLE_REQUIRE_PEERS=1 $(PYTHON) -m pytest

test: qt-deps peer-deps install checks pytest
