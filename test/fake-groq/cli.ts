/**
 * Standalone fake Groq for demos and benchmarks:
 *   tsx test/fake-groq/cli.ts --port 8081 [--host 127.0.0.1] [--fast] [--latency-ms N] [--chunk-delay-ms N] [--keys k1,k2]
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startFakeGroq } from './server.js';
import type { FakeGroqOptions } from './types.js';

const USAGE = 'usage: tsx test/fake-groq/cli.ts [--port N] [--host H] [--fast] [--latency-ms N] [--chunk-delay-ms N] [--keys k1,k2]';

export function parseCliArgs(argv: readonly string[]): FakeGroqOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      fast: { type: 'boolean', default: false },
      'latency-ms': { type: 'string', default: '0' },
      'chunk-delay-ms': { type: 'string', default: '0' },
      keys: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const options: FakeGroqOptions = {
    port: integer('--port', values.port, 65_535),
    host: values.host,
    fast: values.fast,
    // Nothing outside this process could read the record of calls.
    recordCalls: false,
    latencyMs: integer('--latency-ms', values['latency-ms'], Number.MAX_SAFE_INTEGER),
    chunkDelayMs: integer('--chunk-delay-ms', values['chunk-delay-ms'], Number.MAX_SAFE_INTEGER),
  };
  if (values.keys !== undefined) options.keys = values.keys.split(',').map((k) => k.trim()).filter((k) => k !== '');
  return options;
}

function integer(flag: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new Error(`${flag} must be an integer in 0..${max}, got "${text}"\n${USAGE}`);
  return value;
}

async function main(): Promise<void> {
  let options: FakeGroqOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(2);
  }
  const fake = await startFakeGroq(options);
  console.log(`fake-groq listening on ${fake.url}${options.fast ? ' (fast mode)' : ''}`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    console.log(`fake-groq: ${signal}, closing after ${fake.requestCount} requests`);
    void fake.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Importable (for parseCliArgs tests) without starting a server.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main();
}
