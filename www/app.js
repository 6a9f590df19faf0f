// The demo front end: a credits header, a feature picker with a live cost preview, a balance forecast and the usage
// ledger, driven by a demo clock. Every credit number and every rule comes from the `credit-engine` package; this
// file only reads the person's input, calls the package with the demo clock's instant and draws what comes back.

const $ = (sel) => document.querySelector(sel);
const KEY = 'credit-engine-demo';
const DAY = 86_400_000;
// Scenario amounts of the demo controls (inputs to the engine, like a product's plan settings; not rules).
const PLAN = { login: 5, trial: 50, trialDays: 7, monthly: 100, monthlyAgent: 30, promotion: 20, promotionDays: 7 };
const KIND = {
  daily_login: 'Daily login', membership_agent: 'Membership (agent)', promotion: 'Promotion',
  membership: 'Membership', trial: 'Trial', purchased: 'Purchased',
};
const EVENT = {
  expire: 'credits expire', distribution: 'monthly credits arrive', lapse: 'membership ends',
  hold_expiry: 'a hold is released',
};

// Ledger types whose amount is the credits affected, not a change of the balance (SPEC 8, "Ledger amounts").
const UNSIGNED = new Set(['freeze', 'unfreeze', 'capture']);

let engine; // the package module
let catalog;
let features; // the catalog's features (its JSON form), read once
let wallet;
let clock; // { at: demo instant (ms) at `real`, real: performance time } so the demo clock runs in real time
let seq = 0; // numbers the caller ids (charges, purchases, promotions) of this wallet
let watcher;

const now = () => Math.round(clock.at + performance.now() - clock.real);
const setNow = (at) => { clock = { at, real: performance.now() }; };

// ---- start-up and persistence ------------------------------------------------------------------------------------

async function boot() {
  try {
    engine = await import('credit-engine');
    await engine.ready();
  } catch (err) {
    return say(`The credit engine could not be loaded (${err.message}). Reload the page to try again.`, 'error');
  }
  catalog = engine.Catalog.default();
  features = catalog.toJSON().features;
  fillPickers();
  load();
  wire();
  tick();
  arm();
  render();
  document.body.classList.add('ready');
}

function load() {
  const raw = localStorage.getItem(KEY);
  if (raw === null) return reset(true);
  try {
    const saved = JSON.parse(raw);
    wallet = engine.Wallet.fromJSON(saved.wallet);
    setNow(Number.isFinite(saved.now) ? saved.now : Date.now());
    seq = Number.isInteger(saved.seq) ? saved.seq : 0;
  } catch (err) {
    // A damaged snapshot must never leave a blank page: report it in words and start again.
    localStorage.removeItem(KEY);
    reset(true);
    say(`Your saved wallet could not be read, so a new one was started. ${describe(err)}`, 'error');
  }
}

function save() {
  try {
    localStorage.setItem(KEY, JSON.stringify({ wallet: wallet.toJSON(), now: now(), seq }));
  } catch (err) {
    say(`The wallet could not be saved in this browser (${err.message}); it will be lost on reload.`, 'error');
  }
}

/** A new empty wallet in the chosen zone. `?start=ISO` in the URL pins the demo clock (reproducible scenarios). */
function reset(quiet) {
  const zone = $('#zone').value || browserZone();
  const start = Date.parse(new URLSearchParams(location.search).get('start') ?? '');
  watcher?.stop();
  wallet?.free();
  try {
    wallet = engine.Wallet.create({ timeZone: zone });
  } catch (err) {
    say(`${zone} cannot be used: ${describe(err)} Using UTC.`, 'error');
    wallet = engine.Wallet.create({ timeZone: 'UTC' });
  }
  setNow(Number.isFinite(start) ? start : Math.floor(Date.now() / 60_000) * 60_000);
  seq = 0;
  save();
  if (!quiet) say(`Started a new demo wallet in ${wallet.timeZone}.`);
}

/** Re-arms the package's watch from the demo clock: the page re-renders exactly when a scheduled change happens. */
function arm() {
  watcher?.stop();
  watcher = wallet.watch((balance) => {
    // Host timers may run a millisecond early or late; the demo clock shows the instant the change belongs to.
    setNow(Math.max(now(), Date.parse(balance.at)));
    tick();
    render(balance);
  }, { now: now() });
}

