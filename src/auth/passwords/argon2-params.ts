import type { Algorithm } from '@node-rs/argon2';

/** OWASP's argon2id recommendation (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. */
// Algorithm is a const enum, which isolated compilation cannot inline: 2 is Argon2id.
export const ARGON2_PARAMS = {
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const MAX_PASSWORD_BYTES = 1024;
