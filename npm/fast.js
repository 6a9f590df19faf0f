// The fast path of Wallet.prototype.preview, the call a front end makes on every keystroke. The generic path returns
// its result through JSON (a parse costs more than the whole preview); this one passes the request as numbers and
// reads the result as numbers from the module's memory, then builds the same object. It decides nothing: the Rust
// core validates, prices and plans exactly as in the generic path, which still handles every unusual argument
// (wrong types, unknown features, foreign catalogs), so errors are the same typed errors.
const HEAD = 11; // numbers before the draws; see JsWallet::preview_fast in src/js/mod.rs
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

  function lot(wallet, index) {
    // A lot's index never changes (lots are never removed), so its id and kind can be kept with the handle.
    const lots = wallet[LOTS] ?? (wallet[LOTS] = []);
    return lots[index] ?? (lots[index] = wallet.__lotAt(index));
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
