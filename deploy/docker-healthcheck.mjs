// The image's HEALTHCHECK. It probes /health/liveliness on the ports this container listens on, read
// from /proc/net/tcp{,6}, so it holds whatever --port, PORT or --host the container's command sets.
import { readFileSync } from 'node:fs';

const targets = new Set();
for (const [file, family] of [['/proc/net/tcp', 4], ['/proc/net/tcp6', 6]]) {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue;
  }
  for (const line of text.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== '0A' || local === undefined) continue; // 0A: LISTEN
    const [addressHex, portHex] = local.split(':');
    const port = Number.parseInt(portHex, 16);
    if (family === 4) {
      // Little-endian hex of the IPv4 address; 0.0.0.0 is reached through loopback.
      const octets = addressHex.match(/../g).map((h) => Number.parseInt(h, 16)).reverse();
      const host = octets.every((o) => o === 0) ? '127.0.0.1' : octets.join('.');
      targets.add(`${host}:${port}`);
    } else if (/^0+$/.test(addressHex) || addressHex === '00000000000000000000000001000000') {
      targets.add(`[::1]:${port}`);
    }
  }
}

for (const target of targets) {
  try {
    const res = await fetch(`http://${target}/health/liveliness`, { signal: AbortSignal.timeout(2_000) });
    if (res.ok) process.exit(0);
  } catch {
    // Not the gateway, or not answering: try the next one.
  }
}
process.exit(1);
