import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { PasswordHasher } from './password-hasher.js';

/**
 * What a login for an unknown account is verified against, so that it costs what a real verification
 * costs: argon2's work is set by the parameters inside the hash, so the dummy is made with today's
 * ARGON2_PARAMS (through the same hasher as real passwords), never kept as a fixed string that would go
 * on costing the old parameters after they change. It hashes 32 random bytes that are thrown away, so
 * nothing verifies against it.
 *
 * Made once, started at boot without holding it up; a login that needs it first waits for that one hash.
 */
@Injectable()
export class DummyHash implements OnApplicationBootstrap {
  private readonly logger = new Logger(DummyHash.name);
  private pending?: Promise<string>;

  constructor(private readonly hasher: PasswordHasher) {}

  onApplicationBootstrap(): void {
    this.value().catch((error: unknown) => {
      this.logger.warn(`Cannot make the dummy password hash yet: ${(error as Error).message}`);
    });
  }

  value(): Promise<string> {
    this.pending ??= this.hasher.hash(randomBytes(32).toString('base64url')).catch((error: unknown) => {
      this.pending = undefined; // the next login tries again
      throw error;
    });
    return this.pending;
  }
}
