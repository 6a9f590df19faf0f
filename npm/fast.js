// Fast paths of the reads a front end or an edge makes most (quote, preview, balance, project, ledger, toJSON). The
// generic paths return their results through JSON; these exchange numbers with the module (src/js/fast.rs and
// JsWallet::preview_fast) and build the same objects from numbers and strings kept per wallet. They decide nothing:
// every number comes from the Rust core; anything unusual (wrong types, ISO-string times, foreign catalogs, errors)
// goes down the generic path, which answers or throws exactly as before.
//
// What is kept, and why it is exact:
// - A catalog is immutable, so its quotes are kept per request once the core has computed them.
// - A wallet's reads are kept until the wallet may have changed: every method that is not a read drops what the
//   wallet's handle keeps, before and after it runs (so a read made from inside one, by an argument's getter, is not
//   kept either). Lot indices, lot strings and results are never used across such a call.
// - The core reports, with each read, the span of instants [lo, hi) that see the same wallet state (no scheduled
//   event inside it); a kept result answers only for an instant inside its span.
// - Every call returns fresh objects: a caller may change what it got without touching anything kept.
// - Module memory: a view of it is taken after the call that wrote the numbers and read in full before any further
//   call into the module (which may grow the memory and detach the view).
const HEAD = 12; // numbers before the draws of __previewFast (the last: the lot generation); see JsWallet::preview_fast
const BALANCE_HEAD = 19; // numbers before the lots of __balanceFast; see src/js/fast.rs
const KEPT = Symbol('credit-engine reads');
const QUOTES = Symbol('credit-engine quotes');
const MAX_KEPT = 32; // previews kept per wallet and quotes per feature
const EVENTS = ['start', 'expire', 'distribution', 'lapse', 'hold_expiry']; // = EVENTS in src/js/fast.rs
/** Wallet methods that only read, and free (everything else drops what a wallet keeps). */
const READS = new Set(['constructor', 'free', 'balance', 'preview', 'project', 'ledger', 'nextChange', 'toJSON', 'watch']);

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
/** Epoch milliseconds of a time argument the fast paths take (a whole number or a Date), else NaN. */
const millis = (at) => (typeof at === 'number' ? (Math.floor(at) === at ? at : NaN) : at instanceof Date ? at.getTime() : NaN);

