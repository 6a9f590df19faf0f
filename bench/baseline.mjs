// A straightforward pure-JavaScript implementation of the measured operations, written only as a benchmark
// baseline (never used by the product: the rules live in the Rust core). Same data, same results shape.
const AGENT_KINDS = new Set(['daily_login', 'membership_agent', 'promotion']);

export function makeCatalog(spec) {
  const byId = new Map(spec.features.map((f) => [f.id, f]));
  return {
    quote({ feature, units, tier = 'general', seconds }) {
      const f = byId.get(feature);
      if (!f) throw new Error('E_UNKNOWN_FEATURE');
      const unitCredits = f.prices[tier];
      if (unitCredits === undefined) throw new Error('E_TIER_UNAVAILABLE');
      const n = f.blockSeconds ? Math.ceil(seconds / f.blockSeconds) : (units ?? f.defaultUnits);
      return { feature, agent: f.agent, tier, units: n, unitCredits, credits: n * unitCredits, catalog: 'js' };
    },
  };
}

/** Lots as plain objects with epoch-ms times: { id, kind, credits, grantedAt, expiresAt|null, frozen }. */
function usable(lot, t) {
  return !lot.frozen && lot.credits > 0 && (lot.expiresAt === null || t < lot.expiresAt);
}

function order(a, b) {
  const ea = a.expiresAt ?? Infinity, eb = b.expiresAt ?? Infinity;
  return ea - eb || a.grantedAt - b.grantedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function preview(lots, quote, t) {
  let agent = 0, regular = 0;
  const agentLots = [], regularLots = [];
  for (const lot of lots) {
    if (!usable(lot, t)) continue;
    if (AGENT_KINDS.has(lot.kind)) { agent += lot.credits; agentLots.push(lot); } else { regular += lot.credits; regularLots.push(lot); }
  }
  const available = quote.agent ? agent + regular : regular;
  const after = { total: agent + regular, agent, regular };
  if (available < quote.credits) {
    return { quote, credits: quote.credits, sufficient: false, shortfall: quote.credits - available, draws: [], balanceAfter: after };
  }
  const candidates = quote.agent ? [...agentLots.sort(order), ...regularLots.sort(order)] : regularLots.sort(order);
  const draws = [];
  let left = quote.credits;
  for (const lot of candidates) {
    if (left === 0) break;
    const take = Math.min(lot.credits, left);
    draws.push({ lotId: lot.id, kind: lot.kind, credits: take });
    if (AGENT_KINDS.has(lot.kind)) after.agent -= take; else after.regular -= take;
    left -= take;
  }
  after.total -= quote.credits;
  return { quote, credits: quote.credits, sufficient: true, shortfall: 0, draws, balanceAfter: after };
}

export function balance(lots, t) {
  const kinds = { daily_login: 0, membership_agent: 0, promotion: 0, membership: 0, trial: 0, purchased: 0 };
  let agent = 0, regular = 0, frozen = 0, next = null;
  const shown = [];
  for (const lot of lots) {
    if (lot.credits === 0 || (lot.expiresAt !== null && t >= lot.expiresAt)) continue;
    shown.push(lot);
    if (lot.frozen) { frozen += lot.credits; continue; }
    kinds[lot.kind] += lot.credits;
    if (AGENT_KINDS.has(lot.kind)) agent += lot.credits; else regular += lot.credits;
    if (lot.expiresAt !== null) {
      if (!next || lot.expiresAt < next.at) next = { at: lot.expiresAt, credits: lot.credits };
      else if (lot.expiresAt === next.at) next.credits += lot.credits;
    }
  }
  shown.sort((a, b) => (AGENT_KINDS.has(b.kind) - AGENT_KINDS.has(a.kind)) || order(a, b));
  return {
    at: new Date(t).toISOString(), total: agent + regular, agent, regular, frozen, held: 0, display: agent + regular + frozen > 0,
    kinds, nextExpiry: next && { at: new Date(next.at).toISOString(), credits: next.credits },
    lots: shown.map((l) => ({
      id: l.id, kind: l.kind, credits: l.credits, grantedAt: new Date(l.grantedAt).toISOString(),
      expiresAt: l.expiresAt === null ? null : new Date(l.expiresAt).toISOString(), frozen: l.frozen, agentOnly: AGENT_KINDS.has(l.kind),
    })),
  };
}

/** Parses and checks a snapshot's lots into the plain lot objects above. */
export function fromJSON(text) {
  const snap = JSON.parse(text);
  if (snap.format !== 'credit-engine/wallet' || snap.version !== 1) throw new Error('E_SNAPSHOT');
  const lots = snap.lots.map((l) => {
    if (typeof l.id !== 'string' || typeof l.credits !== 'number' || !Number.isInteger(l.credits)) throw new Error('E_SNAPSHOT');
    const grantedAt = Date.parse(l.grantedAt);
    const expiresAt = l.expiresAt === null ? null : Date.parse(l.expiresAt);
    if (Number.isNaN(grantedAt) || Number.isNaN(expiresAt)) throw new Error('E_SNAPSHOT');
    return { id: l.id, kind: l.kind, credits: l.credits, grantedAt, expiresAt, frozen: l.frozen };
  });
  return { lots, ledger: snap.ledger, records: snap.records };
}
