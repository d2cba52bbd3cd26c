import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors.js';

/**
 * Deeper than any body Latchkey takes (a bulk sync is an array of flat objects: depth 2). JSON.parse and
 * the validators recurse per level; a body of a few hundred kilobytes of `[` would otherwise end in a
 * stack overflow deep inside a library instead of a 400.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Fastify's own JSON parser (prototype poisoning refused, per-route body limits), behind a linear scan
 * that refuses over-deep nesting before anything recursive sees the text, and followed by a refusal of
 * any key named `constructor` (see hasConstructorKey).
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
    void parse(request, text, (error, value: unknown) => {
      if (!error && hasConstructorKey(value)) {
        done(new DomainError('invalid_json', 'JSON keys named "__proto__" or "constructor" are refused'));
        return;
      }
      done(error, value);
    });
  });
}

/**
 * Whether any object in a parsed body has an own `constructor` key. The parser only refuses the poisoning
 * shape (`"constructor": {"prototype": …}`); any other value under that key, nested in a field, makes
 * class-transformer throw a TypeError (it takes `value.constructor` for a class), and no body Latchkey
 * takes has such a field. Walked without recursion; the depth is already bounded.
 */
export function hasConstructorKey(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (const item of value) if (typeof item === 'object') pending.push(item);
      continue;
    }
    if (Object.hasOwn(value, 'constructor')) return true;
    for (const child of Object.values(value)) if (typeof child === 'object') pending.push(child);
  }
  return false;
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