export function installFastPaths(Wallet, Catalog, memory) {
  let view = new Float64Array(0);
  /** A view of the whole module memory, renewed when the memory has grown (which empties old views). */
  function numbers() {
    if (view.length === 0) view = new Float64Array(memory().buffer);
    return view;
  }

  // ----- what a wallet keeps -----
  for (const name of Object.getOwnPropertyNames(Wallet.prototype)) {
    const d = Object.getOwnPropertyDescriptor(Wallet.prototype, name);
    if (READS.has(name) || name.startsWith('__') || typeof d.value !== 'function') continue;
    const f = d.value;
    d.value = function (a, b, c) {
      const handle = typeof this === 'object' && this !== null;
      if (handle) this[KEPT] = undefined;
      try {
        return f.call(this, a, b, c);
      } finally {
        if (handle) this[KEPT] = undefined;
      }
    };
    Object.defineProperty(Wallet.prototype, name, d);
  }

  /** What the handle keeps for the state seen by reads in [lo, hi) (created on first use). */
  function kept(w) {
    return w[KEPT] ?? (w[KEPT] = {
      lo: 0, hi: 0, balanceFrom: 0, previews: [], balance: null, table: null, names: [], ledger: null, json: null,
    });
  }

  /** Moves what `k` keeps to the span [lo, hi) (dropping results of another span). */
  function span(k, lo, hi, clock) {
    if (k.lo !== lo || k.hi !== hi) {
      k.lo = lo;
      k.hi = hi;
      k.previews = [];
      k.balance = null;
    }
    k.balanceFrom = lo > clock ? lo : clock; // a balance echoes max(at, clock): kept ones answer from the clock on
  }

  /** `[id, kind, grantedAt, expiresAt, agentOnly]` of every lot, by index, valid while `k` is. */
  function table(w, k) {
    if (k.table === null) {
      const text = w.__lotTable();
      k.table = text === '' ? [] : text.split('\u0002').map((row) => {
        const [id, kind, grantedAt, expiresAt, agent] = row.split('\u0001');
        return { id, kind, grantedAt, expiresAt: expiresAt === '' ? null : expiresAt, agentOnly: agent === '1' };
      });
    }
    return k.table;
  }

  /** `[id, kind]` of the lot at `index`. */
  function lotName(w, k, index) {
    if (k.table !== null) {
      const l = k.table[index];
      return [l.id, l.kind];
    }
    return k.names[index] ?? (k.names[index] = w.__lotAt(index));
  }

  // ----- Catalog.quote -----
  const genericQuote = Catalog.prototype.quote;
  const copyQuote = (q) => ({ feature: q.feature, agent: q.agent, tier: q.tier, units: q.units, unitCredits: q.unitCredits, credits: q.credits, catalog: q.catalog });
  define(Catalog, 'quote', function quote(req) {
    if (!(this instanceof Catalog) || this.__wbg_ptr === 0 || typeof req !== 'object' || req === null || Array.isArray(req)) {
      return genericQuote.call(this, req);
    }
    let feature, units, tier, seconds;
    try {
      ({ feature, units, tier, seconds } = req);
    } catch {
      return genericQuote.call(this, req);
    }
    const byFeature = this[QUOTES] ?? (this[QUOTES] = new Map());
    const list = byFeature.get(feature);
    if (list !== undefined) {
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        if (e.units === units && e.tier === tier && e.seconds === seconds) return copyQuote(e.quote);
      }
    }
    // Priced by the core from exactly the values read above (a getter may answer differently next time).
    const q = genericQuote.call(this, { feature, units, tier, seconds });
    if (typeof feature === 'string') {
      if (list === undefined) byFeature.set(feature, [{ units, tier, seconds, quote: copyQuote(q) }]);
      else if (list.length < MAX_KEPT) list.push({ units, tier, seconds, quote: copyQuote(q) });
    }
    return q;
  });

  // ----- Wallet.preview -----
  const genericPreview = Wallet.prototype.preview;
  const tables = new WeakMap();
  let defaultTable = null;
  const featureTable = (catalog) => ({ id: catalog.id, index: new Map(catalog.toJSON().features.map((f, i) => [f.id, i])), catalog });
  /** The feature table of a catalog argument (the default when absent), or null for anything unusual. */
  function describe(catalog) {
    if (catalog === undefined || catalog === null) {
      if (!defaultTable) defaultTable = featureTable(Catalog.default()); // kept for the life of the module
      return defaultTable;
    }
    if (!(catalog instanceof Catalog) || catalog.__wbg_ptr === 0) return null; // freed: the generic path says so
    let t = tables.get(catalog);
    if (!t) {
      try {
        t = featureTable(catalog);
      } catch {
        return null;
      }
      tables.set(catalog, t);
    }
    return t;
  }
  const copyPreview = (p) => {
    const d = p.draws, n = d.length, draws = new Array(n);
    for (let i = 0; i < n; i++) {
      const x = d[i];
      draws[i] = { lotId: x.lotId, kind: x.kind, credits: x.credits };
    }
    const b = p.balanceAfter;
    return {
      quote: copyQuote(p.quote), credits: p.credits, sufficient: p.sufficient, shortfall: p.shortfall, draws,
      balanceAfter: { total: b.total, agent: b.agent, regular: b.regular },
    };
  };

  define(Wallet, 'preview', function preview(req, at, catalog) {
    if (!(this instanceof Wallet) || this.__wbg_ptr === 0 || typeof req !== 'object' || req === null) return genericPreview.call(this, req, at, catalog);
    let feature, units, tier, seconds;
    try {
      ({ feature, units, tier, seconds } = req);
    } catch {
      return genericPreview.call(this, req, at, catalog);
    }
    const t = describe(catalog);
    const f = t === null ? undefined : t.index.get(feature);
    const ms = millis(at);
    if (f === undefined || Number.isNaN(ms)
      || !(units === undefined || (typeof units === 'number' && units > 0))
      || !(seconds === undefined || (typeof seconds === 'number' && seconds > 0))
      || !(tier === undefined || tier === 'general' || tier === 'premium')) {
      return genericPreview.call(this, req, at, catalog);
    }
    let k = this[KEPT];
    if (k !== undefined && ms >= k.lo && ms < k.hi) {
      const list = k.previews;
      for (let i = 0; i < list.length; i++) {
        const e = list[i];
        if (e.t === t && e.f === f && e.units === units && e.tier === tier && e.seconds === seconds) return copyPreview(e.result);
      }
    } else {
      const s = this.__readSpan(ms);
      if (s === 0) return genericPreview.call(this, req, at, catalog); // an error: the generic path throws it typed
      const m = numbers(), h = s / 8;
      k = kept(this);
      span(k, m[h], m[h + 1], m[h + 2]);
    }
    let result;
    const ptr = this.__previewFast(t.catalog, f, units ?? 0, tier === 'premium' ? 1 : 0, seconds ?? 0, ms);
    if (ptr === 0) {
      // An error (thrown typed here) or a draw from a lot a distribution grants later (the generic path names it).
      result = genericPreview.call(this, { feature, units, tier, seconds }, ms, catalog);
    } else {
      const m = numbers(), h = ptr / 8;
      const n = m[h + 10];
      const takes = m.slice(h + HEAD, h + HEAD + 2 * n); // copied: naming lots below may call into the module
      const credits = m[h];
      result = {
        quote: {
          feature, agent: m[h + 5] === 1, tier: m[h + 6] === 1 ? 'premium' : 'general', units: m[h + 3],
          unitCredits: m[h + 4], credits, catalog: t.id,
        },
        credits,
        sufficient: m[h + 1] === 1,
        shortfall: m[h + 2],
        draws: new Array(n),
        balanceAfter: { total: m[h + 7], agent: m[h + 8], regular: m[h + 9] },
      };
      for (let i = 0; i < n; i++) {
        const [lotId, kind] = lotName(this, k, takes[2 * i]);
        result.draws[i] = { lotId, kind, credits: takes[2 * i + 1] };
      }
    }
    if (this[KEPT] === k) {
      if (k.previews.length >= MAX_KEPT) k.previews = [];
      k.previews.push({ t, f, units, tier, seconds, result: copyPreview(result) });
    }
    return result;
  });

  // ----- Wallet.balance -----
  const genericBalance = Wallet.prototype.balance;
  const buildBalance = (b, at) => {
    const src = b.lots, n = src.length, lots = new Array(n);
    for (let i = 0; i < n; i++) {
      const l = src[i];
      lots[i] = { id: l.id, kind: l.kind, credits: l.credits, grantedAt: l.grantedAt, expiresAt: l.expiresAt, frozen: l.frozen, agentOnly: l.agentOnly };
    }
    const k = b.kinds;
    return {
      at, total: b.total, agent: b.agent, regular: b.regular, frozen: b.frozen, held: b.held, display: b.display,
      kinds: {
        daily_login: k.daily_login, membership_agent: k.membership_agent, promotion: k.promotion, membership: k.membership,
        trial: k.trial, purchased: k.purchased,
      },
      nextExpiry: b.nextExpiry === null ? null : { at: b.nextExpiry.at, credits: b.nextExpiry.credits },
      lots,
    };
  };

  define(Wallet, 'balance', function balance(at) {
    const ms = millis(at);
    if (!(this instanceof Wallet) || this.__wbg_ptr === 0 || Number.isNaN(ms)) return genericBalance.call(this, at);
    let k = this[KEPT];
    if (k !== undefined && k.balance !== null && ms >= k.balanceFrom && ms < k.hi) return buildBalance(k.balance, iso(ms));
    const ptr = this.__balanceFast(ms);
    if (ptr === 0) return genericBalance.call(this, at);
    const m = numbers(), h = ptr / 8;
    const n = m[h + 18];
    const rows = m.slice(h + BALANCE_HEAD, h + BALANCE_HEAD + 3 * n); // copied: the lot table below calls the module
    const b = {
      at: iso(m[h + 3]), total: m[h + 4], agent: m[h + 5], regular: m[h + 6], frozen: m[h + 7], held: m[h + 8],
      display: m[h + 9] === 1,
      kinds: {
        daily_login: m[h + 10], membership_agent: m[h + 11], promotion: m[h + 12], membership: m[h + 13], trial: m[h + 14],
        purchased: m[h + 15],
      },
      nextExpiry: Number.isNaN(m[h + 16]) ? null : { at: iso(m[h + 16]), credits: m[h + 17] },
      lots: new Array(n),
    };
    const [lo, hi, clock] = [m[h], m[h + 1], m[h + 2]];
    k = kept(this);
    span(k, lo, hi, clock);
    const lots = table(this, k);
    for (let i = 0; i < n; i++) {
      const l = lots[rows[3 * i]];
      b.lots[i] = { id: l.id, kind: l.kind, credits: rows[3 * i + 1], grantedAt: l.grantedAt, expiresAt: l.expiresAt, frozen: rows[3 * i + 2] === 1, agentOnly: l.agentOnly };
    }
    if (this[KEPT] === k) k.balance = buildBalance(b, b.at);
    return b;
  });

  // ----- Wallet.project -----
  const genericProject = Wallet.prototype.project;
  const eventNames = new Map();
  const eventName = (code) => {
    let name = eventNames.get(code);
    if (name === undefined) {
      const labels = [];
      for (let c = code; c > 0; c = Math.floor(c / 6)) labels.unshift(EVENTS[(c % 6) - 1]);
      eventNames.set(code, (name = labels.join(',')));
    }
    return name;
  };
  define(Wallet, 'project', function project(o) {
    if (!(this instanceof Wallet) || this.__wbg_ptr === 0 || typeof o !== 'object' || o === null) return genericProject.call(this, o);
    let from, to;
    try {
      ({ from, to } = o);
    } catch {
      return genericProject.call(this, o);
    }
    const f = millis(from), t = millis(to);
    if (Number.isNaN(f) || Number.isNaN(t)) return genericProject.call(this, o);
    const ptr = this.__projectFast(f, t);
    if (ptr === 0) return genericProject.call(this, { from: f, to: t }); // an error: thrown typed there
    const m = numbers();
    const n = m[ptr / 8];
    const points = new Array(n);
    for (let i = 0, p = ptr / 8 + 1; i < n; i++, p += 6) {
      points[i] = { at: iso(m[p]), total: m[p + 1], agent: m[p + 2], regular: m[p + 3], frozen: m[p + 4], event: eventName(m[p + 5]) };
    }
    return points;
  });

  // ----- Wallet.ledger and Wallet.toJSON: kept until the wallet changes -----
  const genericLedger = Wallet.prototype.ledger;
  define(Wallet, 'ledger', function ledger() {
    if (!(this instanceof Wallet) || this.__wbg_ptr === 0) return genericLedger.call(this);
    let k = this[KEPT];
    if (k === undefined || k.ledger === null) {
      const entries = genericLedger.call(this);
      k = kept(this);
      k.ledger = { value: clone(entries), copy: entriesCopier(entries) };
      return entries;
    }
    return k.ledger.copy(k.ledger.value);
  });
  const genericToJSON = Wallet.prototype.toJSON;
  define(Wallet, 'toJSON', function toJSON() {
    if (!(this instanceof Wallet) || this.__wbg_ptr === 0) return genericToJSON.call(this);
    let k = this[KEPT];
    if (k === undefined || k.json === null) {
      const snapshot = genericToJSON.call(this);
      k = kept(this);
      k.json = { value: clone(snapshot), copy: snapshotCopier(snapshot) };
      return snapshot;
    }
    return k.json.copy(k.json.value);
  });
}

