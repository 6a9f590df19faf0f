// The package's front door: every exported function and method copies its arguments into plain values here, before
// anything reaches the WebAssembly module. A JS exception thrown while Rust reads a value through a wasm-bindgen
// import unwinds through the module's frames and leaves it corrupted (a borrowed wallet, a lost stack pointer: after
// a few hundred such calls every call traps), so Rust only ever sees what this file hands it: primitives, fresh
// plain objects and arrays holding only known fields, JSON text, and handles this module created itself.
// A read that throws (a getter, a Proxy trap, a revoked Proxy, a throwing toJSON or valueOf during JSON.stringify)
// becomes E_BAD_REQUEST naming the argument. No rule lives here: a value of the wrong type is copied as a neutral
// stand-in of the same type, and Rust, as before, says what was wrong with it.

const isArray = Array.isArray;
const stringify = JSON.stringify;
const getTime = Date.prototype.getTime;
const TYPED = Object.getPrototypeOf(Uint8Array.prototype);
// Both getters read internal slots only: no user code runs, nothing throws for a value that is not a typed array.
const typedTag = Object.getOwnPropertyDescriptor(TYPED, Symbol.toStringTag).get;
const typedLength = Object.getOwnPropertyDescriptor(TYPED, 'length').get;
const ownNames = Object.getOwnPropertyNames;
const ownDescriptor = Object.getOwnPropertyDescriptor;
/** Stands in for a function where data is wanted: Rust reports "got function" without reading the original. */
const NOT_DATA = function notData() {};

/** A short description of anything thrown, itself read safely (the thrown value may be a Proxy too). */
function describe(thrown) {
  try {
    if (thrown !== null && (typeof thrown === 'object' || typeof thrown === 'function')) {
      const { name, message } = thrown;
      if (typeof message === 'string') return `${typeof name === 'string' ? name : 'Error'}: ${message}`.slice(0, 200);
      return 'an object without a message';
    }
    return String(thrown).slice(0, 200);
  } catch {
    return 'a value that cannot be described';
  }
}

export function badRequest(message) {
  const err = new Error(`E_BAD_REQUEST: ${message}`);
  err.code = 'E_BAD_REQUEST';
  return err;
}

/** The error for an argument whose reading threw. */
export function unreadable(what, thrown) {
  return badRequest(`${what}: reading it threw (${describe(thrown)})`);
}

/** A neutral value of the same type as an object or function `v` (which is not read): `[]`, `{}` or a function. */
function standIn(v, what) {
  if (typeof v === 'function') {
    try {
      isArray(v); // throws for a revoked Proxy
    } catch (e) {
      throw unreadable(what, e);
    }
    return NOT_DATA;
  }
  try {
    return isArray(v) ? [] : {};
  } catch (e) {
    throw unreadable(what, e);
  }
}

// ---- readers: (value, what) -> a plain copy, or a typed error ---------------------------------------------------

/** A string, number or flag: primitives as they are, anything else as a stand-in. */
export function value(v, what) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') ? standIn(v, what) : v;
}

/** A time: a Date becomes its epoch milliseconds (read with Date.prototype.getTime, not the object's own). */
export function time(v, what) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
  try {
    return getTime.call(v);
  } catch {
    return standIn(v, what); // not a Date (a Proxy of one is not one either): Rust says what a time may be
  }
}

/** A signing key: a string as it is, a Uint8Array as a fresh copy of its bytes. */
export function key(v, what) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
  if (typedTag.call(v) !== 'Uint8Array') return standIn(v, what);
  try {
    const out = new Uint8Array(typedLength.call(v));
    out.set(v); // copies from the internal buffer; throws if it was detached
    return out;
  } catch (e) {
    throw unreadable(what, e);
  }
}

/** An object given as JSON text or as an object: objects become their JSON text (JSON.stringify, inside try). */
export function json(v, what) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
  let text;
  try {
    text = stringify(v);
  } catch (e) {
    throw unreadable(what, e);
  }
  // undefined for a function, or an object whose toJSON gives no JSON: Rust says it wants an object or a string.
  return typeof text === 'string' ? text : typeof v === 'function' ? NOT_DATA : text;
}

