import { createPublicKey, type KeyObject } from 'node:crypto';
import { partnerKeyAlgorithms } from '../sso/partner-key-rules.js';
import type { EnvSchema } from './env.schema.js';

const HMAC = /^HS(256|384|512)$/;

/** The JWT_SSO_* rules that span settings, checked at boot: each problem names the setting to fix. */
export function ssoProblems(e: EnvSchema, production: boolean, algorithms: string[]): string[] {
  const problems: string[] = [];
  if (e.JWT_SSO_PUBLIC_KEY) {
    const problem = publicKeyProblem(e.JWT_SSO_PUBLIC_KEY, algorithms);
    if (problem) problems.push(`JWT_SSO_PUBLIC_KEY: ${problem}`);
  }
  if (!production) return problems;
  // The keys come over the network on every refresh: over plain HTTP anyone on the path can swap in
  // their own and sign in as anybody (RFC 8414 §2 and OpenID Connect Discovery §3: jwks_uri is https).
  if (e.JWT_SSO_JWKS_URL && new URL(e.JWT_SSO_JWKS_URL).protocol !== 'https:') {
    problems.push('JWT_SSO_JWKS_URL: must be an https URL when NODE_ENV=production');
  }
  // A partner's key pair usually signs tokens for many relying parties: without an `aud` check, a token
  // it minted for another application signs the person in here too (RFC 7519 §4.1.3). A shared HS secret
  // is ours alone, so it needs no audience.
  const keyPair = e.JWT_SSO_PUBLIC_KEY ?? e.JWT_SSO_JWKS_URL;
  if (keyPair && !e.JWT_SSO_AUDIENCE && e.JWT_SSO_AUDIENCE_OPTIONAL !== true) {
    problems.push(
      'JWT_SSO_AUDIENCE: required with JWT_SSO_PUBLIC_KEY or JWT_SSO_JWKS_URL when NODE_ENV=production ' +
        '(or set JWT_SSO_AUDIENCE_OPTIONAL=true to accept partner tokens meant for any audience)',
    );
  }
  return problems;
}

function publicKeyProblem(pem: string, algorithms: string[]): string | undefined {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return 'not a readable PEM public key';
  }
  const fits = partnerKeyAlgorithms(key);
  if (typeof fits === 'string') return fits;
  const asymmetric = algorithms.filter((alg) => !HMAC.test(alg));
  if (asymmetric.length > 0 && !asymmetric.some((alg) => fits.includes(alg))) {
    return `this key fits none of JWT_SSO_ALGORITHM (${asymmetric.join(', ')}); it fits ${fits.join(', ')}`;
  }
  return undefined;
}