/** Shows the demo clock, ticking on its whole seconds. */
function tick() {
  clearTimeout(tick.timer);
  tick.timer = setTimeout(tick, 1000 - (now() % 1000));
  $('[data-testid=clock]').textContent = `${fmt(now(), { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' })} · ${wallet.timeZone}`;
}

// ---- the engine owns the calendar ----------------------------------------------------------------------------------
// The demo clock needs "next local midnight" and "one month later". Rather than re-implementing zone and month-end
// maths, it asks a throwaway wallet: a daily-login lot expires at the next local midnight, and a membership distributes
// again one calendar month after it starts.

function nextMidnight(at) {
  const w = engine.Wallet.create({ timeZone: wallet.timeZone });
  try {
    w.dailyLogin({ at, credits: 1 });
    return Date.parse(w.balance(at).lots[0].expiresAt);
  } finally {
    w.free();
  }
}

function oneMonthAfter(at) {
  const w = engine.Wallet.create({ timeZone: wallet.timeZone });
  try {
    w.activateMembership({ at, until: at + 62 * DAY, monthlyCredits: 1, monthlyAgentCredits: 0 });
    return Date.parse(w.nextChange(at));
  } finally {
    w.free();
  }
}

/** When the current membership (or trial) lapses, from the engine's own forecast; null when none is running. */
function lapseAt() {
  const point = wallet.project({ from: now(), to: now() + 800 * DAY }).find((p) => p.event.split(',').includes('lapse'));
  return point ? Date.parse(point.at) : null;
}

// ---- actions ---------------------------------------------------------------------------------------------------------

const ACTIONS = {
  login: (at) => (wallet.dailyLogin({ at, credits: PLAN.login })
    ? `Daily login: ${PLAN.login} agent credits added.` : 'Today’s login credits were already added. Come back tomorrow.'),
  trial: (at) => {
    wallet.startTrial({ at, until: at + PLAN.trialDays * DAY, credits: PLAN.trial });
    return `Trial started: ${PLAN.trial} credits for ${PLAN.trialDays} days.`;
  },
  membership: (at) => {
    const current = lapseAt();
    const until = oneMonthAfter(current ?? at);
    wallet.activateMembership({ at, until, monthlyCredits: PLAN.monthly, monthlyAgentCredits: PLAN.monthlyAgent });
    return `${current ? 'Membership renewed' : 'Membership active'} until ${fmtDate(until)}.`;
  },
  lapse: () => {
    const at = lapseAt();
    if (at === null) return 'There is no running membership or trial to let lapse.';
    setNow(Math.max(now(), at + 1000));
    return `Moved the clock past the end of the membership (${fmtDate(at)}).`;
  },
  buy: (at) => {
    const credits = Number($('#buy-amount').value);
    wallet.purchase({ id: `buy-${++seq}`, at, credits });
    return `Bought ${credits} credits.`;
  },
  promotion: (at) => {
    wallet.grantPromotion({ id: `promo-${++seq}`, at, credits: PLAN.promotion, expiresAt: at + PLAN.promotionDays * DAY });
    return `Promotion: ${PLAN.promotion} agent credits for ${PLAN.promotionDays} days.`;
  },
  hour: (at) => jump(at + 3_600_000),
  'before-midnight': (at) => jump(nextMidnight(at) - 5000),
  midnight: (at) => jump(nextMidnight(at)),
  month: (at) => jump(oneMonthAfter(at)),
  reset: () => reset(),
};

function jump(to) {
  setNow(to);
  return `Demo clock moved to ${fmt(to, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit' })}.`;
}

/** Runs one person's action: engine errors are shown in words, and the wallet is saved and watched either way. */
function act(fn) {
  try {
    const message = fn(now());
    if (message) say(message);
  } catch (err) {
    say(describe(err), 'error');
  } finally {
    save();
    arm();
    render();
    tick();
  }
}

