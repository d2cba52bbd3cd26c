import type { AppConfig } from '../config/app-config.js';

/** CSP for pages: who may frame them (FRAME_ANCESTORS; none configured = this origin only). */
export function pageFramePolicy(config: AppConfig): string {
  return ["frame-ancestors 'self'", ...config.frameAncestors].join(' ');
}