function define(C, name, value) {
  Object.defineProperty(C.prototype, name, { configurable: true, writable: true, value });
}

// Copiers for kept results: an object literal per element where every element has exactly the keys the copier
// writes (checked once, when the result is kept), else the generic deep copy. Keys keep the engine's order.
const LOT_KEYS = 'id,kind,granted,credits,grantedAt,expiresAt,frozen,expired';
const ENTRY_KEYS = ['seq', 'at', 'type', 'kind', 'lotId', 'credits', 'ref', 'feature', 'total'];

/** True if every element is an object whose keys are, in order, those of `keys` (a comma list) or a subsequence. */
function shaped(list, check) {
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (typeof e !== 'object' || e === null || Array.isArray(e) || !check(Object.keys(e), e)) return false;
  }
  return true;
}
const isLot = (keys, e) => keys.join(',') === LOT_KEYS && (e.expiresAt === null || typeof e.expiresAt === 'string');
function isEntry(keys, e) {
  let j = 0;
  for (const key of keys) {
    while (j < ENTRY_KEYS.length && ENTRY_KEYS[j] !== key) j++;
    if (j === ENTRY_KEYS.length || (typeof e[key] === 'object' && e[key] !== null)) return false;
  }
  return true;
}

function copyLots(lots) {
  const n = lots.length, out = new Array(n);
  for (let i = 0; i < n; i++) {
    const l = lots[i];
    out[i] = { id: l.id, kind: l.kind, granted: l.granted, credits: l.credits, grantedAt: l.grantedAt, expiresAt: l.expiresAt, frozen: l.frozen, expired: l.expired };
  }
  return out;
}

