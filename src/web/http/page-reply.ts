import type { FastifyReply } from 'fastify';
import { pageContentPolicy } from '../../common/security-headers.js';
import type { AppConfig } from '../../config/app-config.js';

/**
 * Answers one of Latchkey's HTML pages. Pages show personal data: never cached, never leaked to other sites
 * through Referer; and they run under the pages' CSP (own scripts and styles only, framed only by
 * FRAME_ANCESTORS).
 */
export function sendPage(reply: FastifyReply, config: AppConfig, status: number, html: string): FastifyReply {
  return reply
    .status(status)
    .headers({
      'cache-control': 'no-store',
      'referrer-policy': 'same-origin',
      'content-security-policy': pageContentPolicy(config),
    })
    .type('text/html; charset=utf-8')
    .send(html);
}