function generate(event) {
  event.preventDefault();
  act((at) => {
    const req = request();
    const id = `gen-${++seq}`;
    const charge = wallet.charge(req, at, { id });
    const delivered = $('#delivered').value === '' ? charge.units : Number($('#delivered').value);
    let text = `Charged ${charge.credits} credits (${draws(charge.draws)}).`;
    if (delivered < charge.units) {
      // The simulated generation failed part-way: the undelivered units are refunded automatically. The refund id is
      // derived from the charge id, so a retried refund can never pay twice.
      const refund = wallet.refund(id, { units: charge.units - delivered, at: now(), id: `${id}/refund` });
      text = `Delivered ${delivered} of ${charge.units}. ${text} Refunded ${refund.credits} credits for ${refund.units} undelivered (${draws(refund.draws)}).`;
    }
    $('#delivered').value = '';
    return text;
  });
}

// ---- input ---------------------------------------------------------------------------------------------------------

function fillPickers() {
  $('#feature').innerHTML = features.map((f) => `<option value="${f.id}">${featureName(f.id)}</option>`).join('');
  $('#feature').value = 'agent.image_generation';
  const zones = Intl.supportedValuesOf('timeZone');
  if (!zones.includes('UTC')) zones.unshift('UTC');
  if (!zones.includes(browserZone())) zones.unshift(browserZone());
  $('#zone').innerHTML = zones.map((z) => `<option>${z}</option>`).join('');
  $('#zone').value = browserZone();
  onFeature();
}

/** Shows the inputs the chosen catalog feature takes (units, or seconds for per-duration features) with its defaults. */
function onFeature() {
  const spec = feature();
  const perDuration = spec.blockSeconds !== undefined;
  $('#units-field').hidden = perDuration;
  $('#seconds-field').hidden = !perDuration;
  $('#units-label').textContent = `Number of ${spec.unit}s`;
  if (perDuration) $('#seconds').value ||= String(spec.blockSeconds);
  else $('#units').value = String(spec.defaultUnits);
  const premium = $('[data-testid=tier-premium]');
  premium.disabled = spec.prices.premium === undefined;
  if (premium.disabled && premium.checked) $('[data-testid=tier-general]').checked = true;
  $('#delivered').value = '';
}

const feature = () => features.find((f) => f.id === $('#feature').value);

/** The usage request exactly as typed; the engine validates it (a bad value becomes its error, shown in words). */
function request() {
  const req = { feature: $('#feature').value, tier: document.querySelector('input[name=tier]:checked').value };
  const field = feature().blockSeconds !== undefined ? 'seconds' : 'units';
  const text = $(`#${field}`).value.trim();
  req[field] = text === '' ? NaN : Number(text);
  return req;
}

function wire() {
  $('#feature').addEventListener('change', () => { onFeature(); renderPreview(); });
  $('#use').addEventListener('input', (e) => e.target.id !== 'feature' && renderPreview());
  $('#use').addEventListener('submit', generate);
  $('.demo').addEventListener('click', (e) => {
    const action = e.target.closest('[data-action]')?.dataset.action;
    if (action) act(ACTIONS[action]);
  });
  $('#zone').value = wallet.timeZone;
  document.querySelectorAll('input[name=range]').forEach((r) => r.addEventListener('change', renderForecast));
  $('#ledger-filter').addEventListener('change', renderLedger);
  new ResizeObserver(() => render.parts(renderForecast)).observe($('#chart'));
  window.addEventListener('pagehide', save);
  $('#status').addEventListener('click', () => $('#status').classList.remove('show'));
  wireBreakdown();
}

/** The breakdown opens on hover (pointer) or click (pinned, also by keyboard); Escape or a click elsewhere closes it. */
function wireBreakdown() {
  const badge = $('#badge');
  const pop = $('#breakdown');
  let pinned = false;
  const show = (open) => { pop.hidden = !open; badge.setAttribute('aria-expanded', String(open)); };
  badge.addEventListener('click', () => { pinned = !pinned || pop.hidden; show(pinned); });
  $('#account').addEventListener('pointerenter', (e) => e.pointerType === 'mouse' && !badge.hidden && show(true));
  $('#account').addEventListener('pointerleave', (e) => e.pointerType === 'mouse' && !pinned && show(false));
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    $('#status').classList.remove('show');
    if (!pop.hidden) { pinned = false; show(false); badge.focus(); }
  });
  document.addEventListener('click', (e) => {
    if (!$('#account').contains(e.target)) { pinned = false; show(false); }
  });
  pop.addEventListener('click', (e) => {
    if (e.target.dataset.action !== 'membership') return;
    act(ACTIONS.membership);
    pinned = false; // the button is gone after the re-render: close and give focus back to the badge
    show(false);
    badge.focus();
  });
}

