// The benchmark baseline: the fastest plain JavaScript a careful engineer would write for the package's reads
// (Catalog.quote, Wallet.preview, balance, project, ledger, toJSON/fromJSON), with the same results, field for field.
// It exists ONLY to measure the package against (bench/run.mjs checks it equal to the package on random wallets before
// every timing run); it is never shipped and the product never uses it: the rules live in the Rust core.
//
// How it is fast: the catalog is a Map with quotes cached per request; a wallet keeps, until it changes, its usable
// lots in consumption order (agent-only and regular groups, each sorted once by expiry, grant, id), suffix sums of
// their credits, every ISO string it will print, and the next scheduled event. A read at an instant before that
// event uses the kept order as is; a read at a later instant with only lot expiries due cuts each group with a binary
// search on expiry (expired lots are a prefix of each sorted group); anything else (a lapse, a distribution, a hold
// expiry due) replays the events on a copy, which is kept for the interval it is valid in.

const AGENT = new Set(['daily_login', 'membership_agent', 'promotion']);
const FREEZES = new Set(['membership', 'purchased']);
const KINDS = ['daily_login', 'membership_agent', 'promotion', 'membership', 'trial', 'purchased'];
const DAY = 86_400_000;
const MAX_UNITS = 1_000_000;
const MAX_SECONDS = 86_400;
const MAX_PROJECTION_POINTS = 10_000;

function fail(code, message) {
  const err = new Error(`${code}: ${message}`);
  err.code = code;
  return err;
}

const P2 = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i);
/** `new Date(ms).toISOString()` for the instants a time may name (years 0001-9999), without a Date. */
function iso(ms) {
  const days = Math.floor(ms / 86_400_000);
  let rem = ms - days * 86_400_000;
  const z = days + 719_468, era = Math.floor(z / 146_097), doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1, m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const mi = Math.floor(rem / 60_000);
  rem -= mi * 60_000;
  const s = Math.floor(rem / 1000), f = rem - s * 1000;
  return `${P2[Math.floor(y / 100)]}${P2[y % 100]}-${P2[m]}-${P2[d]}T${P2[h]}:${P2[mi]}:${P2[s]}.${f < 100 ? (f < 10 ? '00' : '0') : ''}${f}Z`;
}

/** Epoch milliseconds of a time argument: a number, a Date or an ISO-8601 string. */
function millis(t) {
  const ms = typeof t === 'number' ? t : t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : NaN;
  if (!Number.isInteger(ms)) throw fail('E_TIME', 'at must be a Date, epoch milliseconds or an ISO-8601 string');
  return ms;
}

// ----- the catalog ---------------------------------------------------------------------------------------------------

export class BaselineCatalog {
  /** `spec`: the catalog JSON (Catalog.toJSON()); `id`: its content id. */
  constructor(spec, id) {
    this.id = id;
    this.features = new Map(spec.features.map((f) => [f.id, f]));
    this.cache = new Map(); // feature -> Map(key -> quote template)
  }

  /** The quote's numbers, cached per feature and (tier, units, seconds): a Map lookup and a short scan. */
  price(req) {
    if (typeof req !== 'object' || req === null) throw fail('E_BAD_REQUEST', 'the usage request must be an object');
    const { feature, units, tier, seconds } = req;
    const cached = this.cache.get(feature);
    if (cached !== undefined) {
      for (let i = 0; i < cached.length; i++) {
        const c = cached[i];
        if (c.units === units && c.tier === tier && c.seconds === seconds) return c.quote;
      }
    }
    const quote = this.compute(feature, units, tier, seconds);
    if (cached === undefined) this.cache.set(feature, [{ units, tier, seconds, quote }]);
    else if (cached.length < 16) cached.push({ units, tier, seconds, quote });
    return quote;
  }

