import { Module } from '@nestjs/common';
import { DummyHash } from './dummy-hash.js';
import { HashingPool } from './hashing-pool.js';
import { PasswordHasher } from './password-hasher.js';

@Module({ providers: [HashingPool, PasswordHasher, DummyHash], exports: [PasswordHasher, DummyHash] })
export class PasswordsModule {}
