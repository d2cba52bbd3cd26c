import type { FastifyInstance } from 'fastify';
import { DomainError } from './errors.js';

/**
 * Deeper than any body Latchkey takes (a bulk sync is an array of flat objects: depth 2). JSON.parse and
 * the validators recurse per level; a body of a few hundred kilobytes of `[` would otherwise end in a
 * stack overflow deep inside a library instead of a 400.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Fastify's own JSON parser (prototype poisoning refused, per-route body limits), behind a linear scan
 * that refuses over-deep nesting before anything recursive sees the text.
 */
export function installJsonParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (nestingExceeds(text, MAX_JSON_DEPTH)) {
      done(new DomainError('invalid_json', `JSON nested more than ${MAX_JSON_DEPTH} levels deep`), undefined);
      return;
    }
    void parse(request, text, done);
  });
}

/** Whether brackets outside strings nest deeper than `max`. Malformed text is left to the parser. */
export function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}