  compute(feature, units, tier, seconds) {
    if (typeof feature !== 'string' || feature === '' || feature.length > 128) throw fail('E_BAD_REQUEST', 'feature must be a feature id');
    if (units !== undefined && units !== null && (typeof units !== 'number' || !Number.isInteger(units) || units < 1 || units > MAX_UNITS)) {
      throw fail('E_BAD_REQUEST', 'units must be a positive whole number');
    }
    if (tier !== undefined && tier !== null && tier !== 'general' && tier !== 'premium') throw fail('E_BAD_REQUEST', "tier must be 'general' or 'premium'");
    if (seconds !== undefined && seconds !== null && (typeof seconds !== 'number' || !(seconds > 0) || seconds > MAX_SECONDS)) {
      throw fail('E_BAD_REQUEST', 'seconds must be a positive finite number');
    }
    const f = this.features.get(feature);
    if (!f) throw fail('E_UNKNOWN_FEATURE', `unknown feature '${feature}'`);
    const t = tier ?? 'general';
    const unitCredits = f.prices[t];
    if (unitCredits === undefined) throw fail('E_TIER_UNAVAILABLE', `feature '${feature}' has no ${t} tier`);
    let n;
    if (f.blockSeconds === undefined) {
      if (seconds != null) throw fail('E_BAD_REQUEST', 'give units, not seconds');
      n = units ?? f.defaultUnits;
    } else {
      if (units != null) throw fail('E_BAD_REQUEST', 'give seconds, not units');
      if (seconds == null) throw fail('E_BAD_REQUEST', 'seconds is required');
      n = Math.ceil(seconds / f.blockSeconds);
      if (!(n >= 1 && n <= MAX_UNITS)) throw fail('E_BAD_REQUEST', 'unsupported number of blocks');
    }
    return { feature: f.id, agent: f.agent, tier: t, units: n, unitCredits, credits: n * unitCredits, catalog: this.id };
  }

  quote(req) {
    const q = this.price(req);
    return { feature: q.feature, agent: q.agent, tier: q.tier, units: q.units, unitCredits: q.unitCredits, credits: q.credits, catalog: q.catalog };
  }
}

// ----- calendar (the account's zone, through Intl like the package) ---------------------------------------------------

const formatters = new Map();
function formatter(zone) {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric',
      minute: 'numeric', second: 'numeric', era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Local minus UTC, in ms, at an instant (Intl has second resolution). */
function offset(zone, ms) {
  const s = Math.floor(ms / 1000) * 1000;
  const text = formatter(zone).format(s);
  const n = text.match(/\d+/g).map(Number);
  const [mo, d, y0, h, mi, sec] = n;
  const y = text.includes('B') ? 1 - y0 : y0;
  return daysFromCivil(y, mo, d) * DAY + (h % 24) * 3_600_000 + mi * 60_000 + sec * 1000 - s;
}

function toLocal(zone, ms) {
  const local = ms + offset(zone, ms);
  const d = new Date(local);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), msOfDay: ((local % DAY) + DAY) % DAY };
}

/** The instant a local time denotes: ambiguous -> the earlier instant; in a DST gap -> the first instant after it. */
function fromLocal(zone, { year, month, day, msOfDay }) {
  const wall = daysFromCivil(year, month, day) * DAY + msOfDay;
  const around = [offset(zone, wall - DAY), offset(zone, wall), offset(zone, wall + DAY)];
  let best = null;
  for (const off of around) {
    const t = wall - off;
    if (offset(zone, t) === off) best = best === null ? t : Math.min(best, t);
  }
  if (best !== null) return best;
  let lo = wall - around[2], hi = wall - around[0];
  if (lo > hi) [lo, hi] = [hi, lo];
  const loOffset = offset(zone, lo);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offset(zone, mid) === loOffset) lo = mid;
    else hi = mid;
  }
  return hi;
}

