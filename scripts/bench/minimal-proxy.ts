/**
 * The floor any Node proxy pays: node:http in, a keep-alive http.Agent out, bytes piped both ways, no
 * parsing. `npm run bench` measures the gateway's throughput as a ratio of this.
 * Usage: tsx scripts/bench/minimal-proxy.ts <listen port> <upstream port>
 */
import { Agent, createServer, request } from 'node:http';

const [listenPort, upstreamPort] = process.argv.slice(2).map(Number);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  const upstream = request(
    { host: '127.0.0.1', port: upstreamPort, method: req.method, path: `/openai${req.url}`, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    res.writeHead(502).end();
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 60_000;
server.listen(listenPort, '127.0.0.1', () => process.stdout.write(`minimal proxy on ${listenPort}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
