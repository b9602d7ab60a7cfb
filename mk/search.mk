# Search handles and session queries (issue 17): the find-a-game flow
# against the emulator. `make find-game-check` starts an emulator on a free
# loopback port, runs examples/find_game (Alice creates a searchable session
# and its search handle with tags and attributes, Bob queries with a filter,
# finds it and joins) and stops the emulator; find_game exits non-zero on
# any failed step.
.PHONY: find-game-check
CHECK_STAGES += find-game-check

find-game-check: $(BUILD)/examples/find_game
	bash -c '. tools/emulator.sh && start_emulator && $(BUILD)/examples/find_game 127.0.0.1 "$$MPSD_PORT" find-game-check'
