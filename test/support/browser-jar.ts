import type { HttpResult, TestServer } from './server.js';
import { setCookies } from './session.js';

/**
 * A browser's part in a redirect flow, over plain HTTP: a cookie jar (by name; paths and expiry are the
 * server's business) and manual redirects, so that a test sees every hop and stops where it must.
 */
export class BrowserJar {
  readonly cookies: Record<string, string>;

  constructor(
    private readonly server: TestServer,
    cookies: Record<string, string> = {},
  ) {
    this.cookies = { ...cookies };
  }

  get(pathOrUrl: string): Promise<HttpResult> {
    return this.send('GET', pathOrUrl);
  }

  /** A request with the jar's cookies (and, for a JSON body, the page's CSRF header unless told otherwise). */
  async send(
    method: string,
    pathOrUrl: string,
    options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<HttpResult> {
    const path = pathOrUrl.startsWith('http') ? pathWithin(this.server.baseUrl, pathOrUrl) : pathOrUrl;
    const cookie = Object.entries(this.cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    const res = await this.server.request(method, path, {
      headers: { ...(cookie ? { cookie } : {}), ...options.headers },
      body: options.body,
      raw: options.raw,
    });
    for (const [name, { value, line }] of Object.entries(setCookies(res))) {
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line) || /max-age=0/i.test(line))
        delete this.cookies[name];
      else this.cookies[name] = value;
    }
    return res;
  }

  /**
   * Follows redirects on the server until one leaves it (the client's redirect URI) or a page is answered;
   * the last answer and, when it left, where to.
   */
  async follow(pathOrUrl: string, maxHops = 10): Promise<{ res: HttpResult; left?: URL; hops: string[] }> {
    let next = pathOrUrl;
    const hops: string[] = [];
    for (let i = 0; i < maxHops; i++) {
      hops.push(next);
      const res = await this.get(next);
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { res, hops };
      const target = new URL(location, this.server.baseUrl);
      if (target.origin !== new URL(this.server.baseUrl).origin) return { res, left: target, hops };
      next = target.pathname + target.search;
    }
    throw new Error(`more than ${maxHops} redirects: ${hops.join(' → ')}`);
  }
}

function pathWithin(baseUrl: string, url: string): string {
  const target = new URL(url);
  if (target.origin !== new URL(baseUrl).origin) throw new Error(`${url} is not on ${baseUrl}`);
  return target.pathname + target.search;
}
