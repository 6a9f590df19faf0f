// Memory: handles are freed by free() (and `using`), and dropped handles are reclaimed when the runtime collects
// them. FinalizationRegistry callbacks only run between tasks, so the loops yield between batches.
import { ready, Wallet, memoryBytes } from 'credit-engine';
import { test, assert } from './harness/t.mjs';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function busyWallet() {
  const w = Wallet.create({ timeZone: 'Europe/Berlin' });
  w.startTrial({ at: '2026-03-01T08:00:00Z', until: '2026-03-08T08:00:00Z', credits: 50 });
  w.dailyLogin({ at: '2026-03-01T09:00:00Z', credits: 5 });
  return w;
}

test('memory: creating and freeing 100,000 wallets keeps module memory flat', async () => {
  await ready();
  for (let i = 0; i < 2_000; i++) busyWallet().free(); // warm the allocator
  const start = memoryBytes();
  for (let batch = 0; batch < 10; batch++) {
    for (let i = 0; i < 10_000; i++) busyWallet().free();
    await tick();
  }
  const grown = memoryBytes() - start;
  assert.ok(grown <= 1 << 20, `memory grew by ${grown} bytes over 100,000 freed wallets`);
});

test('memory: Symbol.dispose frees a wallet like free()', async () => {
  await ready();
  const w = busyWallet();
  assert.eq(typeof w[Symbol.dispose], 'function');
  w[Symbol.dispose]();
  assert.ok(w.__wbg_ptr === 0 || w.__wbg_ptr === undefined, 'the handle no longer points into the module');
});

test('memory: 100,000 dropped wallets are reclaimed by garbage collection (where the runtime exposes gc())', async () => {
  await ready();
  if (typeof globalThis.gc !== 'function') return; // workerd does not expose gc(); free() is the bounded path there
  const start = memoryBytes();
  // FinalizationRegistry callbacks run as tasks after a collection: give them a few turns before the next batch,
  // so the measure is reclaiming, not how quickly the host gets round to its cleanup queue.
  const collect = async () => {
    globalThis.gc();
    for (let k = 0; k < 3; k++) await tick();
  };
  for (let batch = 0; batch < 20; batch++) {
    for (let i = 0; i < 5_000; i++) busyWallet();
    await collect();
  }
  await collect();
  const grown = memoryBytes() - start;
  // Without reclaiming, 100,000 such wallets hold well over 50 MB of module memory.
  assert.ok(grown <= 16 << 20, `memory grew by ${grown} bytes over 100,000 dropped wallets`);
});
