import { describe, expect, it } from 'vitest';
import { IdOwners, IdTenants } from './id-owners.js';
import { connectTestRedis, deleteKeysUnder, uniquePrefix } from '../../test/support/redis-testing.js';

describe('IdOwners', () => {
  it('remembers owners and forgets the least recently used beyond its capacity', () => {
    const owners = new IdOwners(2);
    owners.remember('batch_1', 'acct_a');
    owners.remember('batch_2', 'acct_b');
    expect(owners.ownerOf('batch_1')).toBe('acct_a'); // batch_1 is now the most recent
    owners.remember('file_3', 'acct_a');
    expect(owners.size).toBe(2);
    expect(owners.ownerOf('batch_2')).toBeUndefined();
    expect(owners.ownerOf('batch_1')).toBe('acct_a');
    expect(owners.ownerOf('file_3')).toBe('acct_a');
  });

  it('takes the latest owner for an id, and forgets on request', () => {
    const owners = new IdOwners(10);
    owners.remember('file_1', 'acct_a');
    owners.remember('file_1', 'acct_b');
    expect(owners.ownerOf('file_1')).toBe('acct_b');
    owners.forget('file_1');
    expect(owners.ownerOf('file_1')).toBeUndefined();
    owners.remember('', 'acct_a');
    expect(owners.size).toBe(0);
  });
});

describe('IdTenants', () => {
  it('agrees across instances through the shared store, and forgets for all', async () => {
    const client = await connectTestRedis();
    const prefix = `${uniquePrefix()}ids:`;
    try {
      const one = new IdTenants(10, { store: client, prefix });
      const two = new IdTenants(10, { store: client, prefix });
      await one.remember('file_1', 'client:alice');
      expect(await two.tenantOf('file_1')).toBe('client:alice');
      expect(await two.tenantOf('file_2')).toBeUndefined();
      one.forget('file_1');
      await new Promise((r) => setTimeout(r, 50));
      expect(await new IdTenants(10, { store: client, prefix }).tenantOf('file_1')).toBeUndefined();
    } finally {
      await deleteKeysUnder(client, prefix);
      client.disconnect();
    }
  });

  it('works alone without a shared store', async () => {
    const tenants = new IdTenants(10);
    await tenants.remember('batch_1', 'operator');
    expect(await tenants.tenantOf('batch_1')).toBe('operator');
  });
});
