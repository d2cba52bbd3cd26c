import { createHmac, sign as cryptoSign, type KeyObject } from 'node:crypto';

/** base64url of a string as-is, or of a value's JSON. */
export const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

export function decodePart(token: string, index: 0 | 1): any {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8'));
}

/** An HMAC-signed JWT with exactly this header and payload (the header's alg is not looked at). */
export function signHmac(
  header: object,
  payload: object | string,
  secret: string | Buffer,
  hash = 'sha256',
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

/** A JWT signed with an asymmetric private key: ES256 (JOSE r||s), RS256, or EdDSA. */
export function signAsymmetric(
  header: { alg: string; [member: string]: unknown },
  payload: object,
  key: KeyObject,
): string {
  const input = Buffer.from(`${b64(header)}.${b64(payload)}`);
  const signature =
    header.alg === 'EdDSA'
      ? cryptoSign(null, input, key)
      : cryptoSign('sha256', input, { key, dsaEncoding: 'ieee-p1363' });
  return `${input.toString()}.${signature.toString('base64url')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