/**
 * An options object: a fresh plain object holding only `fields` (name -> reader), each read once, in one try
 * block, then copied by its reader. A function or an array is refused by its type, as a stand-in.
 */
export function options(fields) {
  const names = Object.keys(fields);
  return function read(v, what) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
    if (typeof v === 'function') return standIn(v, what);
    const raw = new Array(names.length);
    let i = 0;
    try {
      if (isArray(v)) return [];
      for (; i < names.length; i++) raw[i] = v[names[i]];
    } catch (e) {
      throw unreadable(i < names.length ? `${what}.${names[i]}` : what, e);
    }
    const out = {};
    for (let k = 0; k < names.length; k++) {
      if (raw[k] !== undefined) out[names[k]] = fields[names[k]](raw[k], `${what}.${names[k]}`);
    }
    return out;
  };
}

/**
 * A usage request `{ feature, units?, tier?, seconds? }`: each of the four fields read once, inside one try block (a
 * throwing getter, Proxy trap or revoked Proxy is E_BAD_REQUEST naming the field), then copied by requestCopy().
 * What options() with four value() fields does, written out: it is on the path of every charge and hold. The kept
 * paths of quote and preview (npm/fast.js) read the same four fields the same way into their own locals, and make
 * the copy only when they call the module.
 */
export function request(v, what) {
  if (v === null || typeof v !== 'object') return value(v, what); // as it is, or a function as a stand-in
  let feature, units, tier, seconds, field = 'feature';
  try {
    if (isArray(v)) return [];
    feature = v.feature;
    field = 'units';
    units = v.units;
    field = 'tier';
    tier = v.tier;
    field = 'seconds';
    seconds = v.seconds;
  } catch (e) {
    throw unreadable(`${what}.${field}`, e);
  }
  return requestCopy(what, feature, units, tier, seconds);
}

/** The fresh plain copy of a request's fields as read (only the fields present; objects as stand-ins). */
export function requestCopy(what, feature, units, tier, seconds) {
  const out = {};
  if (feature !== undefined) out.feature = isData(feature) ? feature : standIn(feature, `${what}.feature`);
  if (units !== undefined) out.units = isData(units) ? units : standIn(units, `${what}.units`);
  if (tier !== undefined) out.tier = isData(tier) ? tier : standIn(tier, `${what}.tier`);
  if (seconds !== undefined) out.seconds = isData(seconds) ? seconds : standIn(seconds, `${what}.seconds`);
  return out;
}

/** A primitive (passed as it is by value()). */
const isData = (v) => v === null || (typeof v !== 'object' && typeof v !== 'function');

/** A map of key ids to keys (verifySnapshot's `keys`): its own properties, each read once and copied as a key. */
export function keyMap(v, what) {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) return v;
  if (typeof v === 'function') return standIn(v, what);
  const out = Object.create(null);
  let name;
  try {
    if (isArray(v)) return [];
    for (name of ownNames(v)) {
      const d = ownDescriptor(v, name);
      if (d !== undefined) out[name] = 'value' in d ? d.value : v[name];
    }
  } catch (e) {
    throw unreadable(name === undefined ? what : `${what}.${name}`, e);
  }
  for (const k of ownNames(out)) out[k] = key(out[k], `${what}.${k}`);
  return out;
}

// ---- handles ------------------------------------------------------------------------------------------------------

/**
 * Handles this module created (Wallet, Catalog, Watcher) carry a record `{ C, ptr, kept, quotes, table }` in a
 * private field, stamped on them when the module returns them (adopt): their class, the pointer each was given, and
 * what npm/fast.js keeps for them. Identity, not `instanceof`: a Proxy or an object with a handle's prototype has no
 * such field (reading `v.#rec` runs no trap and no getter), so it is never taken for a handle, and a handle whose pointer
 * was changed by hand is refused instead of reaching the module. A private field cannot be seen, read, replaced or
 * intercepted by any code outside this class (unlike a symbol property), and reading it costs what reading an
 * ordinary property costs (a WeakMap lookup, the earlier way, cost several times more on every call).
 */
