import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSettled } from './config-reloader.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('readSettled', () => {
  it('returns the file once it stops changing, not the first part of a write in two steps', async () => {
    dir = mkdtempSync(join(tmpdir(), 'settle-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'model_list: []\n');
    const settled = readSettled(file, { quietMs: 1_000, maxWaitMs: 20_000 });
    // The second step lands well inside the quiet interval.
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(file, 'model_list: []\ngeneral_settings:\n  master_key: x\n');
    expect(await settled).toBe('model_list: []\ngeneral_settings:\n  master_key: x\n');
  });

  it('is undefined while the file is missing', async () => {
    dir = mkdtempSync(join(tmpdir(), 'settle-'));
    expect(await readSettled(join(dir, 'absent.yaml'), { quietMs: 10, maxWaitMs: 50 })).toBeUndefined();
  });
});
