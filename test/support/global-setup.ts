/**
 * vitest's global setup: the suite brings its own Redis (one redis-server on an ephemeral port in a
 * temporary directory, for this run only) and makes sure the other programs it drives are installed.
 * Tests find Redis through GROQ_ROUTER_TEST_REDIS (inherited by the forked workers and any gateway
 * they spawn) or through inject('redis').
 */
import type { TestProject } from 'vitest/node';
import { ensurePrograms, MissingProgramError } from './binaries.js';
import { startRedisServer, type RunningRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redis: { host: string; port: number };
  }
}

let redis: RunningRedis | undefined;

export async function setup(project: TestProject): Promise<void> {
  let programs: Record<string, string>;
  try {
    programs = ensurePrograms(['redis-server', 'prometheus', 'promtool', 'chromium']);
  } catch (error) {
    if (!(error instanceof MissingProgramError)) throw error;
    // One line, not a stack: what to install is all there is to say.
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  redis = await startRedisServer(programs['redis-server'] as string);
  process.env.GROQ_ROUTER_TEST_REDIS = `${redis.host}:${redis.port}`;
  project.provide('redis', { host: redis.host, port: redis.port });
}

export async function teardown(): Promise<void> {
  await redis?.stop();
}
