import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ensurePrograms, MissingProgramError } from './binaries.js';

describe('ensurePrograms', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
    vi.restoreAllMocks();
  });

  it('finds installed programs on the PATH', () => {
    expect(ensurePrograms(['redis-server'])['redis-server']).toMatch(/redis-server$/);
  });

  it('names in one line the Debian package to install when it cannot install it (not root)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'groq-router-path-'));
    try {
      process.env.PATH = empty;
      vi.spyOn(process, 'getuid').mockReturnValue(1000);
      let error: unknown;
      try {
        ensurePrograms(['redis-server', 'promtool']);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(MissingProgramError);
      const message = (error as Error).message;
      expect(message.split('\n')).toHaveLength(1);
      expect(message).toContain('apt-get install redis-server prometheus');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
