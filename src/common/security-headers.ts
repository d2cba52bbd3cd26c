import type { AppConfig } from '../config/app-config.js';

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
