import { Injectable } from '@nestjs/common';
import { hash, verify, type Algorithm } from '@node-rs/argon2';

/** OWASP's argon2id recommendation (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. */
// Algorithm is a const enum, which isolated compilation cannot inline: 2 is Argon2id.
const PARAMS = {
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const MAX_PASSWORD_BYTES = 1024;

/**
 * argon2id hashing on libuv's thread pool, so many hashes run in parallel and the event loop stays free.
 * argon2 takes the whole password (no 72-byte truncation as in bcrypt).
 */
@Injectable()
export class PasswordHasher {
  hash(password: string): Promise<string> {
    return hash(password, PARAMS);
  }

  /** False for a wrong password and for a hash that is not ours or is malformed. */
  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }
}
