import type { AppConfig } from '../config/app-config.js';

/**
 * Headers every answer carries. API answers may never be framed (`frame-ancestors 'none'`; the pages and the
 * SSO landing replace it with their own policy), are never sniffed into another type, and over https tell
 * the browser to stay on https (HSTS; without includeSubDomains, which would bind the operator's other hosts).
 */
export function defaultSecurityHeaders(config: AppConfig): Readonly<Record<string, string>> {
  return {
    'x-content-type-options': 'nosniff',
    'content-security-policy': "frame-ancestors 'none'",
    ...(config.publicUrl.startsWith('https://') ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
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