/** Fresh copies of ledger entries (SPEC 6 LedgerEntry; optional keys only when present). */
function copyEntries(entries) {
  const n = entries.length, out = new Array(n);
  for (let i = 0; i < n; i++) {
    const e = entries[i];
    let c;
    if (e.kind !== undefined) {
      c = e.lotId !== undefined
        ? { seq: e.seq, at: e.at, type: e.type, kind: e.kind, lotId: e.lotId, credits: e.credits }
        : { seq: e.seq, at: e.at, type: e.type, kind: e.kind, credits: e.credits };
    } else {
      c = e.lotId !== undefined
        ? { seq: e.seq, at: e.at, type: e.type, lotId: e.lotId, credits: e.credits }
        : { seq: e.seq, at: e.at, type: e.type, credits: e.credits };
    }
    if (e.ref !== undefined) c.ref = e.ref;
    if (e.feature !== undefined) c.feature = e.feature;
    c.total = e.total;
    out[i] = c;
  }
  return out;
}

const entriesCopier = (entries) => (shaped(entries, isEntry) ? copyEntries : clone);

/** A copier for a snapshot: lots and ledger by literal when they have the shapes above, everything else generic. */
function snapshotCopier(snapshot) {
  if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot)) return clone;
  const lots = Array.isArray(snapshot.lots) && shaped(snapshot.lots, isLot);
  const ledger = Array.isArray(snapshot.ledger) && shaped(snapshot.ledger, isEntry);
  return (v) => {
    const out = {};
    for (const key in v) out[key] = key === 'lots' && lots ? copyLots(v.lots) : key === 'ledger' && ledger ? copyEntries(v.ledger) : clone(v[key]);
    return out;
  };
}

