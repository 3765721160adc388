#!/usr/bin/env node
import { applyHeapFlags } from './heap-flags.js';

// V8's settings first, then the rest: a static import would run every module before this line.
applyHeapFlags();
const { dispatch } = await import('./commands/dispatch.js');
const { processIo, STAY_RUNNING } = await import('./commands/io.js');

/** Waits for both streams to drain: `process.exit` would cut a long report short on a slow pipe. */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

dispatch(process.argv.slice(2), processIo).then(
  (result) => {
    // The server keeps the process alive and exits from its own signal handlers.
    if (result !== STAY_RUNNING) exitAfterFlush(result);
  },
  (err: unknown) => {
    process.stderr.write(`groq-router: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitAfterFlush(1);
  },
);
