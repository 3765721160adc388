/**
 * A TCP proxy in front of Redis that a test can cut: `tsx test/multi/redis-proxy.ts HOST PORT` listens on
 * an ephemeral port of 127.0.0.1, prints `redis proxy listening on <port>`, and reads modes from stdin,
 * one per line, answering `mode <name>` once applied:
 *
 * - `blackhole`: open connections stay open but nothing is forwarded either way; new ones are accepted
 *   and held (a partition: callers see only silence);
 * - `refuse`: every connection is reset and new ones are closed at once (Redis gone);
 * - `pass`: forward (the start); connections held while cut are reset, so clients reconnect instead of
 *   reading replies out of order.
 *
 * Exits on SIGTERM or when stdin closes (its parent went away).
 */
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { createInterface } from 'node:readline';

type Mode = 'pass' | 'blackhole' | 'refuse';
interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
}

const [host, portText] = process.argv.slice(2);
if (host === undefined || portText === undefined) throw new Error('usage: redis-proxy.ts <redis host> <redis port>');
const target = { host, port: Number(portText) };
let mode: Mode = 'pass';
const pairs = new Set<Pair>();

function hold(pair: Pair): void {
  pair.client.unpipe();
  pair.upstream?.unpipe();
  // Read and drop, so nothing reaches the other side and no buffer fills.
  pair.client.removeAllListeners('data');
  pair.client.on('data', () => {});
  pair.upstream?.removeAllListeners('data');
  pair.upstream?.on('data', () => {});
}

function drop(pair: Pair): void {
  pair.client.destroy();
  pair.upstream?.destroy();
  pairs.delete(pair);
}

const server = createServer((client) => {
  client.setNoDelay(true);
  client.on('error', () => {});
  if (mode === 'refuse') {
    client.destroy();
    return;
  }
  const pair: Pair = { client, upstream: undefined };
  pairs.add(pair);
  client.once('close', () => drop(pair));
  if (mode === 'blackhole') {
    hold(pair);
    return;
  }
  const upstream = createConnection(target);
  upstream.setNoDelay(true);
  pair.upstream = upstream;
  upstream.on('error', () => {});
  upstream.once('close', () => drop(pair));
  client.pipe(upstream);
  upstream.pipe(client);
});

function setMode(next: Mode): void {
  const previous = mode;
  mode = next;
  if (next === 'blackhole') for (const pair of pairs) hold(pair);
  if (next === 'refuse' || (next === 'pass' && previous !== 'pass')) for (const pair of [...pairs]) drop(pair);
}

function shutdown(): void {
  for (const pair of [...pairs]) drop(pair);
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1_000).unref();
}

server.listen(0, '127.0.0.1', () => {
  console.log(`redis proxy listening on ${(server.address() as AddressInfo).port}`);
});
createInterface({ input: process.stdin })
  .on('line', (line) => {
    const next = line.trim();
    if (next === 'pass' || next === 'blackhole' || next === 'refuse') {
      setMode(next);
      console.log(`mode ${next}`);
    }
  })
  .on('close', shutdown);
process.once('SIGTERM', shutdown);
