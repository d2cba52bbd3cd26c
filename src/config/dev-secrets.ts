import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JwtAlgorithm } from './app-config.js';

/** Secrets made for a development machine, kept in DATA_DIR so that restarts keep sessions and data. */
interface DevSecrets {
  JWT_SECRET?: string;
  EMBEDDED_DB_PASSWORD?: string;
  OIDC_PRIVATE_KEY?: string;
  [privateKeyForAlgorithm: `JWT_PRIVATE_KEY_${string}`]: string | undefined;
}

const FILE_NAME = 'secrets.json';

export class DevSecretStore {
  private readonly path: string;
  private secrets: DevSecrets;

  constructor(private readonly dataDir: string) {
    this.path = join(dataDir, FILE_NAME);
    this.secrets = this.read();
  }

  jwtSecret(): string {
    return this.getOrCreate('JWT_SECRET', () => randomBytes(48).toString('base64url'));
  }

  embeddedDbPassword(): string {
    return this.getOrCreate('EMBEDDED_DB_PASSWORD', () => randomBytes(24).toString('base64url'));
  }

  privateKey(algorithm: Exclude<JwtAlgorithm, 'HS256'>): string {
    return this.getOrCreate(`JWT_PRIVATE_KEY_${algorithm}`, () => generatePrivateKey(algorithm));
  }

  /** RSA, so that RS256, the algorithm every OpenID client must accept, is always offered. */
  oidcPrivateKey(): string {
    return this.getOrCreate('OIDC_PRIVATE_KEY', () => generatePrivateKey('RS256'));
  }

  private getOrCreate(name: keyof DevSecrets, make: () => string): string {
    const existing = this.secrets[name];
    if (existing) return existing;
    const value = make();
    this.secrets = { ...this.secrets, [name]: value };
    mkdirSync(this.dataDir, { recursive: true });
    writeFileSync(this.path, JSON.stringify(this.secrets, null, 2) + '\n', { mode: 0o600 });
    return value;
  }

  private read(): DevSecrets {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as DevSecrets;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new Error(`Cannot read ${this.path}: ${(error as Error).message}`, { cause: error });
    }
  }
}

function generatePrivateKey(algorithm: Exclude<JwtAlgorithm, 'HS256'>): string {
  const pkcs8 = { type: 'pkcs8', format: 'pem' } as const;
  switch (algorithm) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export(pkcs8).toString();
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export(pkcs8).toString();
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey.export(pkcs8).toString();
  }
}
