import type { CommandIo } from '../../src/commands/io.js';

/** A `CommandIo` that records what a command printed, for tests. */
export function captureIo(): CommandIo & { readonly stdout: () => string; readonly stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (text) => (out += text),
    err: (text) => (err += text),
    stdout: () => out,
    stderr: () => err,
  };
}
