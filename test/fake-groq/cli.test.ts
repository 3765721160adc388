import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCliArgs } from './cli.js';

describe('parseCliArgs', () => {
  it('reads the documented flags', () => {
    expect(parseCliArgs(['--port', '8081', '--host', '127.0.0.1', '--fast', '--latency-ms', '25', '--chunk-delay-ms', '5', '--keys', 'gsk_a, gsk_b'])).toEqual({
      port: 8081,
      host: '127.0.0.1',
      fast: true,
      recordCalls: false,
      latencyMs: 25,
      chunkDelayMs: 5,
      keys: ['gsk_a', 'gsk_b'],
    });
  });

  it('defaults to an ephemeral port on 127.0.0.1', () => {
    expect(parseCliArgs([])).toMatchObject({ port: 0, host: '127.0.0.1', fast: false, latencyMs: 0 });
  });

  it.each([[['--port', 'abc']], [['--port', '70000']], [['--latency-ms', '-1']], [['--bogus']]])('rejects %j', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow();
  });
});

describe('cli process', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = undefined;
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('prints its URL, serves, and exits 0 on %s', async (signal) => {
    const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
    const proc = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--fast'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    proc.stdout?.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      proc.stdout?.on('data', (text: string) => {
        output += text;
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match?.[1] !== undefined) resolve(match[1]);
      });
      proc.once('exit', (code) => reject(new Error(`cli exited early with ${String(code)}: ${output}`)));
    });
    const res = await fetch(`${url}/openai/v1/models`, { headers: { authorization: 'Bearer gsk_cli_test_key' } });
    expect(res.status).toBe(200);
    const exited = once(proc, 'exit');
    proc.kill(signal);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  });
});
