# The two commands of the README: `make run` opens the console, `make test` runs every check.
PYTHON ?= python3
# Debian packages the tests drive for real, and the libraries Qt needs to draw offscreen.
PEERS := prometheus prometheus-alertmanager
QT_LIBS := libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 \
	libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0

.PHONY: run test install system-deps checks pytest

run: install
	incident-console

install:
	$(PYTHON) -m pip install -q -e ".[test]"

system-deps:
	@missing=""; for p in $(PEERS) $(QT_LIBS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

checks:
	ruff check console tests bench tools
	ruff format --check console tests bench tools
	mypy
	lint-imports

pytest:
	INCIDENT_CONSOLE_REQUIRE_PEERS=1 $(PYTHON) -m pytest

test: system-deps install checks pytest
