// wallet.watch(): calls back with the new balance exactly when the next scheduled change happens, until stop().
import { ready, Wallet } from 'credit-engine';
import { test, assert } from './harness/t.mjs';

test('watch: fires when the daily credits expire at local midnight, then stops', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'Europe/Berlin' });
  w.startTrial({ at: '2026-03-01T08:00:00Z', until: '2026-03-08T08:00:00Z', credits: 50 });
  w.dailyLogin({ at: '2026-03-01T09:00:00Z', credits: 5 });
  const midnight = Date.parse('2026-03-01T23:00:00Z');
  const seen = [];
  const started = Date.now();
  let watcher;
  await new Promise((resolve, reject) => {
    watcher = w.watch((balance) => {
      seen.push({ balance, after: Date.now() - started });
      resolve();
    }, { now: midnight - 40 });
    setTimeout(() => reject(new Error('watch did not fire')), 5_000);
  });
  watcher.stop();
  assert.eq(watcher.active, false);
  assert.eq(seen.length, 1);
  assert.eq(seen[0].balance.total, 50);
  assert.eq(seen[0].balance.at, '2026-03-01T23:00:00.000Z');
  assert.ok(seen[0].after >= 30, `fired after ${seen[0].after} ms, expected about 40`);
});

test('watch: nothing scheduled means no callback; stop() is safe to call twice', async () => {
  await ready();
  const w = Wallet.create({ timeZone: 'UTC' });
  let calls = 0;
  const watcher = w.watch(() => { calls++; }, { now: 0 });
  await new Promise((r) => setTimeout(r, 30));
  watcher.stop();
  watcher.stop();
  assert.eq(calls, 0);
});
