import { Logger } from '@nestjs/common';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { partnerKeyAlgorithms } from './partner-key-rules.js';

const FETCH_TIMEOUT_MS = 3000;
const MAX_AGE_MS = 10 * 60 * 1000;
// An unknown kid may mean the partner rotated keys: refetch, but at most this often, so a stream of
// made-up kids cannot turn us into a request amplifier against the partner.
const REFETCH_COOLDOWN_MS = 30 * 1000;
const MAX_BYTES = 256 * 1024;

interface CachedKey {
  pem: string;
  /** The JWS algorithms it may verify: its `alg` when the JWKS names one, else all its type and size fit. */
  algorithms: string[];
}

/**
 * The partner's JWKS (JWT_SSO_JWKS_URL), cached and kid-aware. Only the configured URL is ever fetched:
 * `jku`, `x5u` and `jwk` headers in a token are ignored. When the URL cannot be reached and nothing is
 * cached, verification fails closed.
 */
export class JwksClient {
  private readonly logger = new Logger(JwksClient.name);
  private keys = new Map<string, CachedKey>();
  private fetchedAt = 0;
  private lastAttempt = 0;
  private pending?: Promise<void>;

  constructor(private readonly url: string) {}

  /** The PEM public key for this kid (or the only key, when the token names none), or undefined. */
  async keyFor(kid: string | undefined): Promise<CachedKey | undefined> {
    const now = Date.now();
    const mayFetch = now - this.lastAttempt > REFETCH_COOLDOWN_MS;
    if (now - this.fetchedAt > MAX_AGE_MS && mayFetch) await this.refresh(now);
    let key = this.find(kid);
    if (!key && mayFetch && this.lastAttempt !== now) {
      await this.refresh(now);
      key = this.find(kid);
    }
    return key;
  }

  private find(kid: string | undefined): CachedKey | undefined {
    if (kid !== undefined) return this.keys.get(kid);
    return this.keys.size === 1 ? [...this.keys.values()][0] : undefined;
  }

  private refresh(now: number): Promise<void> {
    this.pending ??= this.fetchKeys(now).finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchKeys(now: number): Promise<void> {
    this.lastAttempt = now;
    // Aborts the download (timeout, or a body over the cap), not only our waiting for it.
    const abort = new AbortController();
    try {
      const response = await fetch(this.url, {
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(FETCH_TIMEOUT_MS)]),
        redirect: 'error',
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const document = JSON.parse(await readCapped(response, MAX_BYTES, abort)) as { keys?: unknown };
      if (!Array.isArray(document.keys)) throw new Error('no "keys" array');
      const keys = new Map<string, CachedKey>();
      document.keys.forEach((jwk: JsonWebKey & { kid?: unknown; alg?: unknown; use?: unknown }, i) => {
        if (jwk.use !== undefined && jwk.use !== 'sig') return;
        if (jwk.d !== undefined) return; // a private key has no business in a JWKS; never use one
        const kid = typeof jwk.kid === 'string' ? jwk.kid : `#${i}`;
        const usable = this.usable(jwk);
        if (typeof usable === 'string') {
          this.logger.warn(`Skipping key ${JSON.stringify(kid.slice(0, 64))} of the partner JWKS: ${usable}`);
          return;
        }
        keys.set(kid, usable);
      });
      this.keys = keys;
      this.fetchedAt = now;
    } catch (error) {
      abort.abort();
      // Keep serving the keys we had: a partner outage should not log everyone out of SSO at once.
      this.logger.warn(`Cannot fetch the partner JWKS: ${(error as Error).message}`);
      if (now - this.fetchedAt > 4 * MAX_AGE_MS) this.keys = new Map();
    }
  }

  /** The key as we keep it, or why it is skipped (unreadable, too weak, on a foreign curve, …). */
  private usable(jwk: JsonWebKey & { alg?: unknown }): CachedKey | string {
    let key;
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      return 'not a readable public key';
    }
    const fits = partnerKeyAlgorithms(key);
    if (typeof fits === 'string') return fits;
    const alg = typeof jwk.alg === 'string' ? jwk.alg : undefined;
    if (alg !== undefined && !fits.includes(alg)) return `its alg ${alg.slice(0, 16)} does not fit the key`;
    return { pem: key.export({ type: 'spki', format: 'pem' }).toString(), algorithms: alg ? [alg] : fits };
  }
}

/**
 * The body as text, counted while it streams: past `max` bytes the download is aborted at once, so an
 * endless or huge answer costs us at most `max` bytes of memory, and the connection is closed.
 */
async function readCapped(response: Response, max: number, abort: AbortController): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > max) {
    abort.abort();
    throw new Error('JWKS document too large');
  }
  if (!response.body) return '';
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString('utf8');
    size += value.byteLength;
    if (size > max) {
      abort.abort();
      throw new Error('JWKS document too large');
    }
    chunks.push(value);
  }
}
