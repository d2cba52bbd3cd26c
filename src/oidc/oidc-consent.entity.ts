import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The scopes a person has let an application see (migration OidcConsents). */
@Entity({ name: 'oidc_consents' })
export class OidcConsent {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @PrimaryColumn({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'granted_at', type: 'timestamptz' })
  grantedAt!: Date;
}
