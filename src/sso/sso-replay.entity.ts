import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A partner token already used, by its (iss, jti); kept until no instance could accept the token again. */
@Entity({ name: 'sso_replay' })
export class SsoReplay {
  @PrimaryColumn('text')
  issuer!: string;

  @PrimaryColumn('text')
  jti!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
