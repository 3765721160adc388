import type Groq from 'groq-sdk';
import { describe, expect, it } from 'vitest';
import type { Account } from './accounts.js';
import { UpstreamModelCache, type ListModels, type UpstreamModel } from './upstream-models.js';

const account = (id: string): Account => ({ id, keyPreview: `gsk_...${id.slice(-4)}`, baseURL: undefined, aliases: [], client: {} as Groq });
const A = account('acct_aaaa');
const B = account('acct_bbbb');
const models = (...ids: string[]): UpstreamModel[] => ids.map((id) => ({ id, created: 1, ownedBy: 'Meta' }));

/** A scripted `ListModels`: per account, a queue of answers ('hang' waits for the abort). */
function scripted(script: Record<string, Array<UpstreamModel[] | Error | 'hang'>>) {
  const calls: string[] = [];
  const list: ListModels = (acct, signal) => {
    calls.push(acct.id);
    const next = script[acct.id]?.shift();
    if (next === 'hang') return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve(next ?? []);
  };
  return { list, calls };
}

const OPTIONS = { ttlMs: 300_000, timeoutMs: 100 };

describe('UpstreamModelCache', () => {
  it('fetches each account once per TTL', async () => {
    let now = 1_000_000;
    const { list, calls } = scripted({ acct_aaaa: [models('m1'), models('m1', 'm2')] });
    const cache = new UpstreamModelCache(list, () => now);
    expect(await cache.collect([A], OPTIONS)).toEqual([{ account: A, models: models('m1'), error: undefined }]);
    now += 299_000;
    expect((await cache.collect([A], OPTIONS))[0]?.models).toEqual(models('m1'));
    expect(calls).toEqual(['acct_aaaa']);
    now += 2_000;
    expect((await cache.collect([A], OPTIONS))[0]?.models).toEqual(models('m1', 'm2'));
    expect(calls).toEqual(['acct_aaaa', 'acct_aaaa']);
  });

  it('answers within the timeout when an account hangs, and reports it', async () => {
    const { list } = scripted({ acct_aaaa: [models('m1')], acct_bbbb: ['hang'] });
    const cache = new UpstreamModelCache(list);
    const started = performance.now();
    const [a, b] = await cache.collect([A, B], OPTIONS);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(a).toEqual({ account: A, models: models('m1'), error: undefined });
    expect(b).toEqual({ account: B, models: undefined, error: 'no answer within 0.1 s' });
  });

  it("serves an account's last good list when a refresh fails, saying so", async () => {
    let now = 0;
    const { list } = scripted({ acct_aaaa: [models('m1'), new Error('boom')] });
    const cache = new UpstreamModelCache(list, () => now);
    await cache.collect([A], { ttlMs: 1000, timeoutMs: 100 });
    now = 5000;
    const [a] = await cache.collect([A], { ttlMs: 1000, timeoutMs: 100 });
    expect(a?.models).toEqual(models('m1'));
    expect(a?.error).toBe('boom; showing its list from 5 s ago');
  });

  it('does not ask a failing account again at once (at most every 30 s, or the TTL if shorter)', async () => {
    let now = 0;
    const { list, calls } = scripted({ acct_aaaa: [new Error('HTTP 503'), new Error('HTTP 503'), models('m1')] });
    const cache = new UpstreamModelCache(list, () => now);
    await cache.collect([A], OPTIONS);
    now = 29_000;
    expect((await cache.collect([A], OPTIONS))[0]?.error).toBe('HTTP 503');
    expect(calls).toHaveLength(1);
    now = 31_000;
    await cache.collect([A], OPTIONS);
    expect(calls).toHaveLength(2);
    // A TTL of 0 caches nothing, failures included.
    expect((await cache.collect([A], { ttlMs: 0, timeoutMs: 100 }))[0]).toEqual({ account: A, models: models('m1'), error: undefined });
    expect(calls).toHaveLength(3);
  });

  it('shares one fetch between concurrent listings', async () => {
    const { list, calls } = scripted({ acct_aaaa: [models('m1')] });
    const cache = new UpstreamModelCache(list);
    const [one, two] = await Promise.all([cache.collect([A], OPTIONS), cache.collect([A], OPTIONS)]);
    expect(one).toEqual(two);
    expect(calls).toEqual(['acct_aaaa']);
  });

  it('forgets accounts a reload removed', async () => {
    const { list, calls } = scripted({ acct_aaaa: [models('m1'), models('m2')] });
    const cache = new UpstreamModelCache(list);
    await cache.collect([A], OPTIONS);
    await cache.collect([B], OPTIONS);
    expect((await cache.collect([A], OPTIONS))[0]?.models).toEqual(models('m2'));
    expect(calls).toEqual(['acct_aaaa', 'acct_bbbb', 'acct_aaaa']);
  });
});
