/** Writes a body piece by piece (SSE frames or audio chunks), paced by `chunkDelayMs` and cut by mid-stream faults. */
import type { FakeEnv } from './env.js';
import type { GroqErrorPayload } from './errors.js';
import type { Exchange } from './exchange.js';
import type { MidstreamFault } from './faults.js';
import { sleep } from './http-util.js';

/**
 * `offset` (pacing) replaces `chunkDelayMs`. Without a fault every piece goes out and the response ends. With one, only the first `afterChunks`
 * pieces go out (never the last, which is what marks a complete answer), then `midstream-reset` drops
 * the connection and `midstream-error` ends the body with `errorTail(cut, error)`, or drops the
 * connection too when the format has no way to carry an error.
 */
export async function writePieces(
  env: FakeEnv,
  ex: Exchange,
  pieces: readonly (string | Uint8Array)[],
  fault: MidstreamFault | undefined,
  defaultError: GroqErrorPayload,
  errorTail?: (cut: number, error: GroqErrorPayload) => string,
  offset?: (piece: number) => number,
): Promise<void> {
  const cut = fault === undefined ? pieces.length : Math.min(fault.afterChunks, Math.max(0, pieces.length - 1));
  const started = performance.now();
  for (let i = 0; i < cut; i++) {
    // With pacing, piece i goes out `offset(i)` ms after the first; otherwise `chunkDelayMs` apart.
    if (i > 0) await sleep(offset === undefined ? env.chunkDelayMs : offset(i) - (performance.now() - started), ex.signal);
    if (ex.signal.aborted) return;
    const piece = pieces[i];
    if (piece === undefined) break;
    if (typeof piece === 'string') await ex.frame(piece);
    else await ex.chunk(piece);
  }
  if (ex.signal.aborted) return;
  if (fault === undefined) return ex.end();
  await sleep(env.chunkDelayMs, ex.signal);
  if (ex.signal.aborted) return;
  if (fault.kind === 'midstream-reset' || errorTail === undefined) return ex.destroyAfterFlush();
  ex.end(errorTail(cut, fault.error ?? defaultError));
}
