# The emulator's live dashboard in a real browser: Debian's chromium, headless,
# driven by playwright-core from npm (tests/dashboard/; it never downloads a
# browser). Runs make demo's story against the emulator with the page open
# and checks the live updates; screenshot in build/dashboard/dashboard.png.
#   make dashboard-test        the browser test (about 4 s once node_modules is in)
#   make dashboard-screenshot  the test, then the screenshot copied to docs/dashboard.png

DEB_PKGS     += chromium nodejs python3   # npm comes with nodejs (a separate "npm" package would conflict with it)
TEST_STAGES  += dashboard-test   # the issue asks for the browser test in the fast loop; about 5 s
.PHONY: dashboard-test dashboard-screenshot dashboard-node-modules

DASHBOARD_DIR  := tests/dashboard
DASHBOARD_SHOT := $(BUILD)/dashboard/dashboard.png

# npm ci installs exactly the committed lock file (node_modules is gitignored)
$(DASHBOARD_DIR)/node_modules/.package-lock.json: $(DASHBOARD_DIR)/package.json $(DASHBOARD_DIR)/package-lock.json
	cd $(DASHBOARD_DIR) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

dashboard-node-modules: $(DASHBOARD_DIR)/node_modules/.package-lock.json

dashboard-test: dashboard-node-modules examples tools
	node $(DASHBOARD_DIR)/dashboard_test.js $(DASHBOARD_SHOT)

dashboard-screenshot: dashboard-test
	mkdir -p docs && cp $(DASHBOARD_SHOT) docs/dashboard.png