function daysInMonth(y, m) {
  return m === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

function addMonths(zone, anchor, months) {
  const s = toLocal(zone, anchor);
  const index = s.year * 12 + s.month - 1 + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  if (year > 9999) throw fail('E_TIME', 'date arithmetic went past the year 9999');
  return fromLocal(zone, { year, month, day: Math.min(s.day, daysInMonth(year, month)), msOfDay: s.msOfDay });
}

// ----- wallet state ----------------------------------------------------------------------------------------------------

/** Lot ids compare as the engine compares them: by UTF-8 bytes, which is code point order. */
function compareIds(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = x >= 0xd800 && x <= 0xdfff, sy = y >= 0xd800 && y <= 0xdfff;
    if (sx !== sy) return sx ? 1 : -1; // a surrogate (astral code point) sorts after every BMP code point
    return x - y;
  }
  return a.length - b.length;
}

function order(a, b) {
  return (a.expiresAt ?? Infinity) - (b.expiresAt ?? Infinity) || a.grantedAt - b.grantedAt || compareIds(a.id, b.id);
}

function lotOf(l, i) {
  const grantedAt = Date.parse(l.grantedAt);
  const expiresAt = l.expiresAt === null ? null : Date.parse(l.expiresAt);
  if (typeof l.id !== 'string' || !KINDS.includes(l.kind) || !Number.isInteger(l.credits) || !Number.isInteger(l.granted)
    || Number.isNaN(grantedAt) || Number.isNaN(expiresAt) || typeof l.frozen !== 'boolean' || typeof l.expired !== 'boolean') {
    throw fail('E_SNAPSHOT', `snapshot.lots[${i}] is not a lot`);
  }
  return {
    id: l.id, kind: l.kind, agent: AGENT.has(l.kind), granted: l.granted, credits: l.credits, grantedAt,
    grantedIso: l.grantedAt, expiresAt, expiresIso: l.expiresAt, frozen: l.frozen, expired: l.expired,
  };
}

const copyLot = (l) => ({
  id: l.id, kind: l.kind, agent: l.agent, granted: l.granted, credits: l.credits, grantedAt: l.grantedAt, grantedIso: l.grantedIso,
  expiresAt: l.expiresAt, expiresIso: l.expiresIso, frozen: l.frozen, expired: l.expired,
}); // a literal, so every lot object has one shape
const copyHold = (h) => ({ id: h.id, feature: h.feature, expiresAt: h.expiresAt, expiresIso: h.expiresIso, takes: h.takes.map((t) => [t[0], t[1]]) });

function membershipOf(m) {
  const t = (s) => (s === null || s === undefined ? null : Date.parse(s));
  switch (m.status) {
    case 'none': return { status: 'none' };
    case 'trial': return { status: 'trial', until: t(m.until) };
    case 'lapsed': return { status: 'lapsed', since: t(m.since) };
    case 'active': return {
      status: 'active', anchor: t(m.anchor), until: t(m.until), monthlyCredits: m.monthlyCredits,
      monthlyAgentCredits: m.monthlyAgentCredits, nextIndex: m.nextIndex, nextAt: t(m.nextAt),
    };
    default: throw fail('E_SNAPSHOT', 'snapshot.membership.status must be none, trial, active or lapsed');
  }
}

function membershipJSON(m) {
  switch (m.status) {
    case 'none': return { status: 'none' };
    case 'trial': return { status: 'trial', until: iso(m.until) };
    case 'lapsed': return { status: 'lapsed', since: iso(m.since) };
    default: return {
      status: 'active', anchor: iso(m.anchor), until: iso(m.until), monthlyCredits: m.monthlyCredits,
      monthlyAgentCredits: m.monthlyAgentCredits, nextIndex: m.nextIndex, nextAt: m.nextAt === null ? null : iso(m.nextAt),
    };
  }
}

function clone(v) {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(clone);
  const out = {};
  for (const k in v) out[k] = clone(v[k]);
  return out;
}

const isMember = (m) => m.status === 'trial' || m.status === 'active';

function membershipNext(m) {
  if (m.status === 'trial') return m.until;
  if (m.status === 'active') return m.nextAt === null ? m.until : Math.min(m.nextAt, m.until);
  return null;
}

/**
 * The mutable part of a wallet, as the engine keeps it: lots (in grant order), membership, open holds. `advance`
 * applies every scheduled event up to `t` in time order (hold expiries, lot expiries, lapse, distribution at one
 * instant), calling `onInstant(labels, now)` after each instant's events.
 */
