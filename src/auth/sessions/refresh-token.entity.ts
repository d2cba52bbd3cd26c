import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One refresh token of a session. Its value is never stored: it is derived from the id with a server key
 * (refresh-token-value.ts), which also lets a concurrent refresh be answered with the same successor.
 */
@Entity({ name: 'refresh_tokens' })
export class RefreshToken {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId!: string;

  /** The `jti` of the access token issued with this refresh token (re-issued within the grace window). */
  @Column({ name: 'access_jti', type: 'uuid' })
  accessJti!: string;

  @Column({ name: 'issued_at', type: 'timestamptz' })
  issuedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'spent_at', type: 'timestamptz', nullable: true })
  spentAt!: Date | null;

  @Column({ name: 'successor_id', type: 'uuid', nullable: true })
  successorId!: string | null;
}
