import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dispatch } from './dispatch.js';
import { USAGE_ERROR } from './io.js';
import { captureIo } from '../../test/support/capture-io.js';

describe('dispatch', () => {
  it('serves when no command is given: --help reaches the serve options, which list the commands', async () => {
    for (const argv of [['--help'], ['-h'], ['serve', '--help'], ['--config', 'x.yaml', '--help'], ['help']]) {
      const io = captureIo();
      expect(await dispatch(argv, io)).toBe(0);
      expect(io.stdout()).toContain('Usage: groq-router [serve] [--config FILE] [--port N] [--host ADDR]');
      expect(io.stdout()).toContain('check');
      expect(io.stdout()).toContain('keys new');
    }
  });

  it('keeps the serve command line as it was: an unknown option is exit 1 with the usage', async () => {
    const io = captureIo();
    expect(await dispatch(['--bogus'], io)).toBe(1);
    expect(io.stderr()).toContain("Unknown option '--bogus'");
    expect(await dispatch(['--port', 'x'], io)).toBe(2);
  });

  it('routes check and keys to their commands', async () => {
    const check = captureIo();
    expect(await dispatch(['check', '--help'], check)).toBe(0);
    expect(check.stdout()).toContain('Usage: groq-router check');
    const keys = captureIo();
    expect(await dispatch(['keys', 'new', '--alias', 'a'], keys)).toBe(0);
    expect(keys.stdout()).toMatch(/sk-grk-[0-9A-Za-z]{43}/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const argv of [['--version'], ['-v'], ['version']]) {
      const io = captureIo();
      expect(await dispatch(argv, io)).toBe(0);
      expect(io.stdout()).toBe(`groq-router ${version}\n`);
    }
  });

  it('names an unknown command', async () => {
    const io = captureIo();
    expect(await dispatch(['chek'], io)).toBe(USAGE_ERROR);
    expect(io.stderr()).toContain('unknown command "chek"');
  });
});
