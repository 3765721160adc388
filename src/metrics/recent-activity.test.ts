import { describe, expect, it } from 'vitest';
import type { RequestOutcome } from './request-record.js';
import { RecentActivity } from './recent-activity.js';

const outcome = (alias: string, status: number): RequestOutcome => ({
  alias,
  route: '/chat/completions',
  stream: false,
  status,
  brokenStream: false,
  served: undefined,
  trail: undefined,
  usage: undefined,
  totalSeconds: 0.25,
  overheadSeconds: undefined,
  queueSeconds: 0,
  requestId: 'req-test',
  client: 'anonymous',
  errorCode: undefined,
  firstByteSeconds: undefined,
  upstreamSeconds: undefined,
});

describe('RecentActivity', () => {
  it('keeps the last N requests, newest first', () => {
    const activity = new RecentActivity(3);
    for (let i = 0; i < 5; i++) activity.recordRequest(outcome(`a${i}`, 200), undefined);
    expect(activity.requests().map((r) => r.alias)).toEqual(['a4', 'a3', 'a2']);
  });

  it('keeps a refusal with its reason and duration', () => {
    const activity = new RecentActivity();
    activity.recordRequest(outcome('fast', 429), 'budget exhausted');
    expect(activity.requests()[0]).toMatchObject({ alias: 'fast', status: 429, reason: 'budget exhausted', durationMs: 250, deployment: null });
  });

  it('keeps reloads, failed ones with their error', () => {
    const activity = new RecentActivity();
    activity.recordReload({ ok: true, changes: ['aliases added: x'] });
    activity.recordReload({ ok: false, error: 'bad yaml' });
    expect(activity.reloads()).toMatchObject([{ ok: false, error: 'bad yaml' }, { ok: true, changes: ['aliases added: x'] }]);
  });
});
