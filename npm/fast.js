// Fast paths of the reads a front end or an edge makes most (quote, preview, balance, project, ledger, toJSON). The
// generic paths return their results through JSON; these exchange numbers with the module (src/js/fast.rs and
// JsWallet::preview_fast) and build the same objects from numbers and strings kept per wallet. They decide nothing:
// every number comes from the Rust core; anything unusual (wrong types, ISO-string times, foreign catalogs, errors)
// goes down the generic path, which answers or throws exactly as before.
//
// Like every entry point, each fast path first copies its arguments into plain values (npm/args.js: every read of a
// caller's value happens there, inside try, and a throwing read is E_BAD_REQUEST naming the argument); everything
// below works on those copies only, and the module sees numbers, the copies and handles this package made.
//
// What is kept, and why it is exact:
// - A catalog is immutable, so its quotes are kept per request once the core has computed them.
// - A wallet's reads are kept until the wallet may have changed: every method that is not a read drops what the
//   wallet's handle keeps, before and after it runs (so a read made from inside one, by a watch callback, is not
//   kept either). Lot indices, lot strings and results are never used across such a call.
// - The core reports, with each read, the span of instants [lo, hi) that see the same wallet state (no scheduled
//   event inside it); a kept result answers only for an instant inside its span.
// - Every call returns fresh objects: a caller may change what it got without touching anything kept.
// - Module memory: a view of it is taken after the call that wrote the numbers and read in full before any further
//   call into the module (which may grow the memory and detach the view).
// What is kept lives in the handle's record (npm/args.js: a private field of the handle, stamped by the package), so
// keeping, finding and dropping it runs no code of the caller's, whatever `this` is, and costs no WeakMap lookup.
// A read that answers from what is kept allocates only the result it returns.
import { liveRecord, recordOf, requestCopy, unreadable, value } from './args.js';

const HEAD = 11; // numbers before the draws of __previewFast; see JsWallet::preview_fast in src/js/mod.rs
const BALANCE_HEAD = 19; // numbers before the lots of __balanceFast; see src/js/fast.rs
const MAX_KEPT = 32; // previews kept per wallet and quotes per feature
const EVENTS = ['start', 'expire', 'distribution', 'lapse', 'hold_expiry']; // = EVENTS in src/js/fast.rs
/** Wallet methods that only read, and free (every other method drops what a wallet keeps). */
const READS = new Set(['constructor', 'free', 'balance', 'preview', 'project', 'ledger', 'nextChange', 'toJSON', 'watch']);
const isArray = Array.isArray;

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
/** Epoch milliseconds of a copied time argument (a Date was already turned into its milliseconds), else NaN. */
const millis = (at) => (typeof at === 'number' && Math.floor(at) === at ? at : NaN);
/** A copied request or options object (npm/args.js makes them fresh plain objects); primitives and stand-ins not. */
const plain = (v) => typeof v === 'object' && v !== null && !isArray(v);
/**
 * A whole number read from the module's Float64Array as the small integer it is (the same value): an element of a
 * Float64Array is read as a heap-allocated double, and objects built from those get double-typed fields in V8, so
 * every copy of them (and of every object of the same shape) boxes each number again. Others are returned as read.
 */
const int = (x) => {
  const n = x | 0;
  return n === x ? n : x;
};
/**
 * One string per kind id: the module's text gives every lot its own copy of its kind's name (10,000 lots, 10,000
 * strings, each read anew by a caller that looks at `kind`); these six are shared. Unknown names pass as they are.
 */
const KIND_NAMES = new Map(['daily_login', 'membership_agent', 'promotion', 'membership', 'trial', 'purchased'].map((k) => [k, k]));
const kindName = (kind) => KIND_NAMES.get(kind) ?? kind;
/** A primitive (what a kept result may be keyed by). */
const isData = (v) => v === null || (typeof v !== 'object' && typeof v !== 'function');

