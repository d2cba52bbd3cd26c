import { Column, Entity, PrimaryColumn } from 'typeorm';

export type OidcClientType = 'confidential' | 'public';

/** An application that signs its users in through Latchkey (migration OidcProvider). */
@Entity({ name: 'oidc_clients' })
export class OidcClient {
  @PrimaryColumn({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  type!: OidcClientType;

  /** SHA-256 of a confidential client's secret; null for a public client. */
  @Column({ name: 'secret_hash', type: 'text', nullable: true, select: false })
  secretHash!: string | null;

  /** Our own applications: no consent page. */
  @Column({ name: 'first_party', type: 'boolean' })
  firstParty!: boolean;

  @Column({ name: 'redirect_uris', type: 'text', array: true })
  redirectUris!: string[];

  @Column({ name: 'post_logout_redirect_uris', type: 'text', array: true })
  postLogoutRedirectUris!: string[];

  /** The scopes the client may ask for. */
  @Column({ type: 'text', array: true })
  scopes!: string[];

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
