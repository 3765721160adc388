import type { ServerResponse } from 'node:http';
import { RelayEnd, drained, type RelayOptions, type StreamEnd } from './sse-relay.js';

/**
 * Relays a binary upstream body (speech audio) to the caller as it arrives, at the caller's pace.
 * Unlike SSE there is no way to say "failed" inside audio bytes, so a failure after the first byte
 * cuts the connection: the caller sees an incomplete body rather than a file that looks whole.
 */
export async function pipeBytes(out: ServerResponse, head: Record<string, string>, options: RelayOptions): Promise<void> {
  const finish = new RelayEnd(options.onEnd);
  const end = (how: StreamEnd): void => finish.end(how);
  out.once('close', () => {
    if (out.writableFinished) return;
    end({ kind: 'client_cancelled' });
    options.cancelUpstream();
    options.source.cancel();
  });
  out.writeHead(200, head);
  try {
    let chunk: Uint8Array | undefined = options.first;
    while (chunk !== undefined) {
      if (!out.write(chunk)) await drained(out);
      if (finish.ended) return;
      chunk = await options.source.read();
    }
    out.end();
    end({ kind: 'complete' });
  } catch (err) {
    if (finish.ended) return;
    end({ kind: 'upstream_error', message: `upstream stream failed: ${err instanceof Error ? err.message : String(err)}` });
    out.destroy();
  }
}
