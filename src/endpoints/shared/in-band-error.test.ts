import { describe, expect, it } from 'vitest';
import { inBandStreamError } from './in-band-error.js';

const bytes = (text: string) => Buffer.from(text);

describe('inBandStreamError', () => {
  it('reads an error event that opens a chat or Responses stream as a failure with its message', () => {
    expect(inBandStreamError(bytes('data: {"error":{"message":"overloaded","code":"overloaded"}}\n\n'))).toMatchObject({ kind: 'stream_error', message: 'overloaded', code: 'overloaded' });
    expect(inBandStreamError(bytes('event: error\ndata: {"type":"error","message":"overloaded"}\n\n'))).toMatchObject({ kind: 'stream_error', message: 'overloaded' });
  });

  it('passes a stream that opens with an event, a comment, or a first chunk cut inside its first field name', () => {
    for (const first of ['data: {"id":"1","choices":[]}\n\n', 'event: response.created\ndata: {}\n\n', ': ping\n\n', '\ufeffdata: {}\n\n', '\r\ndata: {}\n\n', 'id: 7\ndata: {}\n\n', 'da', 'data', 'eve', '\ufeff']) {
      expect(inBandStreamError(bytes(first)), JSON.stringify(first)).toBeUndefined();
    }
  });

  it('passes a first chunk whose error is null: it is a chunk', () => {
    expect(inBandStreamError(bytes('data: {"error":null,"id":"1","choices":[{"delta":{"content":"Hi"}}]}\n\n'))).toBeUndefined();
  });

  it('waits for more when the first chunk is only part of a byte-order mark', () => {
    expect(inBandStreamError(Buffer.from([0xef]))).toBeUndefined();
    expect(inBandStreamError(Buffer.from([0xef, 0xbb]))).toBeUndefined();
  });

  it('fails a stream whose first bytes are not server-sent events (an HTML page, JSON), without quoting them', () => {
    for (const first of ['<html><body>gsk_secret</body></html>', '{"choices":[]}', 'HTTP/1.1 502 Bad Gateway\r\n', 'datum: x\n\n']) {
      const failed = inBandStreamError(bytes(first));
      expect(failed, first).toMatchObject({ kind: 'server_error', code: 'upstream_bad_response' });
      expect(failed?.message).not.toContain('gsk_secret');
    }
  });
});
