import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  url: string;
}

const routesByServer = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Remembers every route the server registers, so a test can walk them all (deny-by-default check). */
export function recordRoutes(fastify: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  routesByServer.set(fastify, routes);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
}

export function registeredRoutes(fastify: FastifyInstance): readonly RegisteredRoute[] {
  return routesByServer.get(fastify) ?? [];
}
