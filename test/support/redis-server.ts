/**
 * A throwaway redis-server on an ephemeral 127.0.0.1 port in a temporary directory, for the test suite
 * (started once by the global setup) and the bench. It never touches a Redis someone else runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
    // Should the process running the suite die without its teardown, Redis goes with it.
    const reap = (): void => void child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    try {
      await waitReady(child, port, startTimeoutMs);
      let stopped: Promise<void> | undefined;
      return {
        host: '127.0.0.1',
        port,
        stop: () =>
          (stopped ??= (async () => {
            await kill(child);
            rmSync(dir, { recursive: true, force: true });
          })()),
      };
    } catch (error) {
      lastError = error;
      await kill(child);
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

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
