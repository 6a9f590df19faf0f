// Smoke test: the package loads in this runtime and one known quote comes out right.
import { ready, Catalog } from 'credit-engine';
import { test, assert } from './harness/t.mjs';

test('smoke: ready() then Catalog.default() quotes ai_background at 4 credits', async () => {
  await ready();
  assert.eq(Catalog.default().quote({ feature: 'ai_background' }).credits, 4);
});
