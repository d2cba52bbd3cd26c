// GET /assets/app.css — the stylesheet every page loads — against a bare node:http server answering the
// same bytes from memory: the fixed cost of a request that touches neither a token nor the database.
import { join } from 'node:path';
import { alternate, forkHelper, freePort, higherRps, load, ROOT, startLatchkey } from './lib.mjs';
import { CONNECTIONS } from './protected.mjs';
import { rate, ratio, row } from './table.mjs';

const SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';

export async function assetScenario({ pg }) {
  const url = await pg.createDatabase('bench_asset');
  const server = await startLatchkey(url, { JWT_SECRET: SECRET });
  try {
    const get = (baseUrl, path) =>
      load({ url: `${baseUrl}${path}`, connections: CONNECTIONS, label: `GET ${path}` });
    const { a: asset, b: bare } = await alternate(
      2,
      () => get(server.baseUrl, '/assets/app.css'),
      () => withBareStatic(join(ROOT, 'dist/src/web/client/app.css'), (baseUrl) => get(baseUrl, '/app.css')),
      higherRps,
    );
    return [
      row({
        path: 'GET /assets/app.css (static asset)',
        value: rate(asset),
        baseline: 'bare node:http, the same bytes from memory',
        baselineValue: rate(bare),
        ratio: ratio(asset.rps / bare.rps),
        target: { op: '≥', value: 0.6, actual: asset.rps / bare.rps },
        notes: `${CONNECTIONS} connections; better of 2 alternated runs (A, B, A, B) of each side`,
      }),
    ];
  } finally {
    await server.stop();
  }
}

async function withBareStatic(file, fn) {
  const port = await freePort();
  const bare = await forkHelper('baselines/static-server.mjs', [String(port), file], {
    name: 'bare static server',
  });
  try {
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    await bare.stop();
  }
}
