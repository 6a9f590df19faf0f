// The fast path of Wallet.prototype.preview, the call a front end makes on every keystroke. The generic path returns
// its result through JSON (a parse costs more than the whole preview); this one passes the request as numbers and
// reads the result as numbers from the module's memory, then builds the same object. It decides nothing: the Rust
// core validates, prices and plans exactly as in the generic path, which still handles every unusual argument
// (wrong types, unknown features, foreign catalogs), so errors are the same typed errors. Like every entry point it
// reads each argument once, inside try (npm/args.js), and hands the module only numbers or plain copies.
import { isLive, time, unreadable, value } from './args.js';

const HEAD = 11; // numbers before the draws; see JsWallet::preview_fast in src/js/mod.rs
const isArray = Array.isArray;

/**
 * The guarded `preview` method. `generic(req, at, catalog)` is the module's own preview (called with copied
 * arguments), `previewFast` and `lotAt` its internal exports, `catalog(v, what)` the reader of a catalog option,
 * `check(self)` the live-handle check and `memory()` the module memory.
 */
export function fastPreview({ Catalog, generic, previewFast, lotAt, catalog: readCatalog, check, memory }) {
  const tables = new WeakMap();
  const lots = new WeakMap(); // wallet -> [id, kind] by lot index (an index never changes: lots are never moved)
  let defaultTable = null;
  let view = new Float64Array(0);

  /** A view of the whole module memory, renewed only when the memory has grown (which empties old views). */
  function numbers() {
    if (view.length === 0) view = new Float64Array(memory().buffer);
    return view;
  }

  function table(c) {
    return { id: c.id, index: new Map(c.toJSON().features.map((f, i) => [f.id, i])), catalog: c };
  }

  /** The feature table of a catalog argument (the default when absent), or null for anything unusual. */
  function describe(c) {
    if (c === undefined || c === null) {
      // Kept for the life of the module: the default catalog handle the fast path prices with.
      if (!defaultTable) defaultTable = table(Catalog.default());
      return defaultTable;
    }
    if (!isLive(c, Catalog)) return null; // freed or foreign: the generic path says so
    let t = tables.get(c);
    if (!t) tables.set(c, (t = table(c)));
    return t;
  }

  function lot(wallet, index) {
    let known = lots.get(wallet);
    if (!known) lots.set(wallet, (known = []));
    return known[index] ?? (known[index] = lotAt.call(wallet, index));
  }

  /** The generic path, with the arguments already read (a request's fields are not read twice). */
  function slow(wallet, req, at, c) {
    return generic.call(wallet, req, time(at, 'preview at'), readCatalog(c, 'preview catalog'));
  }

  return function preview(req, at, c) {
    check(this);
    if (req === null || typeof req !== 'object') return slow(this, value(req, 'preview req'), at, c);
    let feature, units, tier, seconds, array, field = null;
    try {
      array = isArray(req);
      field = 'feature';
      feature = req.feature;
      field = 'units';
      units = req.units;
      field = 'tier';
      tier = req.tier;
      field = 'seconds';
      seconds = req.seconds;
    } catch (e) {
      throw unreadable(field === null ? 'preview req' : `preview req.${field}`, e);
    }
    if (array) return slow(this, [], at, c);
    const t = describe(c);
    const f = t === null ? undefined : t.index.get(feature);
    // Times cross as epoch milliseconds; an ISO string (or anything else) takes the generic path.
    const ms = typeof at === 'number' ? at : time(at, 'preview at');
    if (f === undefined || typeof ms !== 'number' || Number.isNaN(ms)
      || !(units === undefined || (typeof units === 'number' && units > 0))
      || !(seconds === undefined || (typeof seconds === 'number' && seconds > 0))
      || !(tier === undefined || tier === 'general' || tier === 'premium')) {
      return slow(this, copy(feature, units, tier, seconds), ms, c);
    }
    const ptr = previewFast.call(this, t.catalog, f, units ?? 0, tier === 'premium' ? 1 : 0, seconds ?? 0, ms);
    // 0: an error (the generic path throws it, typed) or a draw from a lot not granted yet (it names the lot).
    if (ptr === 0) return slow(this, copy(feature, units, tier, seconds), ms, c);
    const m = numbers();
    const h = ptr / 8;
    const n = m[h + 10];
    const draws = new Array(n);
    for (let k = 0, d = h + HEAD; k < n; k++, d += 2) {
      const [lotId, kind] = lot(this, m[d]);
      draws[k] = { lotId, kind, credits: m[d + 1] };
    }
    const credits = m[h];
    return {
      quote: {
        feature, agent: m[h + 5] === 1, tier: m[h + 6] === 1 ? 'premium' : 'general', units: m[h + 3],
        unitCredits: m[h + 4], credits, catalog: t.id,
      },
      credits,
      sufficient: m[h + 1] === 1,
      shortfall: m[h + 2],
      draws,
      balanceAfter: { total: m[h + 7], agent: m[h + 8], regular: m[h + 9] },
    };
  };
}

/** A request already read, as a fresh object (absent fields stay absent). */
function copy(feature, units, tier, seconds) {
  const out = {};
  if (feature !== undefined) out.feature = value(feature, 'preview req.feature');
  if (units !== undefined) out.units = value(units, 'preview req.units');
  if (tier !== undefined) out.tier = value(tier, 'preview req.tier');
  if (seconds !== undefined) out.seconds = value(seconds, 'preview req.seconds');
  return out;
}