// ---- rendering -------------------------------------------------------------------------------------------------------

function render(balance) {
  render.parts(() => renderHeader(balance ?? wallet.balance(now())), renderPreview, renderForecast, renderLedger);
}
/** Draws each part on its own, so one failing read is reported in words and the rest of the page still updates. */
render.parts = (...parts) => {
  for (const part of parts) {
    try {
      part();
    } catch (err) {
      say(describe(err), 'error');
    }
  }
};

function renderHeader(b) {
  $('#badge').hidden = !b.display; // SPEC's rule, decided by the engine: credits (usable or frozen) or a membership
  if (!b.display) $('#breakdown').hidden = true;
  $('#badge-total').textContent = num(b.total);
  const midnight = nextMidnight(Date.parse(b.at));
  const lots = (pick) => b.lots.filter(pick).map((l) => `
    <li><span class="dot k-${l.kind}"></span><span>${KIND[l.kind]}</span><b>${num(l.credits)}</b>
      <small>${expiry(l, midnight)}</small></li>`).join('') || '<li class="none">None</li>';
  $('#breakdown').innerHTML = `
    <div class="pop-total"><span>Usable now</span><b data-testid="breakdown-total">${num(b.total)}</b></div>
    ${b.nextExpiry ? `<p class="soon" data-testid="next-expiry">${num(b.nextExpiry.credits)} expire ${when(b.nextExpiry.at, midnight)}</p>` : ''}
    <h2>Agent credits <b data-testid="breakdown-agent">${num(b.agent)}</b></h2>
    <p class="muted">For AI Agent features, always used first.</p>
    <ul>${lots((l) => l.agentOnly && !l.frozen)}</ul>
    <h2>Credits <b data-testid="breakdown-regular">${num(b.regular)}</b></h2>
    <p class="muted">For every feature.</p>
    <ul>${lots((l) => !l.agentOnly && !l.frozen)}</ul>
    ${b.frozen ? `<div class="frozen" data-testid="breakdown-frozen">
      <h2>Frozen <b>${num(b.frozen)}</b></h2>
      <p>Frozen because your membership ended. They come back when you reactivate your membership; purchased credits keep
        their original expiry date.</p>
      <ul>${lots((l) => l.frozen)}</ul>
      <button type="button" class="primary small" data-action="membership">Reactivate membership</button></div>` : ''}
    ${b.held ? `<h2>Held <b data-testid="breakdown-held">${num(b.held)}</b></h2><p class="muted">Reserved for generations in progress.</p>` : ''}
    <a class="more" href="#usage">Usage details</a>`;
}

function renderPreview() {
  const box = $('#preview');
  const button = $('#generate');
  let p;
  try {
    p = wallet.preview(request(), now(), catalog);
  } catch (err) {
    box.className = 'preview bad';
    box.innerHTML = `<p class="cost"><b>–</b></p><p data-testid="preview-error">${escape(describe(err))}</p>`;
    button.disabled = true;
    $('#generate-hint').textContent = 'Fix the request to continue.';
    return;
  }
  $('#of').textContent = String(p.quote.units);
  $('#delivered').max = String(p.quote.units);
  box.className = `preview ${p.sufficient ? 'ok' : 'bad'}`;
  box.innerHTML = `
    <p class="cost"><b data-testid="preview-credits">${num(p.credits)}</b> credits
      <small>${num(p.quote.units)} × ${num(p.quote.unitCredits)} (${p.quote.tier})</small></p>
    ${p.sufficient ? `
      <ol class="draws" data-testid="preview-draws" aria-label="Credits used, in order">${p.draws.map((d) =>
        `<li data-kind="${d.kind}"><span class="dot k-${d.kind}"></span>${KIND[d.kind]}<b>${num(d.credits)}</b></li>`).join('')}</ol>
      <p class="after" data-testid="preview-after">Balance afterwards <b>${num(p.balanceAfter.total)}</b></p>` : `
      <p class="short" data-testid="preview-shortfall">Not enough credits: <b>${num(p.shortfall)}</b> short.</p>
      <p class="after">Balance now <b>${num(p.balanceAfter.total)}</b></p>`}`;
  button.disabled = !p.sufficient;
  $('#generate-hint').textContent = p.sufficient ? '' : 'Buy credits or start a membership in the demo controls.';
}

