import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { CLIENT_TIMEOUTS, startGateway, type RunningGateway } from '../../src/server.js';

/**
 * Request headers must arrive within CLIENT_TIMEOUTS.headersMs. Node enforces its header deadline only
 * when it checks its connections, every 30 s unless told otherwise; the gateway checks often enough for
 * a deadline to hold. Shortened here (headers within 1 s) so the test does not wait 10 s.
 */
let gateway: RunningGateway;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'groq-router-timeouts-'));
  const configFile = join(dir, 'litellm.config.yaml');
  writeFileSync(configFile, 'model_list:\n  - model_name: a\n    litellm_params: {model: groq/llama-3.1-8b-instant}\n');
  gateway = await startGateway({
    configFile,
    port: 0,
    host: '127.0.0.1',
    env: { GROQ_API_KEY: 'gsk_timeouts_test_key_0000000000' },
    log: createLogger('error', () => {}),
    clientTimeouts: { headersMs: 1_000, requestMs: 2_000 },
  });
});
afterAll(async () => {
  await gateway?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends `bytes` and never finishes the request; resolves with what the server said before closing. */
function stall(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.port, '127.0.0.1', () => socket.write(bytes));
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('client deadlines', () => {
  it('the documented figures: headers within 10 s, the whole request within 5 minutes', () => {
    expect(CLIENT_TIMEOUTS.headersMs).toBe(10_000);
    expect(CLIENT_TIMEOUTS.requestMs).toBe(300_000);
    // Node checks deadlines only this often: it must be well under the header deadline.
    expect(CLIENT_TIMEOUTS.checkEveryMs).toBeLessThanOrEqual(1_000);
  });

  it('slow headers are cut with a 408 at the header deadline, not at Node’s next 30 s check', { timeout: 10_000 }, async () => {
    const answer = await stall('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('a body that never completes is cut with a 408 at the request deadline', { timeout: 10_000 }, async () => {
    const answer = await stall('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":');
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });
});
