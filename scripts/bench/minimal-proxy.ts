/**
 * The floor any Node proxy pays: node:http in, a keep-alive http.Agent out, bytes piped both ways, no
 * parsing. `npm run bench` measures the gateway's throughput as a ratio of this.
 *
 * Usage: tsx scripts/bench/minimal-proxy.ts <listen port> <upstream port> [work µs] [before|after]
 * `work µs` (default 0) spins the CPU that long per request, before the upstream call (`before`, the
 * default: on the request's path, as a gateway's routing is) or after the answer is written (`after`:
 * off it). `latency-floor.ts` uses it to measure what a microsecond of work costs a request at one
 * connection on the machine at hand.
 */
import { Agent, createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';

const [listenPort, upstreamPort, workUs = 0] = process.argv.slice(2, 5).map(Number);
const workAfter = process.argv[5] === 'after';
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** Busy for `workUs` microseconds: CPU time on this process's thread, as a gateway's own code would take. */
function work(): void {
  const until = performance.now() + (workUs as number) / 1000;
  while (performance.now() < until);
}

function forward(req: IncomingMessage, res: ServerResponse): void {
  const upstream = request(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: `/openai${req.url}`, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      // 'finish': the answer's last bytes are with the kernel.
      if (workAfter) res.once('finish', work);
    },
  );
  upstream.on('error', () => {
    res.writeHead(502).end();
  });
  req.pipe(upstream);
}

const server = createServer(
  workUs === 0
    ? forward
    : (req, res) => {
        if (!workAfter) work();
        forward(req, res);
      },
);
server.keepAliveTimeout = 60_000;
server.listen(listenPort, '127.0.0.1', () => process.stdout.write(`minimal proxy on ${listenPort}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
