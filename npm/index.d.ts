// Public types of credit-engine (SPEC section 6). Hand-written so that no `any` reaches users; checked by compiling
// tests/js/types/usage.ts with tsc in `make test`.

/** A time: a Date, epoch milliseconds, or an ISO-8601 string with `Z` or an offset. Returned times are ISO UTC strings. */
export type Time = Date | number | string;

export type KindId = 'daily_login' | 'membership_agent' | 'promotion' | 'membership' | 'trial' | 'purchased';
export type TierId = 'general' | 'premium';

/** The stable `code` of every error the package throws. */
export type ErrorCode =
  | 'E_BAD_REQUEST' | 'E_UNKNOWN_FEATURE' | 'E_TIER_UNAVAILABLE' | 'E_INSUFFICIENT' | 'E_MEMBERS_ONLY'
  | 'E_IDEMPOTENCY_CONFLICT' | 'E_NOT_FOUND' | 'E_REFUND_EXCEEDS' | 'E_SNAPSHOT' | 'E_CATALOG' | 'E_TIME'
  | 'E_TIME_ZONE' | 'E_CLOCK_REGRESSION' | 'E_OVERFLOW';

/** What every thrown error looks like: a real `Error` with a stable code. */
export interface CreditEngineError extends Error {
  code: ErrorCode;
  /** For E_INSUFFICIENT: the credits missing. */
  shortfall?: number;
}

/** Loads the module; idempotent; call (and await) before anything else. */
export function ready(): Promise<void>;

/** Bytes of WebAssembly memory the module holds (grows, never shrinks; a diagnostic). */
export function memoryBytes(): number;

export interface UsageRequest {
  feature: string;
  /** Positive whole number; defaults from the catalog. Not for per-duration features. */
  units?: number;
  tier?: TierId;
  /** Positive finite seconds; required for (and only for) per-duration features such as video generation. */
  seconds?: number;
}

export interface Quote {
  feature: string; agent: boolean; tier: TierId; units: number; unitCredits: number; credits: number; catalog: string;
}

export interface CatalogFeatureSpec {
  id: string;
  agent: boolean;
  unit: string;
  defaultUnits?: number;
  blockSeconds?: number;
  prices: { general: number; premium?: number };
}
export interface CatalogSpec { version: 1; features: CatalogFeatureSpec[] }

export class Catalog {
  private constructor();
  /** The embedded default price list. */
  static default(): Catalog;
  /** Validates and loads a price list (E_CATALOG). */
  static fromJSON(spec: CatalogSpec | string): Catalog;
  toJSON(): CatalogSpec;
  /** Content-derived version of the price list. */
  readonly id: string;
  quote(req: UsageRequest): Quote;
  free(): void;
  [Symbol.dispose](): void;
}

export interface LotView {
  id: string; kind: KindId; credits: number; grantedAt: string; expiresAt: string | null; frozen: boolean; agentOnly: boolean;
}
export interface Balance {
  at: string; total: number; agent: number; regular: number; frozen: number; held: number; display: boolean;
  kinds: Record<KindId, number>; nextExpiry: { at: string; credits: number } | null; lots: LotView[];
}
export interface Draw { lotId: string; kind: KindId; credits: number }
export interface Preview {
  quote: Quote; credits: number; sufficient: boolean; shortfall: number; draws: Draw[];
  balanceAfter: { total: number; agent: number; regular: number };
}
export interface Charge { id: string; credits: number; units: number; draws: Draw[]; at: string }
export interface Refund { chargeId: string; credits: number; units: number; draws: Draw[] }
export interface Hold { id: string; credits: number; units: number; draws: Draw[]; expiresAt: string }
export interface ProjectionPoint {
  at: string; total: number; agent: number; regular: number; frozen: number;
  /** `start`, or the instant's events joined by `,`: `expire`, `distribution`, `lapse`, `hold_expiry`. */
  event: string;
}
export type LedgerEntryType =
  'grant' | 'charge' | 'refund' | 'hold' | 'capture' | 'release' | 'expire' | 'freeze' | 'unfreeze';
export interface LedgerEntry {
  seq: number; at: string; type: LedgerEntryType; kind?: KindId; lotId?: string; credits: number; ref?: string;
  feature?: string; total: number;
}

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The snapshot object of `Wallet.toJSON()`; treat it as opaque and pass it back to `Wallet.fromJSON()`. */
export interface WalletSnapshot {
  format: 'credit-engine/wallet';
  version: number;
  timeZone: string;
  [field: string]: JsonValue;
}

/** A running `watch`; `stop()` ends it. */
export class Watcher {
  private constructor();
  stop(): void;
  readonly active: boolean;
  free(): void;
  [Symbol.dispose](): void;
}

export class Wallet {
  private constructor();
  /** A new empty wallet in an IANA time zone (E_TIME_ZONE). */
  static create(opts: { timeZone: string }): Wallet;
  /** Loads a snapshot (E_SNAPSHOT); lossless round trip with toJSON(). */
  static fromJSON(snapshot: WalletSnapshot | string): Wallet;
  toJSON(): WalletSnapshot;
  /** Frees the WASM memory now (also reclaimed when garbage-collected). */
  free(): void;
  [Symbol.dispose](): void;
  readonly timeZone: string;

  startTrial(o: { at: Time; until: Time; credits: number }): void;
  activateMembership(o: { at: Time; until: Time; monthlyCredits: number; monthlyAgentCredits: number }): void;
  /** false when today's (account-local day) was already granted. */
  dailyLogin(o: { at: Time; credits: number }): boolean;
  grantPromotion(o: { id: string; at: Time; credits: number; expiresAt: Time }): void;
  /** Members only (E_MEMBERS_ONLY); a trial counts. */
  purchase(o: { id: string; at: Time; credits: number }): void;

  balance(at: Time): Balance;
  /** Never throws E_INSUFFICIENT: reports it. */
  preview(req: UsageRequest, at: Time, catalog?: Catalog): Preview;
  charge(req: UsageRequest, at: Time, o: { id: string; catalog?: Catalog }): Charge;
  refund(chargeId: string, o: { units: number; at: Time; id?: string }): Refund;
  hold(req: UsageRequest, at: Time, o: { id: string; ttlSeconds: number; catalog?: Catalog }): Hold;
  capture(holdId: string, o: { units: number; at: Time }): Charge;
  release(holdId: string, o: { at: Time }): void;
  project(o: { from: Time; to: Time }): ProjectionPoint[];
  ledger(): LedgerEntry[];

  /** When the balance next changes on its own after `at` (ISO string), or null. */
  nextChange(at: Time): string | null;
  /** Calls back with the balance exactly when each scheduled change happens, counting from `now`, until stop(). */
  watch(callback: (balance: Balance) => void, o: { now: Time }): Watcher;
}
