// HTTP pieces the Worker and the Durable Object share: JSON answers, the error-code -> status table of SPEC section
// 10, and reading a request body with its size counted in bytes while it streams in (never buffering more than the
// limit plus one chunk, whatever Content-Length says or whether the body is chunked).

/** SPEC 10: a body of more than 65,536 bytes is 413. */
export const MAX_BODY_BYTES = 65_536;

const STATUS = {
  E_BAD_REQUEST: 400,
  E_UNKNOWN_FEATURE: 400,
  E_TIER_UNAVAILABLE: 400,
  E_TIME: 400,
  E_TIME_ZONE: 400,
  E_SNAPSHOT: 400,
  E_CATALOG: 400,
  E_UNAUTHORIZED: 401,
  E_INSUFFICIENT: 402,
  E_MEMBERS_ONLY: 403,
  E_NOT_FOUND: 404,
  E_IDEMPOTENCY_CONFLICT: 409,
  E_CLOCK_REGRESSION: 409,
  E_TOO_LARGE: 413,
  E_REFUND_EXCEEDS: 422,
  E_OVERFLOW: 422,
  // This service's own: a deployment without its keys, a storage commit that failed (nothing was applied).
  E_CONFIG: 503,
  E_UNAVAILABLE: 503,
};

/** The HTTP status of an error code, or undefined for a code this service does not know (a bug). */
export function statusOf(code) {
  if (typeof code !== 'string') return undefined;
  if (code.startsWith('E_TOKEN_')) return 401;
  return STATUS[code];
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': JSON_TYPE, ...headers } });
}

/** An answer whose JSON text is already built (ledger pages are assembled from stored entry texts). */
export function jsonText(status, text) {
  return new Response(text, { status, headers: { 'content-type': JSON_TYPE } });
}

export function fail(status, code, message, extra = {}, headers = {}) {
  return json(status, { code, message, ...extra }, headers);
}

/**
 * The answer for an error the engine (or this service) threw: its SPEC status, `{ code, message, shortfall? }`.
 * An error without a known code is a bug in this service: 500 with E_INTERNAL, and the stack goes to the log.
 */
export function errorAnswer(err) {
  const status = statusOf(err?.code);
  if (status === undefined) {
    console.error('credit-engine service: unexpected error', err?.stack ?? err);
    return fail(500, 'E_INTERNAL', 'unexpected error in the wallet service (a bug): see the server log');
  }
  const extra = err.code === 'E_INSUFFICIENT' && typeof err.shortfall === 'number' ? { shortfall: err.shortfall } : {};
  return fail(status, err.code, String(err.message), extra);
}

/** An error with a SPEC code, thrown by this service's own checks. */
export function codeError(code, message) {
  const err = new Error(message);
  err.code = code;
  return err;
}

export const tooLarge = () => fail(413, 'E_TOO_LARGE', `the body is larger than ${MAX_BODY_BYTES} bytes`);

/**
 * Reads a body of at most `limit` bytes. `declared` is the Content-Length the client sent (a string or null): when it
 * already says too much, nothing is read. Otherwise bytes are counted as chunks arrive and reading stops (the stream
 * is cancelled) at the first chunk that goes past the limit. Returns `{ bytes }` or `{ tooLarge: true }`.
 */
export async function readLimited(stream, declared, limit = MAX_BODY_BYTES) {
  if (declared !== null && declared !== undefined && declared !== '') {
    const n = Number(declared);
    if (!Number.isFinite(n) || n > limit) {
      await stream?.cancel().catch(() => {});
      return { tooLarge: true };
    }
  }
  if (!stream) return { bytes: new Uint8Array(0) };
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return { tooLarge: true };
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return { bytes: chunks[0] };
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return { bytes };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A JSON object from body bytes. `emptyIs` is what an empty body stands for (undefined: an empty body is an error).
 * Throws E_BAD_REQUEST saying what is wrong.
 */
export function parseObject(bytes, emptyIs) {
  if (bytes.byteLength === 0 && emptyIs !== undefined) return emptyIs;
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw codeError('E_BAD_REQUEST', 'the body must be UTF-8 JSON');
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw codeError('E_BAD_REQUEST', `the body must be JSON: ${err.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw codeError('E_BAD_REQUEST', 'the body must be a JSON object');
  }
  return value;
}
