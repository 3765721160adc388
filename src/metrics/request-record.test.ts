import { describe, expect, it } from 'vitest';
import type { Deployment } from '../routing/deployment.js';
import { newTrail } from '../routing/attempt-trail.js';
import { failure } from '../upstream/failure.js';
import { causeOf } from './request-record.js';

describe('causeOf', () => {
  it('counts a fault of the gateway’s own as a gateway error, even after an upstream failure earlier in the trail', () => {
    const trail = newTrail();
    trail.records.push({ deployment: {} as Deployment, kind: 'failed', failure: failure('server_error', 'overloaded', { status: 503 }) });
    expect(causeOf({ status: 500, brokenStream: false, trail, errorCode: 'internal_error' })).toBe('gateway_error');
    expect(causeOf({ status: 500, brokenStream: false, trail, errorCode: undefined })).toBe('upstream_error');
    expect(causeOf({ status: 200, brokenStream: true, trail, errorCode: 'upstream_stream_error' })).toBe('stream_error');
  });
});