/** A deep copy of a JSON value (keys in their order). */
function clone(v) {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const n = v.length, out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = clone(v[i]);
    return out;
  }
  const out = {};
  for (const key in v) out[key] = clone(v[key]);
  return out;
}

/**
 * Methods of a freed handle (after free() or `using`) throw the package's own kind of error, with a code, instead of
 * the binding's bare "null pointer passed to rust".
 */
export function guardFreed(...classes) {
  for (const C of classes) {
    // Freeing twice (free() then the end of a `using` block, say) does nothing the second time.
    const free = C.prototype.free;
    const once = function () {
      if (this != null && this.__wbg_ptr !== 0) free.call(this);
    };
    Object.defineProperty(C.prototype, 'free', { value: once, writable: true, configurable: true });
    if (Symbol.dispose) Object.defineProperty(C.prototype, Symbol.dispose, { value: once, writable: true, configurable: true });
    for (const name of Object.getOwnPropertyNames(C.prototype)) {
      if (name === 'constructor' || name === 'free' || name.startsWith('__')) continue;
      const d = Object.getOwnPropertyDescriptor(C.prototype, name);
      const wrap = (f) => function (a, b, c) {
        if (this == null || this.__wbg_ptr === 0) {
          const err = new Error(`E_BAD_REQUEST: this ${C.name} was freed (free() or \`using\`); create or load a new one`);
          err.code = 'E_BAD_REQUEST';
          throw err;
        }
        return f.call(this, a, b, c);
      };
      if (typeof d.value === 'function') d.value = wrap(d.value);
      else if (typeof d.get === 'function') d.get = wrap(d.get);
      else continue;
      Object.defineProperty(C.prototype, name, d);
    }
  }
}
