// The consumer smoke scenario, shared by every bundler page and every runtime: it receives the package's module
// namespace (imported by name, `credit-engine`, in the consumer project) and returns what it saw. The runner
// (tests/consumer/run.mjs) compares the result with EXPECTED, so a wrong number anywhere fails the run.
export const EXPECTED = {
  preview: 12,
  draws: 'daily_login:5,trial:7',
  charge: 12,
  balance: 43,
  video: 40,
  error: 'E_UNKNOWN_FEATURE',
};

export async function scenario({ ready, Wallet, Catalog }) {
  await ready();
  const at = '2026-03-10T08:00:00Z';
  const wallet = Wallet.create({ timeZone: 'Europe/Berlin' });
  try {
    wallet.startTrial({ at, until: '2026-03-17T08:00:00Z', credits: 50 });
    wallet.dailyLogin({ at, credits: 5 });
    const request = { feature: 'agent.image_generation', tier: 'premium', units: 4 };
    const preview = wallet.preview(request, Date.parse(at));
    const charge = wallet.charge(request, at, { id: 'gen-1' });
    let error = 'none';
    try {
      wallet.charge({ feature: 'no_such_feature' }, at, { id: 'gen-2' });
    } catch (err) {
      error = err.code;
    }
    return {
      preview: preview.credits,
      draws: preview.draws.map((d) => `${d.kind}:${d.credits}`).join(','),
      charge: charge.credits,
      balance: wallet.balance(at).total,
      video: Catalog.default().quote({ feature: 'agent.video_generation', seconds: 7 }).credits,
      error,
    };
  } finally {
    wallet.free();
  }
}