class State {
  constructor(zone, lots, membership, holds) {
    this.zone = zone;
    this.lots = lots;
    this.membership = membership;
    this.holds = holds;
  }

  copy() {
    return new State(this.zone, this.lots.map(copyLot), { ...this.membership }, this.holds.map(copyHold));
  }

  nextDue() {
    let next = membershipNext(this.membership);
    for (const l of this.lots) if (!l.expired && l.expiresAt !== null && (next === null || l.expiresAt < next)) next = l.expiresAt;
    for (const h of this.holds) if (next === null || h.expiresAt < next) next = h.expiresAt;
    return next;
  }

  engineId(kind, at) {
    const base = `${kind}@${iso(at)}`;
    const taken = (id) => {
      for (let i = this.lots.length - 1; i >= 0 && this.lots[i].grantedAt >= at; i--) if (this.lots[i].id === id) return true;
      return false;
    };
    if (!taken(base)) return base;
    for (let n = 2; ; n++) if (!taken(`${base}#${n}`)) return `${base}#${n}`;
  }

  grant(kind, credits, at, expiresAt) {
    const id = this.engineId(kind, at);
    this.lots.push({
      id, kind, agent: AGENT.has(kind), granted: credits, credits, grantedAt: at, grantedIso: iso(at), expiresAt,
      expiresIso: expiresAt === null ? null : iso(expiresAt), frozen: false, expired: false,
    });
  }

  advance(t, onInstant) {
    const due = []; // [at, class (0 hold, 1 lot), index]
    this.lots.forEach((l, i) => { if (!l.expired && l.expiresAt !== null && l.expiresAt <= t) due.push([l.expiresAt, 1, i]); });
    const holdIds = [];
    for (const h of this.holds) if (h.expiresAt <= t) { due.push([h.expiresAt, 0, holdIds.length]); holdIds.push(h.id); }
    const cmp = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
    due.sort(cmp);
    let k = 0;
    for (;;) {
      const m = membershipNext(this.membership);
      const nextM = m !== null && m <= t ? m : null;
      const nextQ = k < due.length ? due[k][0] : null;
      if (nextM === null && nextQ === null) break;
      const now = nextM === null ? nextQ : nextQ === null ? nextM : Math.min(nextM, nextQ);
      const labels = [];
      const label = (s) => { if (!labels.includes(s)) labels.push(s); };
      while (k < due.length && due[k][0] === now) {
        const [, cls, i] = due[k++];
        if (cls === 0) {
          const pos = this.holds.findIndex((h) => h.id === holdIds[i]);
          if (pos >= 0) {
            const [h] = this.holds.splice(pos, 1);
            for (let j = h.takes.length - 1; j >= 0; j--) {
              const lot = this.lots[h.takes[j][0]];
              if (!lot.expired) lot.credits += h.takes[j][1];
            }
            label('hold_expiry');
          }
        } else {
          const lot = this.lots[i];
          if (!lot.expired) {
            const had = lot.credits;
            lot.expired = true;
            lot.credits = 0;
            if (had !== 0) label('expire');
          }
        }
      }
      const ms = this.membership;
      if (membershipNext(ms) === now) {
        const lapse = ms.status === 'trial' ? ms.until <= now : ms.until <= now && (ms.nextAt === null || ms.nextAt >= now);
        if (lapse) {
          this.membership = { status: 'lapsed', since: now };
          for (const l of this.lots) if (FREEZES.has(l.kind) && !l.expired && !l.frozen) l.frozen = true;
          label('lapse');
        } else {
          const before = this.lots.length;
          const following = ms.nextIndex + 1;
          const next = addMonths(this.zone, ms.anchor, following);
          if (ms.monthlyCredits !== 0) this.grant('membership', ms.monthlyCredits, now, null);
          if (ms.monthlyAgentCredits !== 0) this.grant('membership_agent', ms.monthlyAgentCredits, now, next);
          if (ms.monthlyCredits !== 0 || ms.monthlyAgentCredits !== 0) label('distribution');
          this.membership = { ...ms, nextIndex: following, nextAt: next < ms.until ? next : null };
          for (let i = before; i < this.lots.length; i++) {
            const e = this.lots[i].expiresAt;
            if (e !== null && e <= t) {
              const item = [e, 1, i];
              let at = k;
              while (at < due.length && cmp(due[at], item) < 0) at++;
              due.splice(at, 0, item);
            }
          }
        }
      }
      onInstant?.(labels, now);
    }
  }

