/**
 * The last JSON object under `"<key>":{` in a body, parsed on its own: usage figures are a few numbers
 * at the end of a body that may be many kilobytes of text. Inside JSON strings the key's quotes are
 * escaped, so a match is the real key; the last one is the top-level object, which follows the content.
 */
export function lastObjectNamed(bytes: ArrayBuffer | Buffer, key: string): Record<string, unknown> | undefined {
  const body = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes);
  const marker = Buffer.from(`"${key}":{`);
  const at = body.lastIndexOf(marker);
  if (at === -1) return undefined;
  const start = at + marker.length - 1;
  let depth = 0;
  for (let i = start; i < body.length; i++) {
    const byte = body[i];
    if (byte === 0x7b) depth++;
    else if (byte === 0x7d && --depth === 0) {
      try {
        return JSON.parse(body.toString('utf8', start, i + 1)) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
