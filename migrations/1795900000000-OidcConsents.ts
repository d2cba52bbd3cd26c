import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OidcConsents1795900000000 implements MigrationInterface {
  name = 'OidcConsents1795900000000';

  async up(q: QueryRunner): Promise<void> {
    // What a person has let an application see, remembered across sessions (contract §8: "ask once per
    // user, client and scope set"); revoked from the profile page, and gone with the user or the client.
    await q.query(`
      CREATE TABLE oidc_consents (
        user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        client_id  text NOT NULL REFERENCES oidc_clients (client_id) ON DELETE CASCADE,
        scopes     text[] NOT NULL,
        granted_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, client_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE oidc_consents`);
  }
}
