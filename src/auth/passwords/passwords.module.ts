import { Module } from '@nestjs/common';
import { HashingPool } from './hashing-pool.js';
import { PasswordHasher } from './password-hasher.js';

@Module({ providers: [HashingPool, PasswordHasher], exports: [PasswordHasher] })
export class PasswordsModule {}