class Stamp {
  constructor(o) {
    return o; // so that the subclass's constructor adds its private field to `o` itself
  }
}
class Handle extends Stamp {
  #rec;
  constructor(o, rec) {
    super(o);
    this.#rec = rec;
  }
  static of(v) {
    // One private-field read: on anything without the field (a primitive, a Proxy, any other object) it throws,
    // and like `#rec in v` it runs no trap and no getter. (Measured: a cached quote, which never enters the module,
    // spends most of what it costs beyond the baseline's Map lookup in this check; `in` then a read was two lookups.)
    try {
      return v.#rec;
    } catch {
      return undefined;
    }
  }
}

/**
 * Registers a handle of class C the module just returned; returns it. Its pointer field is made non-configurable (it
 * stays writable: free() zeroes it), so that it can never become a getter that answers one pointer to the check and
 * another to the wasm-bindgen glue right after.
 */
export function adopt(handle, C) {
  if (handle !== undefined && handle !== null && Handle.of(handle) === undefined) {
    Object.defineProperty(handle, '__wbg_ptr', { configurable: false });
    new Handle(handle, { C, ptr: handle.__wbg_ptr, kept: null, quotes: null, table: null });
  }
  return handle;
}

/** 'live', 'freed' or 'foreign' (not a handle of class C made by this module). */
function state(v, C) {
  const rec = Handle.of(v);
  if (rec === undefined || rec.C !== C) return 'foreign';
  const now = v.__wbg_ptr; // a data property of a handle (adopt): reading it runs no code
  if (now === 0) return 'freed';
  return now === rec.ptr ? 'live' : 'foreign';
}

/** The record of `v` if it is a handle of class C made by this module, live or not (see Handle), else undefined. */
export function recordOf(v, C) {
  const rec = Handle.of(v);
  return rec !== undefined && rec.C === C ? rec : undefined;
}

/** The record of `v` if it is a live handle of class C (see Handle), else undefined. Runs no caller code. */
export function liveRecord(v, C) {
  const rec = Handle.of(v);
  return rec !== undefined && rec.C === C && v.__wbg_ptr === rec.ptr ? rec : undefined;
}

/** Whether `v` is a live handle of class C. */
export function isLive(v, C) {
  return state(v, C) === 'live';
}

/** A live handle of class `C`, else E_BAD_REQUEST naming `what`. */
export function handle(v, C, what) {
  const s = state(v, C);
  if (s === 'live') return v;
  if (s === 'freed') throw badRequest(`${what}: this ${C.name} was freed (free() or \`using\`); create or load a new one`);
  throw badRequest(`${what} must be a ${C.name} made by this package, got ${kindOf(v)}`);
}

/**
 * A `catalog` option: absent stays absent; a live Catalog handle is passed as `{ id }` (its id read by the class's
 * own getter); anything else becomes a stand-in that Rust refuses as "not a Catalog".
 */
export function catalogOption(Catalog, idGetter) {
  return function read(v, what) {
    if (v === undefined || v === null) return v;
    const s = state(v, Catalog);
    if (s === 'freed') throw badRequest(`${what}: this Catalog was freed (free() or \`using\`); create or load a new one`);
    if (s === 'live') return { id: idGetter.call(v) };
    return value(v, what);
  };
}

function kindOf(v) {
  if (v === null) return 'null';
  try {
    return isArray(v) ? 'an array' : typeof v;
  } catch {
    return typeof v;
  }
}

// ---- installing the guards -----------------------------------------------------------------------------------------

/**
 * Replaces the members of a wasm-bindgen class with guarded ones: `this` must be a live handle of C, and each
 * argument goes through its reader before the original runs. `methods`: name -> array of [reader, label] (one per
 * argument), or a function (original, check) -> replacement for the special ones (`check(this)` refuses a foreign or
 * freed `this`). Members no table names get the `this` check and primitives-only readers. The `internal` members
 * (Rust exports for this package's own use) are removed from the prototype and returned, so that only this package
 * can call them, with values it made. `statics`: name -> readers; their results are adopted as handles of C.
 */
