import { type LoggerService } from '@nestjs/common';
import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module.js';
import { applyBodyLimits, BULK_BODY_LIMIT } from './common/http/body-limits.js';
import { installJsonParser } from './common/http/json-body.js';
import { errorBody } from './common/errors.js';
import { routerErrorHandler } from './common/http/http-error.filter.js';
import { defaultSecurityHeaders } from './common/security-headers.js';
import type { AppConfig } from './config/app-config.js';
import { fastifyTrustProxy } from './config/trust-proxy.js';
import { OidcEntry } from './oidc/http/oidc-entry.js';
import { SsoEntry } from './sso/http/sso-entry.js';

export interface CreateAppOptions {
  logger: LoggerService | false;
}

/** Builds the whole HTTP application; `main.ts` and the e2e tests share it, so tests run the real thing. */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  options: CreateAppOptions,
): Promise<NestFastifyApplication> {
  // Set on arrival (a cheap synchronous hook) so that every answer carries them, errors included.
  const securityHeaders = defaultSecurityHeaders(config);
  const adapter = new FastifyAdapter({
    bodyLimit: BULK_BODY_LIMIT,
    frameworkErrors: routerErrorHandler(securityHeaders),
    genReqId: () => randomUUID(),
    // We answer requests that arrive while closing ourselves (below), in the contract's error shape.
    return503OnClosing: false,
    trustProxy: fastifyTrustProxy(config.trustProxy),
  });
  const fastify = adapter.getInstance();
  // Loaded now, not with Nest's plugins: its onRequest hook must parse cookies before the SSO hook below,
  // which needs to know who (if anyone) is signed in already.
  await fastify.register(fastifyCookie);
  // JSON only: a text/plain body is what a cross-site form or no-preflight fetch can send, so it gets 415.
  fastify.removeContentTypeParser('text/plain');
  installJsonParser(fastify);
  applyBodyLimits(fastify);
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers({ 'x-request-id': request.id, ...securityHeaders });
    // After SIGTERM the listener is closed, but a kept-alive connection may still bring a request: it is
    // turned away (and its connection closed) so that it can go to another instance, and nothing runs.
    if (closing) {
      void reply
        .status(503)
        .headers({ connection: 'close', 'retry-after': '1', 'cache-control': 'no-store' })
        .send(errorBody('shutting_down', 'This instance is shutting down; retry the request'));
      return;
    }
    done();
  });

  // SSO landings (`/any/page?token=…`) are caught before routing, so they work on every path. The
  // hook exists before Nest registers routes; the service behind it is resolved once Nest has built it.
  const late: { sso?: SsoEntry; oidc?: OidcEntry } = {};
  fastify.addHook('onRequest', (request, reply, done) => {
    const sso = late.sso;
    const token = sso?.tokenOnPage(request);
    if (token === undefined || !sso) return done();
    sso.complete(request, reply, token).then(
      () => undefined,
      (error: unknown) => done(error instanceof Error ? error : new Error(String(error))),
    );
  });

  // The OpenID Provider's requests go to it before routing and body parsing (OidcEntry), after a partner
  // landing on /oidc/authorize?token=… has signed the person in.
  fastify.addHook('onRequest', (request, reply, done) => {
    const oidc = late.oidc;
    if (!oidc?.handles(request)) return done();
    oidc.serve(request, reply).then(
      () => undefined,
      (error: unknown) => {
        if (reply.sent || reply.raw.headersSent) reply.raw.destroy();
        else done(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl),
    adapter,
    {
      // Fastify's own JSON parser honours per-route body limits; Nest's would apply one limit to all.
      bodyParser: false,
      logger: options.logger,
      abortOnError: false,
    },
  );
  app.useLogger(options.logger === false ? false : options.logger);
  // Exactly the configured origins, with credentials (cookies); nothing is reflected, `null` included.
  app.enableCors({
    origin: config.corsAllowedOrigins.length > 0 ? config.corsAllowedOrigins : false,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-csrf-token', 'x-session'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
  late.sso = app.get(SsoEntry);
  late.oidc = app.get(OidcEntry);
  setupOpenApi(app);
  await app.init();
  return app;
}

function setupOpenApi(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Latchkey')
      .setDescription('Logins, tokens, partner SSO and a synced user directory')
      .addApiKey(
        { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Token <api token>' },
        'token',
      )
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
}
