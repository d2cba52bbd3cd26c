import type { KeyObject } from 'node:crypto';

/** RFC 7518 §3.3 (and §3.5 for PS*): "A key of size 2048 bits or larger MUST be used". */
export const MIN_RSA_BITS = 2048;

const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

// RFC 7518 §3.4: each ES algorithm names its curve. A key on another curve is not a key for it, even of
// the same size: secp256k1 belongs to ES256K (RFC 8812 §3.2), which fast-jwt would take for ES256.
const EC_ALGORITHM_BY_CURVE: Readonly<Record<string, string>> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

/**
 * The JWS algorithms a partner's public key may verify, or (a string) why it may verify none. Applied to
 * JWT_SSO_PUBLIC_KEY at start-up (refused) and to every key of the partner's JWKS (skipped).
 */
export function partnerKeyAlgorithms(key: KeyObject): string[] | string {
  const type = key.asymmetricKeyType;
  switch (type) {
    case 'rsa': {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits < MIN_RSA_BITS) {
        return `an RSA key of ${bits} bits is too weak (RFC 7518 §3.3 requires at least ${MIN_RSA_BITS})`;
      }
      return RSA_ALGORITHMS;
    }
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve ?? 'an unnamed curve';
      const algorithm = EC_ALGORITHM_BY_CURVE[curve];
      if (!algorithm)
        return `an EC key on ${curve} fits no ES algorithm (RFC 7518 §3.4: P-256, P-384, P-521)`;
      return [algorithm];
    }
    case 'ed25519':
    case 'ed448':
      return ['EdDSA']; // RFC 8037 §3.1
    // RSA-PSS-only keys (RFC 4055) are not what a JWKS or fast-jwt expects; the others do not sign JWS.
    case 'rsa-pss':
    case 'dsa':
    case 'x25519':
    case 'x448':
    case undefined:
      return `a key of type ${type ?? 'secret'} is not a partner signing key`;
  }
}