  totals() {
    let agent = 0, regular = 0, frozen = 0;
    for (const l of this.lots) {
      if (l.expired) continue;
      if (l.frozen) frozen += l.credits;
      else if (l.agent) agent += l.credits;
      else regular += l.credits;
    }
    return { agent, regular, frozen };
  }
}

/**
 * What reads derive from one state, computed once: the usable lots of each group in consumption order with suffix
 * sums, the regular group with frozen lots too (balance lists them), held credits and the next scheduled event.
 */
class Derived {
  constructor(state) {
    const agent = [], regular = [], shownRegular = [];
    for (const l of state.lots) {
      if (l.expired || l.credits === 0) continue;
      if (l.frozen) shownRegular.push(l);
      else if (l.agent) agent.push(l);
      else { regular.push(l); shownRegular.push(l); }
    }
    agent.sort(order);
    regular.sort(order);
    shownRegular.sort(order);
    this.state = state;
    this.agent = agent;
    this.regular = regular;
    this.shownRegular = shownRegular;
    this.agentSums = suffixSums(agent);
    this.regularSums = suffixSums(regular);
    let held = 0;
    for (const h of state.holds) for (const t of h.takes) held += t[1];
    this.held = held;
    this.member = isMember(state.membership);
    this.nextDue = state.nextDue();
    // Only lot expiries can be due before the next membership event or hold expiry: reads up to there cut the groups.
    let other = membershipNext(state.membership);
    for (const h of state.holds) if (other === null || h.expiresAt < other) other = h.expiresAt;
    this.cutsUntil = other; // exclusive; null: never
    this.balance = null; // the balance of this very state, once read
  }
}

function suffixSums(lots) {
  const s = new Float64Array(lots.length + 1);
  for (let i = lots.length - 1; i >= 0; i--) s[i] = s[i + 1] + lots[i].credits;
  return s;
}

