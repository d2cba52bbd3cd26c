import { createTestDatabase } from './support/test-db.js';
import { startServer, type TestServer } from './support/server.js';
import { TcpProxy } from './support/tcp-proxy.js';

describe('GET /health', () => {
  let proxy: TcpProxy;
  let t: TestServer;

  beforeAll(async () => {
    const url = await createTestDatabase();
    const target = new URL(url);
    proxy = new TcpProxy(target.hostname, Number(target.port));
    await proxy.start();
    t = await startServer({}, { databaseUrl: proxy.wrap(url) });
  });

  afterAll(async () => {
    await t.stop();
    await proxy.cut();
  });

  it('answers 200 {"status":"ok"} without credentials while the database answers', async () => {
    const res = await t.request('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 503 database_unavailable quickly when the database is gone, and recovers by itself', async () => {
    await proxy.cut();
    const started = Date.now();
    const down = await t.request('GET', '/health');
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ statusCode: 503, code: 'database_unavailable' });
    expect(Date.now() - started).toBeLessThan(5000);

    await proxy.restore();
    let up = await t.request('GET', '/health');
    for (let i = 0; i < 20 && up.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      up = await t.request('GET', '/health');
    }
    expect(up.status).toBe(200);
  });
});
