// End-to-end checks of the demo front end (www/) in headless Chromium, against the very server `make demo` runs.
// One scenario, step by step, as a person would click through it; screenshots of the main states go to
// target/screenshots/ (or to the committed docs/screenshots/ with UPDATE_SCREENSHOTS=1, as `make screenshots` does).
// Every shot first asserts what the preview shows (no error, the expected cost or shortfall). The committed shots
// are checked for being current without comparing pixels (font rendering differs between Chromium builds):
// docs/screenshots/states.json records, per shot, the page's text state (badge, preview, breakdown with clock times
// masked) and a hash of www/; a run whose states or page differ from it fails and asks for `make screenshots`.
// axe-core (tests/e2e/node_modules, `npm ci` there) scans several states: no serious or critical violation may
// remain. A second, keyboard-only visit goes through create, preview and generate with Tab, arrows and Enter.
// Prints `N passed, N failed` last and exits non-zero on any failure.
//   node tests/e2e/demo.e2e.mjs        (needs the built package in pkg/: make pkg)
// Env: CHROMIUM_PATH (default /usr/bin/chromium), E2E_TIMEOUT_MS (whole run, default 180000).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';
const SHOTS = path.join(ROOT, UPDATE ? 'docs/screenshots' : 'target/screenshots');
const STATES = path.join(ROOT, 'docs/screenshots/states.json');
const AXE = path.join(ROOT, 'tests/e2e/node_modules/axe-core/axe.min.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS ?? 300_000);
const KEY = 'credit-engine-demo'; // the page's localStorage key
// A fixed demo start (09:00 in Berlin) so the scenario never straddles a real midnight.
const START = '2026-03-10T08:00:00Z';
const ZONE = 'Europe/Berlin';

let passed = 0;
let failed = 0;
let server;
let browser;

// Every process we start is bounded: past the deadline everything is killed and the run fails.
const watchdog = setTimeout(() => {
  console.error(`e2e: not finished within ${TIMEOUT} ms`);
  finish(1);
}, TIMEOUT);

async function finish(code) {
  clearTimeout(watchdog);
  server?.kill('SIGTERM');
  // browser.close() can hang on a wedged renderer; playwright kills the process on exit anyway.
  await Promise.race([browser?.close(), new Promise((r) => setTimeout(r, 5000))]).catch(() => {});
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code || (failed ? 1 : 0));
}

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok - ${name}`);
  } catch (err) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(err?.stack ?? err).split('\n').slice(0, 8).join('\n  ')}`);
  }
}

function assert(ok, message) {
  if (!ok) throw new Error(message);
}

/** Polls until fn() returns a truthy value (the page updates asynchronously), else fails with the last value. */
async function until(fn, message, ms = 5000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > end) throw new Error(`${message} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const shots = {}; // screenshot name -> the page state it shows
const axeScans = [];
const axeFindings = [];

/** The text a screenshot shows that matters: badge, preview, breakdown (clock times masked: the demo clock runs). */
function pageState(p) {
  return p.evaluate(() => {
    const q = (id) => document.querySelector(`[data-testid="${id}"]`);
    const t = (id) => (q(id) ? q(id).textContent.replace(/\s+/g, ' ').trim() : null);
    const mask = (s) => s && s.replace(/\b\d{1,2}:\d{2}(:\d{2})?\b/g, 'hh:mm');
    return {
      badge: q('badge').hidden ? null : t('badge-total'),
      previewError: t('preview-error'),
      credits: t('preview-credits'),
      shortfall: q('preview-shortfall') ? q('preview-shortfall').querySelector('b').textContent : null,
      draws: [...document.querySelectorAll('[data-testid=preview-draws] li')].map((li) => `${li.dataset.kind}:${li.querySelector('b').textContent}`),
      breakdown: q('breakdown').hidden ? null : mask(t('breakdown')),
    };
  });
}

/** sha256 of the demo page's files: a change to them calls for new screenshots. */
function pageHash() {
  const h = createHash('sha256');
  for (const f of readdirSync(path.join(ROOT, 'www')).sort()) h.update(f).update(readFileSync(path.join(ROOT, 'www', f)));
  return h.digest('hex').slice(0, 16);
}

/** Runs axe-core in the page as it is now; serious and critical violations are collected for the final check. */
async function axeScan(p, label) {
  if (!existsSync(AXE)) throw new Error(`${AXE} is missing: run \`npm ci\` in tests/e2e`);
  if (!(await p.evaluate(() => typeof window.axe === 'object'))) await p.addScriptTag({ path: AXE });
  const violations = await p.evaluate(async () => (await window.axe.run(document, { resultTypes: ['violations'] })).violations
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ')) })));
  axeScans.push(label);
  for (const v of violations) {
    const line = `${label}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.join(', ')}`;
    if (v.impact === 'serious' || v.impact === 'critical') axeFindings.push(line);
    else console.log(`  axe (${v.impact}, not failing): ${line}`);
  }
}

