import { startServer, type TestServer } from './support/server.js';

describe('CORS: exactly CORS_ALLOWED_ORIGINS, with credentials', () => {
  let t: TestServer;
  let closed: TestServer;

  beforeAll(async () => {
    [t, closed] = await Promise.all([
      startServer({ CORS_ALLOWED_ORIGINS: 'https://app.example,https://admin.example' }),
      startServer(),
    ]);
  });

  afterAll(async () => {
    await Promise.all([t.stop(), closed.stop()]);
  });

  it('answers a preflight from an allowed origin with that origin, credentials and our headers', async () => {
    const res = await t.request('OPTIONS', '/api/users', {
      headers: {
        origin: 'https://admin.example',
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'x-csrf-token, content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://admin.example');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(res.headers.get('access-control-allow-headers')).toContain('x-csrf-token');
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it.each([
    'https://evil.example',
    'null',
    'https://app.example.evil.example',
    'https://evilapp.example',
    'http://app.example',
  ])('does not allow %s', async (origin) => {
    const res = await t.request('GET', '/health', { headers: { origin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('allows no origin at all when none is configured', async () => {
    const res = await closed.request('GET', '/health', { headers: { origin: 'https://app.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
