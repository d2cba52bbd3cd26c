// A bare node:http server answering every request with one file's bytes, read once into memory: the
// floor for serving a static asset on this machine. Usage: node static-server.mjs <port> <file>
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, file] = process.argv.slice(2);
const body = readFileSync(file);

createServer((req, res) => {
  res.writeHead(200, {
    'content-type': 'text/css; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-cache',
  });
  res.end(body);
}).listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
