/**
 * A throwaway redis-server on an ephemeral 127.0.0.1 port in a temporary directory, for the test suite
 * (started once by the global setup) and the bench. It never touches a Redis someone else runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, killWithParent, stopChild } from './child-process.js';

export interface RunningRedis {
  readonly host: string;
  readonly port: number;
  /** Stops the server and deletes its directory; safe to call more than once. */
  stop(): Promise<void>;
}

export async function startRedisServer(binary: string, startTimeoutMs = 10_000): Promise<RunningRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'groq-router-redis-'));
  let lastError: unknown;
  // A port found free can be taken before Redis binds it; a few more tries cover that race.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      binary,
      ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes', '--loglevel', 'notice'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    killWithParent(child);
    try {
      await waitReady(child, port, startTimeoutMs);
      let stopped: Promise<void> | undefined;
      return {
        host: '127.0.0.1',
        port,
        stop: () =>
          (stopped ??= (async () => {
            await stopChild(child);
            rmSync(dir, { recursive: true, force: true });
          })()),
      };
    } catch (error) {
      lastError = error;
      await stopChild(child);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

function waitReady(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => done(new Error(`redis-server on port ${port} was not ready within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) done();
    };
    const onExit = (code: number | null) => done(new Error(`redis-server on port ${port} exited with ${code}:\n${output}`));
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
      if (error) reject(error);
      else resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}
