import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from './error-mapping.js';

/** The one place where any failure becomes an HTTP answer (contract §7). */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    sendError(exception, ctx.getRequest<FastifyRequest>(), ctx.getResponse<FastifyReply>(), this.logger);
  }
}

export function sendError(
  error: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  logger: Logger,
): void {
  const mapped = mapError(error);
  if (mapped.unexpected) {
    logger.error(
      {
        msg: 'Unhandled error',
        request_id: request.id,
        method: request.method,
        route: request.routeOptions.url,
      },
      error instanceof Error ? error.stack : String(error),
    );
    mapped.body.request_id = request.id;
  } else if (mapped.body.code === 'database_unavailable') {
    logger.warn({ msg: 'Database unavailable', request_id: request.id });
  }
  if (reply.sent) return;
  void reply
    .status(mapped.status)
    .headers({ 'cache-control': 'no-store', ...mapped.headers })
    .type('application/json; charset=utf-8')
    .send(mapped.body);
}
