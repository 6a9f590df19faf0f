// The fast path of Wallet.prototype.preview, the call a front end makes on every keystroke. The generic path returns
// its result through JSON (a parse costs more than the whole preview); this one passes the request as numbers and
// reads the result as numbers from the module's memory, then builds the same object. It decides nothing: the Rust
// core validates, prices and plans exactly as in the generic path, which still handles every unusual argument
// (wrong types, unknown features, foreign catalogs), so errors are the same typed errors.
const HEAD = 12; // numbers before the draws; see JsWallet::preview_fast in src/js/mod.rs
const LOTS = Symbol('credit-engine lots');

export function installFastPreview(Wallet, Catalog, memory) {
  const generic = Wallet.prototype.preview;
  const tables = new WeakMap();
  let defaultTable = null;
  let view = new Float64Array(0);

  /** A view of the whole module memory, renewed only when the memory has grown (which empties old views). */
  function numbers() {
    if (view.length === 0) view = new Float64Array(memory().buffer);
    return view;
  }

  function table(catalog) {
    return { id: catalog.id, index: new Map(catalog.toJSON().features.map((f, i) => [f.id, i])), catalog };
  }

  /** The feature table of a catalog argument (the default when absent), or null for anything unusual. */
  function describe(catalog) {
    if (catalog === undefined || catalog === null) {
      // Kept for the life of the module: the default catalog handle the fast path prices with.
      if (!defaultTable) defaultTable = table(Catalog.default());
      return defaultTable;
    }
    if (!(catalog instanceof Catalog) || catalog.__wbg_ptr === 0) return null; // freed: the generic path says so
    let t = tables.get(catalog);
    if (!t) {
      try {
        t = table(catalog);
      } catch {
        return null;
      }
      tables.set(catalog, t);
    }
    return t;
  }

  function lot(wallet, generation, index) {
    // A lot's index changes only when lots with nothing left leave the wallet, which changes the generation the
    // module reports: the id and kind are kept with the handle for one generation.
    let cache = wallet[LOTS];
    if (cache === undefined || cache.generation !== generation) cache = wallet[LOTS] = { generation, lots: [] };
    return cache.lots[index] ?? (cache.lots[index] = wallet.__lotAt(index));
  }

  Object.defineProperty(Wallet.prototype, 'preview', {
    configurable: true,
    writable: true,
    value: function preview(req, at, catalog) {
      if (typeof req !== 'object' || req === null) return generic.call(this, req, at, catalog);
      let feature, units, tier, seconds;
      try {
        ({ feature, units, tier, seconds } = req);
      } catch {
        return generic.call(this, req, at, catalog);
      }
      const t = describe(catalog);
      const f = t === null ? undefined : t.index.get(feature);
      if (f === undefined
        || !(units === undefined || (typeof units === 'number' && units > 0))
        || !(seconds === undefined || (typeof seconds === 'number' && seconds > 0))
        || !(tier === undefined || tier === 'general' || tier === 'premium')) {
        return generic.call(this, req, at, catalog);
      }
      // Times cross as epoch milliseconds; an ISO string (or anything else) takes the generic path.
      const ms = typeof at === 'number' ? at : at instanceof Date ? at.getTime() : NaN;
      if (Number.isNaN(ms)) return generic.call(this, req, at, catalog);
      const ptr = this.__previewFast(t.catalog, f, units ?? 0, tier === 'premium' ? 1 : 0, seconds ?? 0, ms);
      // 0: an error (the generic path throws it, typed) or a draw from a lot not granted yet (it names the lot).
      if (ptr === 0) return generic.call(this, req, at, catalog);
      // Every number is read before any further call into the module: `__lotAt` may grow the module's memory,
      // which detaches views of it.
      const m = numbers();
      const h = ptr / 8;
      const credits = m[h], sufficient = m[h + 1] === 1, shortfall = m[h + 2], quoted = m[h + 3];
      const unitCredits = m[h + 4], agent = m[h + 5] === 1, premium = m[h + 6] === 1;
      const balanceAfter = { total: m[h + 7], agent: m[h + 8], regular: m[h + 9] };
      const n = m[h + 10], generation = m[h + 11];
      const slots = new Array(2 * n);
      for (let k = 0; k < 2 * n; k++) slots[k] = m[h + HEAD + k];
      const draws = new Array(n);
      for (let k = 0; k < n; k++) {
        const [lotId, kind] = lot(this, generation, slots[2 * k]);
        draws[k] = { lotId, kind, credits: slots[2 * k + 1] };
      }
      return {
        quote: { feature, agent, tier: premium ? 'premium' : 'general', units: quoted, unitCredits, credits, catalog: t.id },
        credits,
        sufficient,
        shortfall,
        draws,
        balanceAfter,
      };
    },
  });
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
