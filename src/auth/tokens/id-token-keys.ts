import { Injectable } from '@nestjs/common';
import { createPrivateKey, createPublicKey, hkdfSync, type JsonWebKey, type KeyObject } from 'node:crypto';
import { AppConfig } from '../../config/app-config.js';
import { thumbprint } from './signing-keys.js';

export type IdTokenAlgorithm = 'RS256' | 'ES256';

export interface IdTokenJwk extends JsonWebKey {
  kid: string;
  alg: IdTokenAlgorithm;
  use: 'sig';
}

/**
 * The key that signs ID tokens (OIDC_PRIVATE_KEY): RSA of 2048 bits or more (RS256) or EC P-256 (ES256).
 * It is never the key of our access tokens, so that no ID token can pass for one. Absent (production
 * without the setting): no OpenID Provider.
 */
@Injectable()
export class IdTokenKeys {
  readonly algorithm?: IdTokenAlgorithm;
  /** The private JWK, for the provider's keystore. */
  readonly privateJwk?: IdTokenJwk;
  /** The public JWK, published at /.well-known/jwks.json beside our access tokens' key. */
  readonly publicJwk?: IdTokenJwk;
  /** Keys for the provider's signed cookies, derived from the signing key (the same on every instance). */
  readonly cookieKeys: string[] = [];

  constructor(config: AppConfig) {
    const pem = config.oidc.privateKey;
    if (!pem) return;
    if (config.jwt.privateKey !== undefined && samePrivateKey(pem, config.jwt.privateKey)) {
      throw new Error('OIDC_PRIVATE_KEY must not be the key of JWT_PRIVATE_KEY');
    }
    const key = createPrivateKey(pem);
    this.algorithm = idTokenAlgorithm(key);
    const publicJwk = createPublicKey(key).export({ format: 'jwk' });
    const kid = thumbprint(publicJwk);
    this.publicJwk = { ...publicJwk, kid, alg: this.algorithm, use: 'sig' };
    this.privateJwk = { ...key.export({ format: 'jwk' }), kid, alg: this.algorithm, use: 'sig' };
    const der = key.export({ type: 'pkcs8', format: 'der' });
    this.cookieKeys = [
      Buffer.from(hkdfSync('sha256', der, Buffer.alloc(0), 'latchkey oidc cookies', 32)).toString(
        'base64url',
      ),
    ];
  }
}

function idTokenAlgorithm(key: KeyObject): IdTokenAlgorithm {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048) return 'RS256';
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error('OIDC_PRIVATE_KEY must be an RSA key of 2048 bits or more, or an EC P-256 key');
}

function samePrivateKey(a: string, b: string): boolean {
  const der = (pem: string) => createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return der(a).equals(der(b));
}
