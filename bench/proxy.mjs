// A small round-robin HTTP proxy for the scale scenario: each request goes to the next backend, over
// kept-alive connections (as a real load balancer would hold them). Kept minimal so that its own cost is
// small, and the same in the 1-instance run (which also goes through it) and the 2-instance one.
// Usage: node proxy.mjs <port> <backend URL>…; answers `ready` over IPC once listening.
import { Agent, createServer, request } from 'node:http';

const [port, ...backends] = process.argv.slice(2);
const targets = backends.map((b) => new URL(b));
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
let next = 0;

createServer((req, res) => {
  const target = targets[next++ % targets.length];
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}).listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
