import { Injectable } from '@nestjs/common';
import { HashingPool } from './hashing-pool.js';

export { MAX_PASSWORD_BYTES } from './argon2-params.js';

/**
 * argon2id (OWASP's parameters, argon2-params.ts) on Latchkey's own low-priority hashing threads, so many
 * hashes run in parallel while the event loop and libuv's pool stay free. argon2 takes the whole password
 * (no 72-byte truncation as in bcrypt).
 */
@Injectable()
export class PasswordHasher {
  constructor(private readonly pool: HashingPool) {}

  async hash(password: string): Promise<string> {
    return String(await this.pool.run({ op: 'hash', password }));
  }

  /** False for a wrong password and for a hash that is not ours or is malformed. */
  async verify(passwordHash: string, password: string): Promise<boolean> {
    return (await this.pool.run({ op: 'verify', hash: passwordHash, password })) === true;
  }
}
