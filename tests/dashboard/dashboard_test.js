// The emulator's dashboard in a real browser: Debian's chromium, headless,
// driven by playwright-core (which never downloads a browser). Starts the
// emulator, opens the page, runs make demo's story (tools/demo.sh) against
// it and waits for the live updates: the session, both members, the 412 and
// the leave must appear without a reload. Saves a screenshot.
//   node tests/dashboard/dashboard_test.js [screenshot.png]
'use strict';
const assert = require('assert');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const SHOT = path.resolve(process.argv[2] || path.join(ROOT, 'build', 'dashboard', 'dashboard.png'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCID = '00000000-0000-0000-0000-0000deadbeef';
const WAIT_MS = 20000;   // a bound for each wait, not a measured figure

function startEmulator() {
  const emu = spawn('python3', [path.join(ROOT, 'tools', 'mpsd_emulator.py'), '--host', '127.0.0.1', '--port', '0'],
                    { stdio: ['ignore', 'pipe', 'pipe'] });
  emu.stderr.on('data', () => {});   // the per-request log: not needed here
  return new Promise((resolve, reject) => {
    let out = '';
    emu.stdout.on('data', chunk => {
      out += chunk;
      const m = /listening on [^:]+:(\d+)/.exec(out);
      if (m) resolve({ emu, port: Number(m[1]) });
    });
    emu.on('exit', code => reject(new Error('the emulator exited with ' + code)));
  });
}

function runStory(port) {
  // make demo's story, against this emulator; its session name is demo-<pid>
  const out = execFileSync('bash', [path.join(ROOT, 'tools', 'demo.sh')],
                           { cwd: ROOT, env: { ...process.env, DEMO_ATTACH_PORT: String(port), KEEP: '0' } });
  const m = /session (demo-\d+)/.exec(out.toString());
  assert(m, 'the story names its session');
  return m[1];
}

async function main() {
  const { emu, port } = await startEmulator();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'xbl-mpsd-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1440, height: 1100 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] || await context.newPage();
    const errors = [];
    page.on('pageerror', e => errors.push(String(e)));
    page.setDefaultTimeout(WAIT_MS);

    await page.goto('http://127.0.0.1:' + port + '/');
    await page.waitForSelector('#live.on');
    assert.strictEqual(await page.locator('#sessions .card').count(), 0, 'a fresh emulator has no session');

    const name = runStory(port);
    const key = SCID + '/quick/' + name;
    // live: the page was loaded before the story and is never reloaded
    const card = page.locator(`#sessions .card[data-key="${key}"]`);
    await card.waitFor();
    await card.click();
    const history = page.locator(`#detail [data-session="${key}"] #history`);
    await history.locator('tr.entry.deleted').waitFor();            // the last leave deleted it

    const refused = history.locator('tr.entry.refusal[data-status="412"]');
    assert.strictEqual(await refused.count(), 1, 'one 412 in the history');
    assert.match(await refused.innerText(), /412 refused/);
    assert.match(await refused.innerText(), /Alice/, 'the 412 was Alice\'s write');

    const text = await history.innerText();
    assert.match(text, /session created/);
    assert.match(text, /joined: Bob/, 'Bob joined (through the handle)');
    assert.match(text, /left: Bob/, 'Bob left');
    assert.match(text, /session deleted/, 'Alice left last and the session went');
    assert.match(text, /Alice\s+\(2814600000000001\)/);
    assert.match(text, /Bob\s+\(2814600000000002\)/);
    assert.match(await page.locator('#sessions').innerText(), /deleted/);

    const log = page.locator('#request-log');
    assert.strictEqual(await log.locator('tr.request[data-status="412"]').count(), 1, 'the 412 in the request log');
    assert(await log.locator('tr.request[data-status="204"]').count() >= 1, 'the 204 of the last leave');

    // filtering the request log by session keeps only its rows
    // (the page re-renders on its own schedule: wait for the filtered table)
    await page.selectOption('#filter-session', key);
    await page.waitForFunction(k => {
      const rows = [...document.querySelectorAll('#request-log tr.request')];
      return rows.length > 0 && rows.every(tr => tr.dataset.session === k);
    }, key, { timeout: WAIT_MS }).catch(async () => {
      const rows = await log.locator('tr.request').evaluateAll(trs => trs.map(tr => tr.dataset.session));
      assert.fail('the filter shows this session only; rows: ' + JSON.stringify([...new Set(rows)]));
    });
    await page.selectOption('#filter-session', '');

    assert.deepStrictEqual(errors, [], 'no script error on the page');
    fs.mkdirSync(path.dirname(SHOT), { recursive: true });
    await page.screenshot({ path: SHOT, fullPage: true });
    console.log('dashboard-test: session ' + name + ', both members, the 412 and the leave shown live; screenshot ' +
                path.relative(ROOT, SHOT));
  } finally {
    if (context) await context.close();
    emu.kill('SIGTERM');
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch(e => { console.error('dashboard-test: FAILED: ' + (e && e.stack || e)); process.exit(1); });
