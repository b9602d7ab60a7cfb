# The emulator's RTA WebSocket endpoint (tools/mpsd_emulator/websocket.py, rta.py).
#   make emulator-rta-test   only its tests (tests/emulator/test_rta.py); they also
#                            run in `make emulator-test` with the rest of tests/emulator
# The foreign WebSocket client of those tests is Debian's python3-websockets.

DEB_PKGS += python3-websockets openssl
.PHONY: emulator-rta-test

emulator-rta-test:
	$(PYTHON) -m unittest tests/emulator/test_rta.py
