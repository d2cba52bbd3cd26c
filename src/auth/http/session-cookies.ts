import type { CookieSerializeOptions } from '@fastify/cookie';
import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import type { SignedIn } from '../sessions/sessions.service.js';

export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The session cookies' names: `__Host-` prefixed whenever they are Secure. */
export interface SessionCookieNames {
  access: string;
  refresh: string;
  csrf: string;
}

/**
 * The browser side of a session: HttpOnly token cookies plus a readable CSRF cookie (double submit).
 * When the cookies are Secure they carry the `__Host-` prefix (RFC 6265bis §4.1.3.2): the browser then
 * refuses them unless set by this very host over https, for path `/`, with no Domain, so a sibling
 * subdomain or a plain-http network attacker cannot plant a session or a CSRF value of their choosing.
 */
@Injectable()
export class SessionCookies {
  private readonly base: CookieSerializeOptions;
  readonly names: SessionCookieNames;

  constructor(private readonly config: AppConfig) {
    const sameSite = config.sessionCookieSameSite;
    const secure = config.publicUrl.startsWith('https://') || sameSite === 'none';
    this.base = {
      path: '/',
      secure,
      sameSite,
      // Third-party (iframe) cookies live in the partner's partition (CHIPS) when SameSite=None.
      ...(sameSite === 'none' ? { partitioned: true } : {}),
    };
    const prefix = secure ? '__Host-' : '';
    this.names = {
      access: `${prefix}access_token`,
      refresh: `${prefix}refresh_token`,
      csrf: `${prefix}csrf_token`,
    };
  }

  accessToken(request: FastifyRequest): string | undefined {
    return request.cookies[this.names.access];
  }

  refreshToken(request: FastifyRequest): string | undefined {
    return request.cookies[this.names.refresh];
  }

  /** Sets the session cookies and answers the CSRF token the pages must echo in X-CSRF-Token. */
  set(reply: FastifyReply, session: SignedIn): string {
    const csrf = randomBytes(32).toString('base64url');
    void reply
      .setCookie(this.names.access, session.accessToken, {
        ...this.base,
        httpOnly: true,
        maxAge: session.expiresIn,
      })
      .setCookie(this.names.refresh, session.refreshToken, {
        ...this.base,
        httpOnly: true,
        maxAge: this.config.jwt.refreshTtl,
      })
      .setCookie(this.names.csrf, csrf, {
        ...this.base,
        httpOnly: false,
        maxAge: this.config.jwt.refreshTtl,
      });
    return csrf;
  }

  clear(reply: FastifyReply): void {
    const { access, refresh, csrf } = this.names;
    for (const name of [access, refresh, csrf]) void reply.clearCookie(name, this.base);
  }

  /**
   * Double submit (OWASP CSRF cheat sheet): a request authenticated by cookie and changing state must
   * carry the csrf_token cookie's value in X-CSRF-Token, which a cross-site page cannot read or set.
   */
  assertCsrf(request: FastifyRequest): void {
    if (SAFE_METHODS.has(request.method)) return;
    const cookie = request.cookies[this.names.csrf];
    const header = request.headers[CSRF_HEADER];
    if (typeof header !== 'string' || !cookie || !equal(header, cookie)) {
      throw new DomainError('csrf_failed', 'Missing or wrong X-CSRF-Token header for a cookie session');
    }
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
