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
  | 'E_TIME_ZONE' | 'E_CLOCK_REGRESSION' | 'E_OVERFLOW'
  // Signed wallet tokens (signSnapshot / verifySnapshot):
  | 'E_TOKEN_MALFORMED' | 'E_TOKEN_ALGORITHM' | 'E_TOKEN_KEY' | 'E_TOKEN_SIGNATURE' | 'E_TOKEN_EXPIRED'
  | 'E_TOKEN_CATALOG';

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

/** A signing key: a string (its UTF-8 bytes) or bytes; at least 32 bytes. */
export type TokenKey = string | Uint8Array;

export interface SignOptions {
  /** The key, and its id (1-64 ASCII letters, digits, `.`, `_`, `-`), which the token names so verifiers can rotate. */
  key: TokenKey;
  keyId: string;
  /** Lifetime: more than 0, at most 2592000 (30 days). */
  ttlSeconds: number;
  /** Issue time; the token expires at `at + ttlSeconds`. */
  at: Time;
  /** The catalog the wallet is priced with (default: the embedded one); verifiers must use the same. */
  catalog?: Catalog;
}

export interface VerifyOptions {
  /** Key id -> key. Several ids verify tokens signed by any of them (rotation); others are E_TOKEN_KEY. */
  keys: Record<string, TokenKey>;
  /** The verifier's now: tokens are valid from `iat - 60 s` to `exp + 60 s` (E_TOKEN_EXPIRED outside). */
  at: Time;
  /** The verifier's catalog (default: the embedded one); a token priced with another is E_TOKEN_CATALOG. */
  catalog?: Catalog;
}

/**
 * Signs the wallet for an edge pre-check: `ce1.<payload>.<signature>` (base64url), the payload holding the wallet's
 * compact snapshot (no ledger, no closed records, no empty lots), the catalog id, issue time and expiry, signed with
 * HMAC-SHA-256. Deterministic: the same wallet, key and time give the same token in every runtime.
 */
export function signSnapshot(wallet: Wallet, options: SignOptions): string;

/**
 * Verifies a token from signSnapshot and returns the wallet it carries, a read copy for previews at the edge
 * (E_TOKEN_MALFORMED, E_TOKEN_ALGORITHM, E_TOKEN_KEY, E_TOKEN_SIGNATURE, E_TOKEN_EXPIRED, E_TOKEN_CATALOG).
 * Reads (preview, balance, toJSON, watch...) work; every change (charge, hold, grants...) is E_BAD_REQUEST, since
 * the token's wallet has no ledger. Verified tokens are remembered (the last 64 up to 16 KiB each), so verifying
 * the same token again skips the HMAC and the load but still checks the key, the validity window and the catalog.
 * Free the returned handle when done; it does not affect later verifications.
 */
export function verifySnapshot(token: string, options: VerifyOptions): Wallet;

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
  /**
   * A new empty wallet in an IANA time zone (E_TIME_ZONE). `retentionDays` (whole days 1 to 400, default 7;
   * E_BAD_REQUEST otherwise) is how long the records of charges, closed holds and refunds stay after their last
   * change, for replays and refunds (SPEC section 9).
   */
  static create(opts: { timeZone: string; retentionDays?: number }): Wallet;
  /** Loads a snapshot (E_SNAPSHOT); lossless round trip with toJSON(). */
  static fromJSON(snapshot: WalletSnapshot | string): Wallet;
  toJSON(): WalletSnapshot;
  /** Frees the WASM memory now (also reclaimed when garbage-collected). */
  free(): void;
  [Symbol.dispose](): void;
  readonly timeZone: string;
  /** Days records are kept after their last change (the `retentionDays` the wallet was created with). */
  readonly retentionDays: number;

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
  /** The ledger entries the wallet still holds (all of them if the ledger is never taken). */
  ledger(): LedgerEntry[];
  /**
   * Hands the held entries over and forgets them; `seq` keeps counting. Store them and save `toJSON()` in one
   * transaction: if it fails, reload the last saved snapshot, which still holds them. Never throws; moves no clock.
   */
  takeLedger(): LedgerEntry[];

  /** When the balance next changes on its own after `at` (ISO string), or null. */
  nextChange(at: Time): string | null;
  /** Calls back with the balance exactly when each scheduled change happens, counting from `now`, until stop(). */
  watch(callback: (balance: Balance) => void, o: { now: Time }): Watcher;
}
