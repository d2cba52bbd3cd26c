import { registerDecorator, type ValidationOptions } from 'class-validator';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * A redirect URI a client may register (RFC 6749 §3.1.2, OAuth 2.0 Security BCP §4.1): absolute, no
 * fragment, no credentials, https, or http on the loopback interface only (an application on the person's
 * own machine). Redirect URIs are then matched byte for byte, so only the canonical spelling (what the URL
 * parser writes back: lower-case ASCII host, no whitespace, a / after the host) is accepted: what the admin
 * reads is then what a browser opens.
 */
export function isRedirectUri(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 2000) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.href !== value || value.includes('#') || value.includes('*') || value.includes('@')) return false;
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
}

export function IsRedirectUri(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isRedirectUri',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message:
          '$property must hold absolute https URLs (http only on localhost) in canonical form, without fragments',
        ...options,
      },
      validator: { validate: isRedirectUri },
    });
}