function renderForecast() {
  const days = Number(document.querySelector('input[name=range]:checked').value);
  const from = now();
  const to = from + days * DAY;
  const points = wallet.project({ from, to });
  const changes = points.slice(1);
  $('#changes').innerHTML = changes.map((p, i) => `<li><time>${fmtDate(p.at)}</time>
      <span>${p.event.split(',').map((e) => EVENT[e] ?? e).join(', ')}</span>
      <b class="${p.total < points[i].total ? 'down' : 'up'}">${delta(p.total - points[i].total)}</b>
      <small>→ ${num(p.total)}${p.frozen ? ` · ${num(p.frozen)} frozen` : ''}</small></li>`).join('')
    || '<li class="none">No scheduled changes in this period.</li>';
  drawChart(points, from, to);
}

/** An SVG step chart of the usable balance, sized in real pixels so labels stay readable at any width. */
function drawChart(points, from, to) {
  const box = $('#chart');
  const W = Math.max(280, box.clientWidth);
  const H = 200;
  const pad = { l: 40, r: 12, t: 14, b: 26 };
  const max = Math.max(10, ...points.map((p) => p.total));
  const x = (t) => pad.l + ((t - from) / (to - from)) * (W - pad.l - pad.r);
  const y = (v) => H - pad.b - (v / max) * (H - pad.t - pad.b);
  const ts = points.map((p) => Math.max(from, Date.parse(p.at)));
  let line = `M${x(from)},${y(points[0].total)}`;
  points.forEach((p, i) => { if (i) line += `H${x(ts[i])}V${y(p.total)}`; });
  line += `H${x(to)}`;
  const ticks = [0, 0.5, 1].map((f) => Math.round(max * f));
  const dates = [from, (from + to) / 2, to];
  box.innerHTML = `<svg width="${W}" height="${H}" role="img" aria-label="Usable balance from ${fmtDate(from)} to ${fmtDate(to)}">
    ${ticks.map((v) => `<line class="grid" x1="${pad.l}" x2="${W - pad.r}" y1="${y(v)}" y2="${y(v)}"/>
      <text class="axis" x="${pad.l - 6}" y="${y(v) + 4}" text-anchor="end">${num(v)}</text>`).join('')}
    ${dates.map((t, i) => `<text class="axis" x="${x(t)}" y="${H - 6}" text-anchor="${['start', 'middle', 'end'][i]}">${fmt(t, { day: 'numeric', month: 'short' })}</text>`).join('')}
    <path class="area" d="${line}V${y(0)}H${x(from)}Z"/>
    <path class="line" d="${line}"/>
    ${points.map((p, i) => `<circle class="pt" cx="${x(ts[i])}" cy="${y(p.total)}" r="4" tabindex="0" role="img" data-i="${i}"
      aria-label="${fmtDate(p.at)}: ${num(p.total)} credits"/>`).join('')}
    <g class="tip" hidden><line y1="${pad.t}" y2="${H - pad.b}"/><rect rx="6" height="38"/><text class="t1" y="0"/><text class="t2" y="0"/></g>
  </svg>`;
  const svg = box.firstElementChild;
  const tip = svg.querySelector('.tip');
  // Hover (or focus a point) shows the balance that holds at that moment: the last change at or before it.
  const show = (i, px) => {
    const p = points[i];
    const t1 = tip.querySelector('.t1');
    const t2 = tip.querySelector('.t2');
    t1.textContent = `${num(p.total)} credits${p.frozen ? ` (+${num(p.frozen)} frozen)` : ''}`;
    t2.textContent = `from ${fmtDate(Math.max(from, Date.parse(p.at)))}`;
    tip.removeAttribute('hidden'); // an SVG element has no .hidden property
    const w = Math.max(t1.getComputedTextLength(), t2.getComputedTextLength()) + 16;
    const left = Math.min(Math.max(px - w / 2, pad.l), W - pad.r - w);
    tip.querySelector('line').setAttribute('x1', px);
    tip.querySelector('line').setAttribute('x2', px);
    Object.entries({ x: left, y: 2, width: w }).forEach(([k, v]) => tip.querySelector('rect').setAttribute(k, v));
    t1.setAttribute('x', left + 8); t1.setAttribute('y', 17);
    t2.setAttribute('x', left + 8); t2.setAttribute('y', 32);
  };
  svg.addEventListener('pointermove', (e) => {
    const px = e.clientX - svg.getBoundingClientRect().left;
    if (px < pad.l || px > W - pad.r) return tip.setAttribute('hidden', '');
    let i = 0;
    while (i + 1 < points.length && x(ts[i + 1]) <= px) i++;
    show(i, px);
  });
  svg.addEventListener('pointerleave', () => tip.setAttribute('hidden', ''));
  svg.addEventListener('focusin', (e) => e.target.dataset.i && show(Number(e.target.dataset.i), x(ts[e.target.dataset.i])));
  svg.addEventListener('focusout', () => tip.setAttribute('hidden', ''));
}

