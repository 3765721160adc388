import { describe, expect, it } from 'vitest';
import { IdOwners } from './id-owners.js';

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
