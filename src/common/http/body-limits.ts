import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';

export const SINGLE_BODY_LIMIT = 1024 * 1024;
export const BULK_BODY_LIMIT = 16 * 1024 * 1024;

/** Route config (via `@RouteConfig`) of routes that take bulk arrays: 16 MiB, but 1 MiB for one object. */
export const BULK_BODY = { bulkBody: true } as const;

/**
 * Contract §7: 1 MiB on single-object routes, 16 MiB on bulk sync. Fastify enforces the limit while
 * reading, so an oversized body is refused before it is buffered whole.
 */
export function applyBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    // Routes that Nest did not register (Swagger's static files) have no config at all.
    const config: unknown = route.config;
    const bulk =
      typeof config === 'object' && config !== null && 'bulkBody' in config && config.bulkBody === true;
    route.bodyLimit = bulk ? BULK_BODY_LIMIT : SINGLE_BODY_LIMIT;
    if (bulk) route.preHandler = [singleObjectLimit, ...asArray(route.preHandler)];
  });
}

function singleObjectLimit(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: (error?: Error) => void,
): void {
  const length = Number(request.headers['content-length'] ?? 0);
  if (!Array.isArray(request.body) && length > SINGLE_BODY_LIMIT) {
    done(new DomainError('payload_too_large', 'A single object may be at most 1 MiB; arrays up to 16 MiB'));
    return;
  }
  done();
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
