import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { SignInMethod } from '../tokens/access-tokens.js';

export type RevokedReason = 'logout' | 'reuse' | 'user_changed' | 'ended';

/** A signed-in session: one per sign-in, continued by refresh-token rotation (migration SessionsTable). */
@Entity({ name: 'sessions' })
export class Session {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'sign_in_method', type: 'text' })
  signInMethod!: SignInMethod;

  @Column({ name: 'user_agent', type: 'text' })
  userAgent!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz' })
  lastUsedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_reason', type: 'text', nullable: true })
  revokedReason!: RevokedReason | null;
}