/**
 * The fast paths, as replacements for guard() (npm/args.js): each entry is `(original, check) => method`, where
 * `original` is the module's own method (the generic path) and `check(this)` refuses a foreign or freed `this`.
 * `internal`: the module's internal exports (taken off the prototype before guard() hides them); `readers`: the
 * argument copiers of npm/args.js; `memory()`: the module memory. `dropOnChange(Wallet)` wraps, after guard(), every
 * Wallet method that is not a read so that it drops what the wallet keeps.
 */
export function fastPaths({ Wallet, Catalog, memory, internal, readers }) {
  const { readSpan, previewFast, balanceFast, lotTable, lotAt, projectFast, catalogId, catalogToJSON } = internal;
  const { time, catalog: readCatalog, projectOptions } = readers;
  let view = new Float64Array(0);
  /** A view of the whole module memory, renewed when the memory has grown (which empties old views). */
  function numbers() {
    if (view.length === 0) view = new Float64Array(memory().buffer);
    return view;
  }

  // ----- what a wallet keeps -----
  function dropOnChange() {
    const proto = Wallet.prototype;
    for (const name of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, name);
      if (READS.has(name) || typeof d.value !== 'function') continue;
      const f = d.value;
      d.value = { [name](a, b, c) {
        drop(this);
        try {
          return f.call(this, a, b, c);
        } finally {
          drop(this);
        }
      } }[name];
      Object.defineProperty(proto, name, d);
    }
  }

  /** Drops what a wallet keeps (nothing for anything that is not a live Wallet handle). */
  function drop(w) {
    const rec = recordOf(w, Wallet);
    if (rec !== undefined) rec.kept = null;
  }

  /** What the wallet whose record is `rec` keeps for the state seen by reads in [lo, hi) (created on first use). */
  function kept(rec) {
    let k = rec.kept;
    if (k === null) {
      k = { lo: 0, hi: 0, balanceFrom: 0, previews: [], balance: null, table: null, names: [], ledger: null, json: null };
      rec.kept = k;
    }
    return k;
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
      const text = lotTable.call(w);
      k.table = text === '' ? [] : text.split('\u0002').map((row) => {
        const [id, kind, grantedAt, expiresAt, agent] = row.split('\u0001');
        return { id, kind: kindName(kind), grantedAt, expiresAt: expiresAt === '' ? null : expiresAt, agentOnly: agent === '1' };
      });
    }
    return k.table;
  }

  /** `{ id, kind }` of the lot at `index` (a table row once the table is built; may call into the module). */
  function lotName(w, k, index) {
    const known = k.table !== null ? k.table[index] : k.names[index];
    if (known !== undefined) return known;
    const [id, kind] = lotAt.call(w, index);
    return (k.names[index] = { id, kind: kindName(kind) });
  }

  // ----- Catalog.quote -----
  const copyQuote = (q) => ({ feature: q.feature, agent: q.agent, tier: q.tier, units: q.units, unitCredits: q.unitCredits, credits: q.credits, catalog: q.catalog });
  // Each read below is split in two: the answer from what is kept, small enough for the JIT to inline it into the
  // caller (V8 inlines functions of at most 460 bytes of bytecode), and the rest in a function of its own.

  /** A catalog record's kept quotes: `rec.quotes`, Map feature -> [{ units, tier, seconds, quote }]. */
  const quote = (generic, check) => {
    /** Not kept yet: the module's answer, kept when every field is a primitive (the same fields: the same request). */
    function quoteMiss(self, rec, feature, units, tier, seconds) {
      const q = generic.call(self, requestCopy('Catalog.quote req', feature, units, tier, seconds));
      if (typeof feature === 'string' && isData(units) && isData(tier) && isData(seconds)) {
        const byFeature = rec.quotes, list = byFeature === null ? undefined : byFeature.get(feature);
        if (byFeature === null) rec.quotes = new Map([[feature, [{ units, tier, seconds, quote: copyQuote(q) }]]]);
        else if (list === undefined) byFeature.set(feature, [{ units, tier, seconds, quote: copyQuote(q) }]);
        else if (list.length < MAX_KEPT) list.push({ units, tier, seconds, quote: copyQuote(q) });
      }
      return q;
    }
    /** A request that is not an object whose fields are read: a primitive as it is, anything else as a stand-in. */
    function quoteOther(self, r) {
      const req = value(r, 'Catalog.quote req');
      check(self);
      return generic.call(self, req);
    }
    return function quote(r) {
      // The request's four fields, each read once, as npm/args.js request() reads them (written out: locals cost
      // nothing, where a shared object to return them in cost four stores with write barriers per call).
      let feature, units, tier, seconds, field = 'feature';
      if (r === null || typeof r !== 'object') return quoteOther(this, r);
      try {
        if (isArray(r)) return quoteOther(this, r);
        feature = r.feature;
        field = 'units';
        units = r.units;
        field = 'tier';
        tier = r.tier;
        field = 'seconds';
        seconds = r.seconds;
      } catch (e) {
        throw unreadable(`Catalog.quote req.${field}`, e);
      }
      // `this` is checked once the request is read (a getter of the request may have freed the catalog).
      const rec = check(this);
      const list = rec.quotes === null ? undefined : rec.quotes.get(feature);
      if (list !== undefined) {
        for (let i = 0; i < list.length; i++) {
          const e = list[i];
          if (e.units === units && e.tier === tier && e.seconds === seconds) return copyQuote(e.quote);
        }
      }
      return quoteMiss(this, rec, feature, units, tier, seconds);
    };
  };

  // ----- Wallet.preview -----
  let defaultTable = null;
  const featureTable = (c) => ({
    id: catalogId.call(c), index: new Map(catalogToJSON.call(c).features.map((f, i) => [f.id, i])), catalog: c,
  });
  /** The feature table of the default catalog, made once for the life of the module. */
  const defaultFeatures = () => defaultTable ?? (defaultTable = featureTable(Catalog.default()));
  /** The feature table of a live Catalog handle, kept in its record (read with the class's own members). */
  const catalogFeatures = (c, crec) => crec.table ?? (crec.table = featureTable(c));
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

  const preview = (generic, check) => {
    /** Everything but an answer from what is kept. */
    function previewMiss(self, rec, r, read, at, c, crec, feature, units, tier, seconds) {
      const req = read ? requestCopy('preview req', feature, units, tier, seconds) : value(r, 'preview req');
      // The catalog: absent -> the default; a live handle -> its record; anything else (foreign, freed) -> the
      // generic path, after readCatalog() has refused a freed one.
      if (!read || (c !== undefined && c !== null && crec === undefined)) {
        return generic.call(self, req, at, readCatalog(c, 'preview catalog'));
      }
      const t = crec === undefined ? defaultFeatures() : catalogFeatures(c, crec);
      const f = t.index.get(feature);
      const ms = millis(at);
      if (f === undefined || Number.isNaN(ms)
        || !(units === undefined || (typeof units === 'number' && units > 0))
        || !(seconds === undefined || (typeof seconds === 'number' && seconds > 0))
        || !(tier === undefined || tier === 'general' || tier === 'premium')) {
        return generic.call(self, req, at, readCatalog(c, 'preview catalog'));
      }
      let kk = rec.kept;
      if (kk === null || !(ms >= kk.lo && ms < kk.hi)) {
        const s = readSpan.call(self, ms);
        if (s === 0) return generic.call(self, req, at, readCatalog(c, 'preview catalog')); // an error: thrown typed there
        const m = numbers(), h = s / 8;
        kk = kept(rec);
        span(kk, m[h], m[h + 1], m[h + 2]);
      }
      let result;
      const ptr = previewFast.call(self, t.catalog, f, units ?? 0, tier === 'premium' ? 1 : 0, seconds ?? 0, ms);
      if (ptr === 0) {
        // An error (thrown typed here) or a draw from a lot a distribution grants later (the generic path names it).
        result = generic.call(self, req, at, readCatalog(c, 'preview catalog'));
      } else {
        const m = numbers(), h = ptr / 8;
        const n = m[h + 10];
        const credits = int(m[h]);
        result = {
          quote: {
            feature, agent: m[h + 5] === 1, tier: m[h + 6] === 1 ? 'premium' : 'general', units: int(m[h + 3]),
            unitCredits: int(m[h + 4]), credits, catalog: t.id,
          },
          credits,
          sufficient: m[h + 1] === 1,
          shortfall: int(m[h + 2]),
          draws: new Array(n),
          balanceAfter: { total: int(m[h + 7]), agent: int(m[h + 8]), regular: int(m[h + 9]) },
        };
        // Lots named by what is kept are named without a call; the first that needs __lotAt (which may grow the
        // memory and so empty `m`) makes the rest be read from a copy taken before it.
        let takes = m, base = h + HEAD;
        for (let i = 0; i < n; i++) {
          const index = takes[base + 2 * i];
          let name = kk.table !== null ? kk.table[index] : kk.names[index];
          if (name === undefined) {
            if (takes === m) {
              takes = m.slice(base + 2 * i, h + HEAD + 2 * n);
              base = -2 * i;
            }
            name = lotName(self, kk, index);
          }
          result.draws[i] = { lotId: name.id, kind: name.kind, credits: int(takes[base + 2 * i + 1]) };
        }
      }
      if (rec.kept === kk) {
        if (kk.previews.length >= MAX_KEPT) kk.previews = [];
        kk.previews.push({ t, feature, units, tier, seconds, result: copyPreview(result) });
      }
      return result;
    }

    return function preview(r, a, c) {
      // The request's four fields, each read once (as in quote above); `read`: r is an object whose fields were read.
      let feature, units, tier, seconds, field = 'feature', read = false;
      if (r !== null && typeof r === 'object') {
        try {
          if (!isArray(r)) {
            feature = r.feature;
            field = 'units';
            units = r.units;
            field = 'tier';
            tier = r.tier;
            field = 'seconds';
            seconds = r.seconds;
            read = true;
          }
        } catch (e) {
          throw unreadable(`preview req.${field}`, e);
        }
      }
      const at = time(a, 'preview at'); // runs no caller code (a Date is read by Date.prototype.getTime)
      // `this` is checked once the arguments are read (a getter of the request may have freed the wallet).
      const rec = check(this);
      const crec = c === undefined || c === null ? undefined : liveRecord(c, Catalog);
      // What is kept for the same request at an instant of the same span (both as the generic path read them).
      const k = rec.kept;
      if (read && typeof at === 'number' && k !== null && at >= k.lo && at < k.hi && Math.floor(at) === at
        && (crec !== undefined || c === undefined || c === null)) {
        const t = crec === undefined ? defaultTable : crec.table;
        const list = k.previews;
        for (let i = 0; i < list.length; i++) {
          const e = list[i];
          if (e.t === t && e.feature === feature && e.units === units && e.tier === tier && e.seconds === seconds) return copyPreview(e.result);
        }
      }
      return previewMiss(this, rec, r, read, at, c, crec, feature, units, tier, seconds);
    };
  };

  // ----- Wallet.balance -----
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

  const balance = (generic, check) => {
    return function balance(a) {
      const rec = check(this);
      const at = time(a, 'balance at'); // runs no caller code
      const k = rec.kept;
      if (typeof at === 'number' && k !== null && k.balance !== null && at >= k.balanceFrom && at < k.hi && Math.floor(at) === at) {
        return buildBalance(k.balance, iso(at));
      }
      return balanceMiss(generic, this, rec, at);
    };
  };
  /** A balance not answered from what is kept: the module's numbers, or the generic path. */
  function balanceMiss(generic, self, rec, at) {
    const ms = millis(at);
    if (Number.isNaN(ms)) return generic.call(self, at);
    const ptr = balanceFast.call(self, ms);
    if (ptr === 0) return generic.call(self, at);
    const m = numbers(), h = ptr / 8;
    const n = m[h + 18];
    const rows = m.slice(h + BALANCE_HEAD, h + BALANCE_HEAD + 3 * n); // copied: the lot table below calls the module
    const b = {
      at: iso(m[h + 3]), total: int(m[h + 4]), agent: int(m[h + 5]), regular: int(m[h + 6]), frozen: int(m[h + 7]), held: int(m[h + 8]),
      display: m[h + 9] === 1,
      kinds: {
        daily_login: int(m[h + 10]), membership_agent: int(m[h + 11]), promotion: int(m[h + 12]), membership: int(m[h + 13]),
        trial: int(m[h + 14]), purchased: int(m[h + 15]),
      },
      nextExpiry: Number.isNaN(m[h + 16]) ? null : { at: iso(m[h + 16]), credits: int(m[h + 17]) },
      lots: new Array(n),
    };
    const lo = m[h], hi = m[h + 1], clock = m[h + 2];
    const k = kept(rec);
    span(k, lo, hi, clock);
    const lots = table(self, k);
    for (let i = 0; i < n; i++) {
      const l = lots[rows[3 * i]];
      b.lots[i] = { id: l.id, kind: l.kind, credits: int(rows[3 * i + 1]), grantedAt: l.grantedAt, expiresAt: l.expiresAt, frozen: rows[3 * i + 2] === 1, agentOnly: l.agentOnly };
    }
    if (rec.kept === k) k.balance = buildBalance(b, b.at);
    return b;
  }

  // ----- Wallet.project -----
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
  const project = (generic, check) => function project(raw) {
    check(this);
    const o = projectOptions(raw, 'project options');
    check(this); // again: a getter of the options may have freed the wallet
    if (!plain(o)) return generic.call(this, o);
    const f = millis(o.from), t = millis(o.to);
    if (Number.isNaN(f) || Number.isNaN(t)) return generic.call(this, o);
    const ptr = projectFast.call(this, f, t);
    if (ptr === 0) return generic.call(this, o); // an error: thrown typed there
    const m = numbers();
    const n = m[ptr / 8];
    const points = new Array(n);
    for (let i = 0, p = ptr / 8 + 1; i < n; i++, p += 6) {
      points[i] = { at: iso(m[p]), total: int(m[p + 1]), agent: int(m[p + 2]), regular: int(m[p + 3]), frozen: int(m[p + 4]), event: eventName(m[p + 5]) };
    }
    return points;
  };

  // ----- Wallet.ledger and Wallet.toJSON: kept until the wallet changes -----
  const ledger = (generic, check) => function ledger() {
    const rec = check(this);
    let k = rec.kept;
    if (k === null || k.ledger === null) {
      const entries = generic.call(this);
      k = kept(rec);
      k.ledger = { value: clone(entries), copy: entriesCopier(entries) };
      return entries;
    }
    return k.ledger.copy(k.ledger.value);
  };
  const toJSON = (generic, check) => function toJSON() {
    const rec = check(this);
    let k = rec.kept;
    if (k === null || k.json === null) {
      // The first save after a change (a host's usual call) keeps nothing: copying costs about as much as the
      // module's own answer from its kept records text. A second call on the unchanged wallet keeps a copy.
      const snapshot = generic.call(this);
      k = kept(rec);
      k.json = { value: undefined, copy: null };
      return snapshot;
    }
    if (k.json.copy === null) {
      const snapshot = generic.call(this);
      k.json = { value: clone(snapshot), copy: snapshotCopier(snapshot) };
      return snapshot;
    }
    return k.json.copy(k.json.value);
  };

  return { quote, preview, balance, project, ledger, toJSON, dropOnChange };
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

