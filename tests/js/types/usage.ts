// A typed consumer of the package: compiled with `tsc --noEmit` in `make test`, so the hand-written declarations in
// npm/index.d.ts stay complete and `any`-free. It is never run.
import { ready, Catalog, Wallet, memoryBytes } from 'credit-engine';
import type {
  Balance, Charge, CreditEngineError, ErrorCode, Hold, LedgerEntry, Preview, ProjectionPoint, Quote, Refund,
  UsageRequest, WalletSnapshot, Watcher,
} from 'credit-engine';

export async function example(): Promise<number> {
  await ready();
  const catalog: Catalog = Catalog.default();
  const request: UsageRequest = { feature: 'agent.image_generation', tier: 'premium', units: 2 };
  const quote: Quote = catalog.quote(request);
  const wallet: Wallet = Wallet.create({ timeZone: 'Europe/Berlin' });
  wallet.startTrial({ at: new Date(), until: Date.now() + 7 * 86_400_000, credits: 50 });
  const granted: boolean = wallet.dailyLogin({ at: '2026-11-24T09:00:00Z', credits: 5 });
  const preview: Preview = wallet.preview(request, Date.now(), catalog);
  const balance: Balance = wallet.balance(Date.now());
  const trialLeft: number = balance.kinds.trial;
  const charge: Charge = wallet.charge(request, Date.now(), { id: 'c1', catalog });
  const refund: Refund = wallet.refund(charge.id, { units: 1, at: Date.now(), id: 'c1/r' });
  const hold: Hold = wallet.hold({ feature: 'ai_background' }, Date.now(), { id: 'h1', ttlSeconds: 60 });
  wallet.capture(hold.id, { units: 1, at: Date.now() });
  const points: ProjectionPoint[] = wallet.project({ from: Date.now(), to: Date.now() + 86_400_000 });
  const ledger: LedgerEntry[] = wallet.ledger();
  const snapshot: WalletSnapshot = wallet.toJSON();
  const copy: Wallet = Wallet.fromJSON(snapshot);
  const watcher: Watcher = copy.watch((b: Balance) => void b.total, { now: Date.now() });
  watcher.stop();
  const next: string | null = wallet.nextChange(Date.now());
  try {
    wallet.charge({ feature: 'private_model' }, Date.now(), { id: 'c2' });
  } catch (e) {
    const err = e as CreditEngineError;
    const code: ErrorCode = err.code;
    if (code === 'E_INSUFFICIENT') return err.shortfall ?? 0;
  }
  {
    using disposable = Wallet.create({ timeZone: 'UTC' });
    disposable.balance(0);
  }
  copy.free();
  wallet.free();
  return quote.credits + preview.shortfall + trialLeft + refund.credits + points.length + ledger.length
    + (granted ? 1 : 0) + (next ? 1 : 0) + memoryBytes();
}