function renderLedger() {
  const type = $('#ledger-filter').value;
  const all = wallet.ledger();
  const rows = all.filter((e) => !type || e.type === type).reverse();
  const shown = rows.slice(0, 200);
  $('#ledger-rows').innerHTML = shown.map((e) => `<tr data-type="${e.type}">
      <td>${fmt(e.at, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' })}</td>
      <td><span class="tag t-${e.type}">${e.type}</span></td>
      <td>${e.feature ? escape(featureName(e.feature)) : KIND[e.kind] ?? ''}${e.ref && e.type !== 'charge' ? ` <small>${escape(e.ref)}</small>` : ''}</td>
      <td class="num ${e.credits < 0 ? 'down' : ''}">${UNSIGNED.has(e.type) ? num(e.credits) : delta(e.credits)}</td>
      <td class="num">${num(e.total)}</td></tr>`).join('')
    || `<tr><td colspan="5" class="none">${all.length ? 'No entries of this type.' : 'Nothing yet: use the demo controls to get credits.'}</td></tr>`;
  $('#ledger-note').dataset.more = rows.length > shown.length ? `Showing the latest ${shown.length} of ${rows.length}.` : '';
}

// ---- words and formats ---------------------------------------------------------------------------------------------

let hideTimer;
/** The one status region: engine errors are spelled out here (never only in the console). */
function say(text, kind = 'ok') {
  const el = $('#status');
  el.textContent = text;
  el.dataset.kind = kind;
  el.classList.add('show');
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => el.classList.remove('show'), kind === 'error' ? 12_000 : 6000);
}

function describe(err) {
  const code = err?.code ? `${err.code}: ` : '';
  const message = String(err?.message ?? err).replace(code, '');
  return `${message.charAt(0).toUpperCase()}${message.slice(1)}${/[.!?]$/.test(message) ? '' : '.'} (${code.slice(0, -2) || 'error'})`;
}

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
const formats = new Map();
/** Formats an instant on the account's wall clock (presentation only: no rule depends on it). */
const fmt = (t, opts) => {
  const key = wallet.timeZone + JSON.stringify(opts);
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat('en-GB', { timeZone: wallet.timeZone, ...opts }));
  return formats.get(key).format(new Date(t));
};
const fmtDate = (t) => fmt(t, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const num = (n) => n.toLocaleString('en-GB');
const delta = (n) => (n > 0 ? `+${num(n)}` : n < 0 ? `−${num(-n)}` : '0');
const escape = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
const featureName = (id) => {
  const [scope, name] = id.includes('.') ? id.split('.') : ['', id];
  const words = name.replace(/_/g, ' ').replace('ppt', 'PPT').replace(/^ai /, 'AI ');
  return `${scope === 'agent' ? 'Agent · ' : ''}${words.charAt(0).toUpperCase()}${words.slice(1)}`;
};
const draws = (list) => list.map((d) => `${d.credits} ${KIND[d.kind].toLowerCase()}`).join(', ');

/** "tonight, 00:00" for what ends at the coming local midnight, a date otherwise. */
function when(iso, midnight) {
  const t = Date.parse(iso);
  if (t === midnight) return 'tonight at midnight';
  if (t < midnight) return `today at ${fmt(t, { hour: '2-digit', minute: '2-digit' })}`;
  return `on ${fmtDate(t)}`;
}

function expiry(lot, midnight) {
  if (lot.expiresAt === null) return lot.frozen ? 'until reactivated' : 'carries over while a member';
  return `expires ${when(lot.expiresAt, midnight)}`;
}

boot();
