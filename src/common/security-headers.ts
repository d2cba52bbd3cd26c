import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppConfig } from '../config/app-config.js';

/**
 * Headers every answer carries, errors included, chosen by helmet: nosniff, no-referrer, same-origin
 * CORP and the rest of its defaults, with four changes (COOP is left out, see below). API answers may never be framed
 * (`frame-ancestors 'none'`; the pages and the SSO landing replace the CSP with their own, which
 * FRAME_ANCESTORS widens); X-Frame-Options is left out, since it cannot name a partner's origin and a
 * browser that knows CSP ignores it; HSTS only over https, without includeSubDomains, which would bind
 * the operator's other hosts. The CSP sets nothing else: the OpenAPI page (/docs) runs Swagger UI.
 *
 * Every value is fixed at start-up, so helmet runs once, here, and each request copies the result
 * (bench/README.md: helmet's middleware on every request cost the protected GET a fifth of its rate).
 */
export function defaultSecurityHeaders(config: AppConfig): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  const setHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: helmet.contentSecurityPolicy.dangerouslyDisableDefaultSrc,
        frameAncestors: ["'none'"],
      },
    },
    frameguard: false,
    // A page answered with COOP same-origin loses its cross-origin opener: a partner or an OIDC client
    // that opens sign-in in a popup (oidc-client-ts signinPopup) would never hear back.
    crossOriginOpenerPolicy: false,
    strictTransportSecurity: config.publicUrl.startsWith('https://')
      ? { maxAge: 31_536_000, includeSubDomains: false }
      : false,
  });
  setHeaders({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return Object.freeze(headers);
}

/** CSP for pages: who may frame them (FRAME_ANCESTORS; none configured = this origin only). */
export function pageFramePolicy(config: AppConfig): string {
  return ["frame-ancestors 'self'", ...config.frameAncestors].join(' ');
}

/**
 * The whole CSP of our own pages: scripts, styles and requests from this origin only, no inline code, so an
 * injected string can never run even if escaping were ever missed.
 */
export function pageContentPolicy(config: AppConfig): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    pageFramePolicy(config),
  ].join('; ');
}
