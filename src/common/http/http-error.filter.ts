import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { mapError } from '../error-mapping.js';
import { DomainError } from '../errors.js';

/** The one place where any failure becomes an HTTP answer (contract §7). */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendError(exception, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>(), this.logger);
  }
}

interface PreparedAnswer {
  status: number;
  headers: Record<string, string>;
  json: string;
}

// A coded error's JSON answer never changes: made once per error object. The refusals the guard and the
// token verifier throw are such objects, made once at start-up, so a 401 costs no more than a 200.
const answers = new WeakMap<DomainError, PreparedAnswer>();

export function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): void {
  if (error instanceof DomainError && !reply.sent && !wantsHtml(request)) {
    let answer = answers.get(error);
    if (!answer) {
      const { status, headers, body } = mapError(error);
      answer = { status, headers: { 'cache-control': 'no-store', ...headers }, json: JSON.stringify(body) };
      answers.set(error, answer);
    }
    void reply
      .status(answer.status)
      .headers(answer.headers)
      .type('application/json; charset=utf-8')
      .send(answer.json);
    return;
  }
  const mapped = mapError(error);
  if (mapped.unexpected) {
    logger.error(
      {
        msg: 'Unhandled error',
        request_id: request.id,
        method: request.method,
        route: routeOf(request),
      },
      error instanceof Error ? error.stack : String(error),
    );
    mapped.body.request_id = request.id;
  } else if (mapped.body.code === 'database_unavailable') {
    logger.warn({ msg: 'Database unavailable', request_id: request.id });
  } else if (mapped.warning) {
    logger.warn({ ...mapped.warning, request_id: request.id });
  }
  if (reply.sent) return;
  void reply.status(mapped.status).headers({ 'cache-control': 'no-store', ...mapped.headers });
  if (wantsHtml(request)) {
    void reply
      .type('text/html; charset=utf-8')
      .send(errorPage(mapped.body.statusCode, mapped.body.error, mapped.body.message));
    return;
  }
  void reply.type('application/json; charset=utf-8').send(mapped.body);
}

/**
 * Fastify's `frameworkErrors`: the router refuses a malformed or over-long path segment before any hook
 * runs and before Nest's filter could see it. Answered here in the contract's shape, with the headers every
 * answer carries (`headers`), instead of Fastify's body that echoes the URL.
 */
export function routerErrorHandler(
  headers: Readonly<Record<string, string>>,
): NonNullable<FastifyServerOptions['frameworkErrors']> {
  const logger = new Logger('HttpError');
  return (error, request, reply) => {
    void reply.headers({ 'x-request-id': request.id, ...headers });
    sendError(error, request, reply, logger);
  };
}

/** The route's template (no ids in it); none for a URL the router refused before it matched a route. */
function routeOf(request: FastifyRequest): string | undefined {
  try {
    return request.routeOptions.url;
  } catch {
    return undefined;
  }
}

/** A browser navigating (not a script fetching) gets a page; API clients get the contract's JSON. */
function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return request.method === 'GET' && accept.includes('text/html') && !accept.startsWith('application/json');
}

function errorPage(status: number, title: string, message: string): string {
  const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${status} ${escape(title)} · Latchkey</title><link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">
<h1>${escape(title)}</h1><p>${escape(message)}</p><p><a href="/">Back to Latchkey</a></p></body></html>
`;
}
