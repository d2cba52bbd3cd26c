import { Injectable } from '@nestjs/common';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  hkdfSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { AppConfig, type JwtAlgorithm } from '../../config/app-config.js';

export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: JwtAlgorithm;
  use: 'sig';
}

/**
 * The keys of the tokens this service issues, built once at start-up. Verifiers get key objects or
 * ready buffers, never strings to re-parse per request.
 */
@Injectable()
export class SigningKeys {
  readonly algorithm: JwtAlgorithm;
  /** For fast-jwt: the HS secret bytes, or the PEM keys. */
  readonly signingMaterial: Buffer | string;
  readonly verificationMaterial: Buffer | string;
  /** For jsonwebtoken (passport-jwt): the same keys as KeyObjects. */
  readonly verificationKey: KeyObject;
  readonly kid?: string;
  readonly jwks: { keys: PublicJwk[] };
  /** HMAC key that derives refresh-token values from their ids; separate from the JWT key by HKDF. */
  readonly refreshKey: KeyObject;

  constructor(config: AppConfig) {
    const { algorithm, secret, privateKey } = config.jwt;
    this.algorithm = algorithm;
    if (algorithm === 'HS256') {
      const bytes = Buffer.from(secret, 'utf8');
      this.signingMaterial = bytes;
      this.verificationMaterial = bytes;
      this.verificationKey = createSecretKey(bytes);
      this.jwks = { keys: [] };
      this.refreshKey = deriveKey(bytes);
    } else {
      if (!privateKey) throw new Error(`JWT_PRIVATE_KEY is required for ${algorithm}`);
      const privateKeyObject = createPrivateKey(privateKey);
      assertKeyFits(algorithm, privateKeyObject);
      const publicKey = createPublicKey(privateKeyObject);
      const jwk = publicKey.export({ format: 'jwk' });
      this.kid = thumbprint(jwk);
      this.signingMaterial = privateKeyObject.export({ type: 'pkcs8', format: 'pem' }).toString();
      this.verificationMaterial = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      this.verificationKey = publicKey;
      this.jwks = { keys: [{ ...jwk, kid: this.kid, alg: algorithm, use: 'sig' }] };
      this.refreshKey = deriveKey(privateKeyObject.export({ type: 'pkcs8', format: 'der' }));
    }
  }
}

function deriveKey(material: Buffer): KeyObject {
  return createSecretKey(
    Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), 'latchkey refresh tokens', 32)),
  );
}

/** RFC 7638 JWK thumbprint: a stable `kid` that changes exactly when the key does. */
export function thumbprint(jwk: JsonWebKey): string {
  const members: Record<string, string[]> = {
    EC: ['crv', 'kty', 'x', 'y'],
    RSA: ['e', 'kty', 'n'],
    OKP: ['crv', 'kty', 'x'],
  };
  const names = members[jwk.kty ?? ''] ?? [];
  const canonical = `{${names.map((n) => `"${n}":"${String(jwk[n])}"`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

function assertKeyFits(algorithm: JwtAlgorithm, key: KeyObject): void {
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const fits =
    (algorithm === 'ES256' && type === 'ec' && curve === 'prime256v1') ||
    (algorithm === 'RS256' && type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) ||
    (algorithm === 'EdDSA' && type === 'ed25519');
  if (!fits) throw new Error(`JWT_PRIVATE_KEY does not fit JWT_ALGORITHM=${algorithm}`);
}