/** The first lot of a sorted group still usable at t (expiry after t). */
function cut(lots, t) {
  let lo = 0, hi = lots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const e = lots[mid].expiresAt;
    if (e !== null && e <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class BaselineWallet {
  static fromJSON(snapshot) {
    const snap = typeof snapshot === 'string' ? JSON.parse(snapshot) : clone(snapshot);
    if (snap === null || typeof snap !== 'object' || snap.format !== 'credit-engine/wallet' || !(snap.version === 1 || snap.version === 2)) {
      throw fail('E_SNAPSHOT', 'not a credit-engine wallet snapshot');
    }
    if (typeof snap.timeZone !== 'string' || !Array.isArray(snap.lots) || !Array.isArray(snap.holds) || !Array.isArray(snap.ledger)) {
      throw fail('E_SNAPSHOT', 'snapshot fields are missing');
    }
    formatter(snap.timeZone);
    const lots = snap.lots.map(lotOf);
    const holds = snap.holds.map((h) => ({
      id: h.id, feature: h.feature, expiresAt: Date.parse(h.expiresAt), expiresIso: h.expiresAt, takes: h.takes.map((t) => [t[0], t[1]]),
    }));
    const w = new BaselineWallet();
    w.snap = snap; // the other fields (records, flags, ledger, and whatever a later version adds), as loaded
    w.clock = snap.clock === null ? null : Date.parse(snap.clock);
    w.state = new State(snap.timeZone, lots, membershipOf(snap.membership), holds);
    return w;
  }

  constructor() {
    this.derived = null; // of the current state, until a change
    this.later = null; // { from, until, derived, at } of the last read past the next scheduled event
  }

  current() {
    return this.derived ?? (this.derived = new Derived(this.state));
  }

  /** The derived view and the cut instant for a read at `t` (already clamped to the clock). */
  viewAt(t) {
    const d = this.current();
    if (d.nextDue === null || t < d.nextDue) return { d, t: null };
    if (d.cutsUntil === null || t < d.cutsUntil) return { d, t };
    const l = this.later;
    if (l !== null && t >= l.from && (l.until === null || t < l.until)) return { d: l.derived, t: null };
    const copy = this.state.copy();
    let from = this.clock ?? -Infinity;
    copy.advance(t, (_, now) => { from = now; });
    const derived = new Derived(copy);
    this.later = { from, until: derived.nextDue, derived };
    return { d: derived, t: null };
  }

  clamp(at) {
    const t = millis(at);
    return this.clock !== null && t < this.clock ? this.clock : t;
  }

  preview(req, at, catalog) {
    const q = catalog.price(req);
    const { d, t } = this.viewAt(this.clamp(at));
    const a0 = t === null ? 0 : cut(d.agent, t), r0 = t === null ? 0 : cut(d.regular, t);
    const agent = d.agentSums[a0], regular = d.regularSums[r0];
    const available = q.agent ? agent + regular : regular;
    const quote = { feature: q.feature, agent: q.agent, tier: q.tier, units: q.units, unitCredits: q.unitCredits, credits: q.credits, catalog: q.catalog };
    const cost = q.credits;
    if (available < cost) {
      return { quote, credits: cost, sufficient: false, shortfall: cost - available, draws: [], balanceAfter: { total: agent + regular, agent, regular } };
    }
    const draws = [];
    let left = cost, agentAfter = agent;
    if (q.agent) {
      for (let i = a0, lots = d.agent; left > 0 && i < lots.length; i++) {
        const l = lots[i], take = l.credits < left ? l.credits : left;
        draws.push({ lotId: l.id, kind: l.kind, credits: take });
        left -= take;
        agentAfter -= take;
      }
    }
    for (let i = r0, lots = d.regular; left > 0 && i < lots.length; i++) {
      const l = lots[i], take = l.credits < left ? l.credits : left;
      draws.push({ lotId: l.id, kind: l.kind, credits: take });
      left -= take;
    }
    const regularAfter = regular - (cost - (agent - agentAfter));
    return { quote, credits: cost, sufficient: true, shortfall: 0, draws, balanceAfter: { total: agentAfter + regularAfter, agent: agentAfter, regular: regularAfter } };
  }

  balance(at) {
    const when = this.clamp(at);
    const { d, t } = this.viewAt(when);
    if (t === null) {
      // Nothing due: the balance of this state, computed once (running sums, views with their strings), copied.
      const b = d.balance ?? (d.balance = this.scan(d, null, when));
      const src = b.lots, n = src.length, lots = new Array(n);
      for (let i = 0; i < n; i++) {
        const l = src[i];
        lots[i] = { id: l.id, kind: l.kind, credits: l.credits, grantedAt: l.grantedAt, expiresAt: l.expiresAt, frozen: l.frozen, agentOnly: l.agentOnly };
      }
      const k = b.kinds;
      return {
        at: iso(when), total: b.total, agent: b.agent, regular: b.regular, frozen: b.frozen, held: b.held, display: b.display,
        kinds: { daily_login: k.daily_login, membership_agent: k.membership_agent, promotion: k.promotion, membership: k.membership, trial: k.trial, purchased: k.purchased },
        nextExpiry: b.nextExpiry === null ? null : { at: b.nextExpiry.at, credits: b.nextExpiry.credits }, lots,
      };
    }
    return this.scan(d, t, when);
  }

  /** The balance of a derived view with the lots expired by `t` (null: none) left out. */
  scan(d, t, when) {
    const kinds = { daily_login: 0, membership_agent: 0, promotion: 0, membership: 0, trial: 0, purchased: 0 };
    const ga = d.agent, gr = d.shownRegular;
    const a0 = t === null ? 0 : cut(ga, t);
    const lots = new Array(ga.length - a0);
    let agent = 0, regular = 0, frozen = 0, nextAt = null, nextCredits = 0;
    for (let i = a0; i < ga.length; i++) {
      const l = ga[i];
      lots[i - a0] = { id: l.id, kind: l.kind, credits: l.credits, grantedAt: l.grantedIso, expiresAt: l.expiresIso, frozen: false, agentOnly: true };
      kinds[l.kind] += l.credits;
      agent += l.credits;
      const e = l.expiresAt;
      if (e !== null) {
        if (nextAt === null || e < nextAt) { nextAt = e; nextCredits = l.credits; } else if (e === nextAt) nextCredits += l.credits;
      }
    }
    for (let i = 0; i < gr.length; i++) {
      const l = gr[i];
      const e = l.expiresAt;
      if (t !== null && e !== null && e <= t) continue; // frozen lots interleave: no single cut
      lots.push({ id: l.id, kind: l.kind, credits: l.credits, grantedAt: l.grantedIso, expiresAt: l.expiresIso, frozen: l.frozen, agentOnly: false });
      if (l.frozen) { frozen += l.credits; continue; }
      kinds[l.kind] += l.credits;
      regular += l.credits;
      if (e !== null) {
        if (nextAt === null || e < nextAt) { nextAt = e; nextCredits = l.credits; } else if (e === nextAt) nextCredits += l.credits;
      }
    }
    const total = agent + regular;
    return {
      at: iso(when), total, agent, regular, frozen, held: d.held, display: total + frozen + d.held !== 0 || d.member,
      kinds, nextExpiry: nextAt === null ? null : { at: iso(nextAt), credits: nextCredits }, lots,
    };
  }

  project({ from, to }) {
    let f = millis(from);
    const end = millis(to);
    if (end < f) throw fail('E_BAD_REQUEST', 'projection end is before its start');
    f = this.clock !== null && f < this.clock ? this.clock : f;
    const { d, t } = this.viewAt(f);
    const state = d.state.copy();
    if (t !== null) state.advance(t);
    const point = (at, event) => {
      const { agent, regular, frozen } = state.totals();
      return { at: iso(at), total: agent + regular, agent, regular, frozen, event };
    };
    const points = [point(f, 'start')];
    if (end > f) {
      state.advance(end, (labels, now) => {
        if (labels.length === 0) return;
        if (points.length >= MAX_PROJECTION_POINTS) throw fail('E_BAD_REQUEST', 'the projection has too many points');
        points.push(point(now, labels.join(',')));
      });
    }
    return points;
  }

  ledger() {
    const out = new Array(this.snap.ledger.length);
    for (let i = 0; i < out.length; i++) out[i] = copyEntry(this.snap.ledger[i]);
    return out;
  }

  toJSON() {
    const out = {};
    for (const k in this.snap) {
      if (k === 'lots') out.lots = this.state.lots.map(lotJSON);
      else if (k === 'holds') out.holds = this.state.holds.map((h) => ({ id: h.id, feature: h.feature, expiresAt: h.expiresIso, takes: h.takes.map((t) => [t[0], t[1]]) }));
      else if (k === 'membership') out.membership = membershipJSON(this.state.membership);
      else if (k === 'ledger') out.ledger = this.ledger();
      else out[k] = clone(this.snap[k]);
    }
    return out;
  }
}

function lotJSON(l) {
  return { id: l.id, kind: l.kind, granted: l.granted, credits: l.credits, grantedAt: l.grantedIso, expiresAt: l.expiresIso, frozen: l.frozen, expired: l.expired };
}

function copyEntry(e) {
  const c = { seq: e.seq, at: e.at, type: e.type };
  if (e.kind !== undefined) c.kind = e.kind;
  if (e.lotId !== undefined) c.lotId = e.lotId;
  c.credits = e.credits;
  if (e.ref !== undefined) c.ref = e.ref;
  if (e.feature !== undefined) c.feature = e.feature;
  c.total = e.total;
  return c;
}
