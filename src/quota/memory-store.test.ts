import { describe, expect, it } from 'vitest';
import { quotaStoreContract } from '../../test/support/quota-store-contract.js';
import { testBudget as budget } from '../../test/support/redis-testing.js';
import { MemoryQuotaStore } from './memory-store.js';

quotaStoreContract('MemoryQuotaStore', async (now) => new MemoryQuotaStore({ now }));

describe('MemoryQuotaStore', () => {
  it('uses the real clock by default', async () => {
    const store = new MemoryQuotaStore();
    const before = Date.now();
    const { at } = await store.snapshot(budget({}));
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(Date.now());
    await expect(store.close()).resolves.toBeUndefined();
  });
});