/** Starts www/serve.mjs on a free port and returns its URL (from the one line it prints). */
function startServer() {
  server = spawn(process.execPath, [path.join(ROOT, 'www/serve.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('www/serve.mjs printed no URL within 10 s')), 10_000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^credit-engine demo: (http:\/\/127\.0\.0\.1:\d+\/)$/m);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    server.on('exit', (code) => reject(new Error(`www/serve.mjs exited (${code}) before listening`)));
  });
}

async function main() {
  if (!existsSync(path.join(ROOT, 'pkg/index.js'))) throw new Error('pkg/ is not built: run `make pkg` first');
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium`);
  const { chromium } = await import('playwright-core');
  mkdirSync(SHOTS, { recursive: true });
  const url = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM, timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: ZONE, locale: 'en-GB' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));

  const $ = (id) => page.locator(`[data-testid="${id}"]`);
  const text = async (id) => ((await $(id).textContent()) ?? '').trim();
  const badge = () => text('badge-total');
  const click = (id) => $(id).click();
  const status = () => text('status');
  const ledger = () => page.$$eval('[data-testid=ledger] tbody tr[data-type]', (rows) => rows.map((r) => ({
    type: r.dataset.type, what: r.cells[2].textContent.trim(), credits: r.cells[3].textContent.trim(),
  })).reverse()); // the table shows newest first; chronological is easier to read in a test
  const draws = () => page.$$eval('[data-testid=preview-draws] li', (l) => l.map((li) => [li.dataset.kind, li.querySelector('b').textContent]));
  // Before each screenshot: what the preview shows must be what the state calls for (`want`: the cost, and the
  // shortfall when credits do not suffice), never an error; the state's text is recorded for states.json.
  const shoot = async (name, want, { p = page, element, fullPage = true } = {}) => {
    const state = await pageState(p);
    assert(state.previewError === null, `${name}: the preview shows an error: ${state.previewError}`);
    assert(state.credits === want.credits, `${name}: the preview shows ${state.credits} credits, want ${want.credits}`);
    assert(state.shortfall === (want.short ?? null), `${name}: the preview's shortfall is ${state.shortfall}, want ${want.short ?? 'none'}`);
    if (!want.short) assert(state.draws.length > 0, `${name}: a sufficient preview lists no draws`);
    shots[name] = state;
    await p.evaluate(() => window.scrollTo(0, 0)); // a full-page shot of a scrolled page misplaces the sticky header
    const file = path.join(SHOTS, `${name}.png`);
    if (element) await p.locator(element).screenshot({ path: file });
    else await p.screenshot({ path: file, fullPage });
  };
  const ready = async (p = page) => p.locator('body.ready').waitFor({ timeout: 10_000 });
  // Moves the mouse away and waits for the toast to fade, so screenshots show the page and not the last message.
  const calm = async () => {
    await page.mouse.move(640, 880);
    await page.keyboard.press('Escape'); // closes the breakdown and dismisses the status message
    await page.waitForTimeout(300); // the message fades out
  };
  const setRequest = async ({ feature, tier, units, seconds }) => {
    if (feature) await $('feature').selectOption(feature);
    if (tier) await $(`tier-${tier}`).check({ force: true });
    if (units !== undefined) await $('units').fill(String(units));
    if (seconds !== undefined) await $('seconds').fill(String(seconds));
  };

  await check('the page loads; an empty wallet shows no credit badge, and an engine error is shown in words', async () => {
    await page.goto(`${url}?start=${START}`);
    await ready();
    await $('zone').selectOption(ZONE);
    await click('reset');
    assert(await $('badge').isHidden(), 'badge visible for an empty wallet (display rule says hide it)');
    assert(await $('preview-shortfall').isVisible(), 'preview does not report the shortfall');
    assert(await $('generate').isDisabled(), 'Generate enabled without credits');
    await click('buy');
    const s = await until(status, 'no status message');
    assert(s.includes('E_MEMBERS_ONLY'), `purchase without membership: status says "${s}"`);
    assert((await text('clock')).includes('09:00'), `demo clock does not start at ?start: ${await text('clock')}`);
    await axeScan(page, 'empty wallet, error message shown');
  });

  await check('the badge shows the right total (trial 50 + daily login 5) and the breakdown opens on hover', async () => {
    await click('start-trial');
    await until(async () => (await badge()) === '50', 'badge after trial');
    await click('daily-login');
    await until(async () => (await badge()) === '55', 'badge after daily login');
    await $('badge').hover();
    await $('breakdown').waitFor({ state: 'visible' });
    assert((await text('breakdown-agent')) === '5', 'agent credits in breakdown');
    assert((await text('breakdown-regular')) === '50', 'regular credits in breakdown');
    assert((await text('next-expiry')).includes('5 expire tonight'), `next expiry: ${await text('next-expiry')}`);
    await axeScan(page, 'trial and daily login, breakdown open');
    await calm();
  });

  await check('the breakdown works from the keyboard (Enter opens, Escape closes)', async () => {
    await $('badge').focus();
    await page.keyboard.press('Enter');
    await $('breakdown').waitFor({ state: 'visible' });
    assert((await $('badge').getAttribute('aria-expanded')) === 'true', 'aria-expanded not true');
    await page.keyboard.press('Escape');
    await $('breakdown').waitFor({ state: 'hidden' });
  });

  await check('the cost preview changes as the person types and switches features', async () => {
    await setRequest({ feature: 'agent.image_generation', tier: 'premium', units: 1 });
    await until(async () => (await text('preview-credits')) === '3', 'premium image preview');
    await $('units').fill('');
    await $('units').pressSequentially('4');
    await until(async () => (await text('preview-credits')) === '12', 'preview after typing 4');
    assert(JSON.stringify(await draws()) === JSON.stringify([['daily_login', '5'], ['trial', '7']]), `draw order ${JSON.stringify(await draws())}`);
    assert((await text('preview-after')).includes('43'), `balance after: ${await text('preview-after')}`);
    await $('units').pressSequentially('0'); // 40 images: 120 credits, more than the 55 there are
    await until(async () => (await $('preview-shortfall').isVisible()) && (await text('preview-shortfall')).includes('65'), 'shortfall 65');
    assert(await $('generate').isDisabled(), 'Generate enabled when credits do not suffice');
    await $('units').fill('0');
    await until(async () => (await $('preview-error').isVisible()) && (await text('preview-error')).includes('E_BAD_REQUEST'), 'error for 0 units');
    await setRequest({ feature: 'agent.video_generation', seconds: 7 });
    await until(async () => (await text('preview-credits')) === '40', 'video of 7 s is 2 blocks of 20');
    await setRequest({ feature: 'ai_background' });
    await until(async () => (await text('preview-credits')) === '4', 'AI background default 2 images');
    assert(JSON.stringify(await draws()) === JSON.stringify([['trial', '4']]), 'a non-agent feature must not use agent credits');
  });

  await check('moving the clock past midnight removes the daily credits from the badge without a reload (watch)', async () => {
    await page.evaluate(() => { window.__sameDocument = true; });
    await click('clock-before-midnight');
    assert((await badge()) === '55', 'daily credits gone before midnight');
    assert((await text('clock')).includes('23:59:5'), `clock: ${await text('clock')}`);
    await until(async () => (await badge()) === '50', 'badge did not drop at midnight', 10_000);
    assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
    assert((await text('clock')).includes('00:00'), `clock after midnight: ${await text('clock')}`);
    await click('daily-login'); // a new day: a new daily login
    await until(async () => (await badge()) === '55', 'second day login');
  });

  await check('a premium image generation charges 3 per image and spends agent credits first', async () => {
    await setRequest({ feature: 'agent.image_generation', tier: 'premium', units: 1 });
    await until(async () => (await text('preview-credits')) === '3', 'preview 3');
    assert(JSON.stringify(await draws()) === JSON.stringify([['daily_login', '3']]), `draws ${JSON.stringify(await draws())}`);
    await click('generate');
    await until(async () => (await badge()) === '52', 'badge after charge');
    assert((await status()).includes('Charged 3 credits (3 daily login)'), `status: ${await status()}`);
    const last = (await ledger()).at(-1);
    assert(last.type === 'charge' && last.credits === '−3', `ledger last: ${JSON.stringify(last)}`);
  });

  await check('a failed partial generation (1 of 3 delivered) is refunded in the balance and the usage list', async () => {
    await setRequest({ units: 3 });
    await until(async () => (await text('preview-credits')) === '9', 'preview 9');
    await $('delivered').fill('1');
    await click('generate');
    await until(async () => (await badge()) === '49', 'badge after charge 9 and refund 6');
    await shoot('desktop-refund', { credits: '9' });
    const s = await status();
    assert(s.includes('Delivered 1 of 3') && s.includes('Charged 9') && s.includes('Refunded 6 credits'), `status: ${s}`);
    const rows = (await ledger()).slice(-2);
    assert(rows[0].type === 'charge' && rows[0].credits === '−9', `charge row ${JSON.stringify(rows[0])}`);
    assert(rows[1].type === 'refund' && rows[1].credits === '+6', `refund row ${JSON.stringify(rows[1])}`);
    await calm();
    await $('badge').hover();
    await $('breakdown').waitFor({ state: 'visible' });
    await shoot('desktop-overview', { credits: '9' });
    await calm();
  });

  await check('the forecast chart and the list of upcoming changes are drawn', async () => {
    await page.locator('input[name=range][value="31"]').check({ force: true });
    const items = await page.$$eval('[data-testid=changes] li', (l) => l.map((li) => li.textContent.replace(/\s+/g, ' ').trim()));
    assert(items.some((t) => t.includes('credits expire')), `changes: ${JSON.stringify(items)}`);
    assert(items.some((t) => t.includes('membership ends')), `trial end missing: ${JSON.stringify(items)}`);
    assert(await page.locator('[data-testid=chart] svg path.line').count() === 1, 'no step line');
    const box = await page.locator('[data-testid=chart] svg').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await until(() => page.locator('.tip').isVisible(), 'no hover label on the chart');
    assert(/\d+ credits/.test(await page.locator('.tip .t1').textContent()), 'hover label without credits');
    await shoot('desktop-forecast-hover', { credits: '9' }, { element: '.forecast' });
    await calm();
  });

  let frozenShown;
  await check('letting the membership lapse shows frozen credits with the reason and how to unfreeze', async () => {
    await click('membership');
    await until(async () => (await status()).startsWith('Membership'), 'membership status');
    assert((await badge()) === '179', `after membership (49 + 100 + 30): ${await badge()}`);
    await $('buy-amount').selectOption('500');
    await click('buy');
    await until(async () => (await badge()) === '679', 'after buying 500');
    await click('lapse');
    await until(async () => (await status()).startsWith('Moved the clock past the end'), 'lapse status');
    await calm();
    await $('badge').click();
    await $('breakdown-frozen').waitFor({ state: 'visible' });
    frozenShown = await text('breakdown-frozen');
    assert(/Frozen\s*700/.test(frozenShown), `frozen total: ${frozenShown}`);
    assert(frozenShown.includes('membership ended') && frozenShown.includes('Reactivate membership'), 'reason / remedy missing');
    // Lots are never merged: two monthly membership lots of 100 and the purchase.
    assert(/Membership\s*100[^]*Membership\s*100/.test(frozenShown) && /Purchased\s*500/.test(frozenShown), `frozen lots: ${frozenShown}`);
    // Regular credits are frozen; the month's agent credits still run until their own expiry, so the premium image
    // preview is paid from them (this shot once showed a preview error, "No lot at that index").
    await shoot('desktop-frozen', { credits: '9' });
    const frozenDraws = shots['desktop-frozen'].draws;
    assert(frozenDraws.every((d) => d.startsWith('membership_agent:')), `frozen credits drawn: ${JSON.stringify(frozenDraws)}`);
    await axeScan(page, 'membership lapsed, frozen credits in the breakdown');
  });

  await check('reactivating from the breakdown unfreezes the credits', async () => {
    await page.locator('[data-testid=breakdown] button[data-action=membership]').click();
    await until(async () => (await badge()) === String(Number(await text('breakdown-agent')) + Number(await text('breakdown-regular'))), 'total = agent + regular');
    assert(await $('breakdown-frozen').count() === 0, 'still frozen after reactivation');
    assert(Number(await badge()) >= 830, `badge after reactivation: ${await badge()}`); // 700 unfrozen + a new month
    await calm();
    await page.locator('input[name=range][value="183"]').check({ force: true });
    await $('badge').hover();
    await $('breakdown').waitFor({ state: 'visible' });
    await shoot('desktop-member', { credits: '9' });
    await axeScan(page, 'member, 6-month forecast, breakdown open');
    await calm();
  });

  await check('the ledger lists each step, in order, and filters by type', async () => {
    const rows = await ledger();
    const want = [
      ['grant', 'Trial'], ['grant', 'Daily login'], ['expire', 'Daily login'], ['grant', 'Daily login'],
      ['charge', 'Agent · Image generation'], ['charge', 'Agent · Image generation'], ['refund', 'Agent · Image generation'],
      ['grant', 'Membership'], ['grant', 'Membership (agent)'], ['grant', 'Purchased'], ['freeze', 'Membership'],
      ['freeze', 'Purchased'], ['unfreeze', 'Membership'], ['unfreeze', 'Purchased'],
    ];
    let i = 0;
    for (const r of rows) if (i < want.length && r.type === want[i][0] && r.what.startsWith(want[i][1])) i++;
    assert(i === want.length, `ledger misses step ${JSON.stringify(want[i])}; has ${JSON.stringify(rows.map((r) => [r.type, r.what]))}`);
    await $('ledger-filter').selectOption('refund');
    const refunds = await ledger();
    assert(refunds.length === 1 && refunds[0].type === 'refund', `filtered: ${JSON.stringify(refunds)}`);
    await $('ledger-filter').selectOption('');
  });

  let saved;
  await check('the wallet and the demo clock persist across a reload', async () => {
    const before = { badge: await badge(), rows: (await ledger()).length };
    await page.reload();
    await ready();
    await until(async () => (await badge()) === before.badge, `badge after reload, was ${before.badge}`);
    assert((await ledger()).length === before.rows, 'ledger length changed on reload');
    saved = await page.evaluate((k) => localStorage.getItem(k), KEY);
  });

  await check('works at 375 px: no horizontal scrolling, breakdown fits the screen', async () => {
    const mobile = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, timezoneId: ZONE, locale: 'en-GB' });
    await mobile.addInitScript(([k, v]) => { if (!localStorage.getItem(k)) localStorage.setItem(k, v); }, [KEY, saved]);
    const m = await mobile.newPage();
    try {
      await m.goto(url);
      await ready(m); // a new visit: the form shows its default request (1 general image, 2 credits)
      const width = await m.evaluate(() => document.documentElement.scrollWidth);
      assert(width <= 375, `page is ${width} px wide at 375`);
      await shoot('mobile-overview', { credits: '2' }, { p: m, fullPage: false });
      await axeScan(m, 'mobile, 375 px');
      await m.locator('[data-testid=badge]').tap();
      const pop = await m.locator('[data-testid=breakdown]').boundingBox();
      assert(pop && pop.x >= 0 && pop.x + pop.width <= 375, `breakdown off screen: ${JSON.stringify(pop)}`);
      await shoot('mobile-breakdown', { credits: '2' }, { p: m, fullPage: false });
      await m.keyboard.press('Escape');
      await shoot('mobile-full', { credits: '2' }, { p: m });
    } finally {
      await mobile.close();
    }
  });

  await check('a corrupt stored snapshot is reported and reset, never a blank page', async () => {
    await page.goto(`${url}avatar.svg`); // leave the app (it saves on the way out), then damage what it saved
    await page.evaluate((k) => localStorage.setItem(k, '{"wallet":{"format":"credit-engine/wallet","version":99}}'), KEY);
    await page.goto(`${url}?start=${START}`);
    await ready();
    const s = await until(status, 'no message about the damaged snapshot');
    assert(s.includes('could not be read') && s.includes('E_SNAPSHOT'), `status: ${s}`);
    assert(await $('badge').isHidden(), 'a fresh wallet must show no badge');
    await click('start-trial');
    await until(async () => (await badge()) === '50', 'the new wallet works');
  });

  await check('keyboard only: create a wallet, choose a feature, tier and units, preview and generate', async () => {
    const kb = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: ZONE, locale: 'en-GB' });
    const k = await kb.newPage();
    k.setDefaultTimeout(10_000);
    k.on('pageerror', (e) => problems.push(`keyboard page: ${e.message}`));
    try {
      await k.goto(`${url}?start=${START}`);
      await ready(k);
      const kt = async (id) => ((await k.locator(`[data-testid="${id}"]`).textContent()) ?? '').trim();
      // Tab (never the mouse) until the element has focus, and check that focus is visible on it.
      const tabTo = async (id) => {
        for (let i = 0; i < 120; i++) {
          await k.keyboard.press('Tab');
          const at = await k.evaluate(() => document.activeElement?.dataset?.testid ?? null);
          if (at === id) {
            const ring = await k.evaluate(() => {
              const el = document.activeElement;
              const target = el.matches('input[type=radio]') ? el.nextElementSibling : el; // the segmented control's label
              const st = getComputedStyle(target);
              return st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) > 0;
            });
            assert(ring, `no visible focus indicator on ${id}`);
            return;
          }
        }
        throw new Error(`Tab never reached ${id}`);
      };
      await tabTo('start-trial');
      await k.keyboard.press('Enter');
      await until(async () => (await kt('badge-total')) === '50', 'the trial from the keyboard');
      await tabTo('feature');
      await k.keyboard.press('Home'); // the first feature of the catalog
      await until(async () => (await k.locator('[data-testid=feature]').inputValue()) === 'ai_background', 'Home on the feature list');
      await until(async () => (await kt('preview-credits')) === '4', 'preview of AI background (2 images × 2)');
      for (let i = 0; i < 7; i++) await k.keyboard.press('ArrowDown');
      await until(async () => (await k.locator('[data-testid=feature]').inputValue()) === 'agent.image_generation', 'arrows on the feature list');
      await tabTo('tier-general');
      await k.keyboard.press('ArrowRight'); // radio group: the next option is premium
      assert(await k.locator('[data-testid=tier-premium]').isChecked(), 'ArrowRight did not choose premium');
      await tabTo('units');
      await k.keyboard.press('Control+A');
      await k.keyboard.type('2');
      await until(async () => (await kt('preview-credits')) === '6', 'preview of 2 premium images');
      const drawn = await k.$$eval('[data-testid=preview-draws] li', (l) => l.map((li) => `${li.dataset.kind}:${li.querySelector('b').textContent}`));
      assert(JSON.stringify(drawn) === JSON.stringify(['trial:6']), `draws ${JSON.stringify(drawn)}`);
      await tabTo('generate');
      await k.keyboard.press('Enter');
      await until(async () => (await kt('badge-total')) === '44', 'the charge from the keyboard');
      const st = ((await k.locator('[data-testid=status]').textContent()) ?? '').trim();
      assert(st.includes('Charged 6 credits'), `status: ${st}`);
    } finally {
      await kb.close();
    }
  });

  await check(`axe-core: no serious or critical accessibility violations (${axeScans.length} states scanned)`, async () => {
    assert(axeScans.length >= 5, `only ${axeScans.length} axe scans ran`);
    assert(axeFindings.length === 0, axeFindings.join('\n  '));
  });

  await check(UPDATE ? 'screenshot states recorded in docs/screenshots/states.json' : 'the committed screenshots are current (docs/screenshots/states.json; else `make screenshots`)', async () => {
    const now = { page: pageHash(), shots };
    assert(Object.keys(shots).length === 8, `${Object.keys(shots).length} shots taken, want 8`);
    if (UPDATE) {
      writeFileSync(STATES, `${JSON.stringify(now, null, 2)}\n`);
      return;
    }
    assert(existsSync(STATES), 'docs/screenshots/states.json is missing: run `make screenshots`');
    const committed = JSON.parse(readFileSync(STATES, 'utf8'));
    assert(committed.page === now.page, 'www/ changed since the screenshots were taken: run `make screenshots` and commit them');
    for (const [name, state] of Object.entries(shots)) {
      assert(JSON.stringify(committed.shots?.[name]) === JSON.stringify(state),
        `${name}.png shows another state than the page now: run \`make screenshots\`\n  committed: ${JSON.stringify(committed.shots?.[name])}\n  now:       ${JSON.stringify(state)}`);
    }
  });

  await check('no uncaught errors or console errors on the page', async () => {
    assert(problems.length === 0, problems.join(' | '));
  });
}

main().then(() => finish(0), (err) => {
  failed++;
  console.log(`not ok - setup: ${err?.stack ?? err}`);
  finish(1);
});