export function guard(C, { methods = {}, statics = {}, internal: hidden = [], prefix = C.name }) {
  const proto = C.prototype;
  const internal = {};
  for (const name of Object.getOwnPropertyNames(proto)) {
    // wasm-bindgen's own plumbing (__destroy_into_raw, used by free) stays as it is.
    if (name === 'constructor' || name === 'free' || name === '__destroy_into_raw') continue;
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (hidden.includes(name)) {
      internal[name] = d.value ?? d.get;
      delete proto[name];
      continue;
    }
    const original = typeof d.value === 'function' ? d.value : d.get;
    if (typeof original !== 'function') continue;
    const readers = methods[name] ?? fallbackReaders(original.length);
    const label = `${prefix}.prototype.${name}`;
    const wrapped = typeof readers === 'function'
      ? readers(original, liveCheck(C, label))
      : guarded(original, readers, liveCheck(C, label), name);
    if (typeof d.value === 'function') d.value = wrapped;
    else d.get = wrapped;
    Object.defineProperty(proto, name, d);
  }
  // free(): a foreign `this` is refused; freeing twice (free() then the end of a `using` block) does nothing.
  const free = proto.free;
  const once = function free_() {
    const s = state(this, C);
    if (s === 'live') {
      const rec = Handle.of(this);
      rec.kept = rec.quotes = rec.table = null; // what the fast paths kept goes with the module's memory
      return free.call(this);
    }
    if (s === 'freed') return undefined;
    throw badRequest(`${prefix}.prototype.free called on ${kindOf(this)}, not a ${C.name}`);
  };
  Object.defineProperty(proto, 'free', { value: once, writable: true, configurable: true });
  if (Symbol.dispose) Object.defineProperty(proto, Symbol.dispose, { value: once, writable: true, configurable: true });
  for (const [name, readers] of Object.entries(statics)) {
    const original = C[name];
    const wrapped = function (...args) {
      return adopt(original.apply(C, copyArgs(args, readers)), C);
    };
    Object.defineProperty(C, name, { value: wrapped, writable: true, configurable: true });
  }
  return internal;
}

/**
 * `check(self)`: the record of `self` (see Handle) if it is a live handle of C, else throws E_BAD_REQUEST. The common
 * case costs a private-field read, a property read and two comparisons.
 */
export function liveCheck(C, label) {
  return function check(self) {
    const rec = Handle.of(self);
    if (rec !== undefined && rec.C === C && self.__wbg_ptr === rec.ptr) return rec;
    return throwNotLive(self, C, label);
  };
}

function guarded(original, readers, check, name) {
  // One shape per arity, so the common calls pass their arguments without an array. `this` is checked again after
  // the arguments are read: a getter of one of them may have freed the handle or written its pointer field.
  switch (readers.length) {
    case 0:
      return { [name]() { check(this); return original.call(this); } }[name];
    case 1: {
      const [[r0, l0]] = readers;
      return { [name](a) { check(this); const x = r0(a, l0); check(this); return original.call(this, x); } }[name];
    }
    case 2: {
      const [[r0, l0], [r1, l1]] = readers;
      return { [name](a, b) {
        check(this);
        const x = r0(a, l0), y = r1(b, l1);
        check(this);
        return original.call(this, x, y);
      } }[name];
    }
    default:
      return { [name](...args) {
        check(this);
        const copies = copyArgs(args, readers);
        check(this);
        return original.apply(this, copies);
      } }[name];
  }
}

/** The error for a `this` that is not a live handle of C. */
export function throwNotLive(self, C, label) {
  if (state(self, C) === 'freed') {
    throw badRequest(`this ${C.name} was freed (free() or \`using\`); create or load a new one`);
  }
  throw badRequest(`${label} was called on ${kindOf(self)}, not on a ${C.name} made by this package`);
}

/** Each declared argument through its reader; extra arguments are not passed on (the module reads none). */
export function copyArgs(args, readers) {
  const out = new Array(readers.length);
  for (let i = 0; i < readers.length; i++) out[i] = readers[i][0](args[i], readers[i][1]);
  return out;
}

/** For a member no table names (a newer module than this file): primitives pass, anything else as a stand-in. */
function fallbackReaders(n) {
  return Array.from({ length: n }, (_, i) => [value, `argument ${i + 1}`]);
}
