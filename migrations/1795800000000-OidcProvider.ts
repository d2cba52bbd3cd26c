import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OidcProvider1795800000000 implements MigrationInterface {
  name = 'OidcProvider1795800000000';

  async up(q: QueryRunner): Promise<void> {
    // Applications that sign their users in through Latchkey. A confidential client's secret is kept as
    // its SHA-256 only (it is 32 random bytes, so a slow hash would add nothing): shown once, never again.
    await q.query(`
      CREATE TABLE oidc_clients (
        client_id                 text PRIMARY KEY,
        name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        type                      text NOT NULL CHECK (type IN ('confidential', 'public')),
        secret_hash               text,
        first_party               boolean NOT NULL DEFAULT false,
        redirect_uris             text[] NOT NULL CHECK (cardinality(redirect_uris) >= 1),
        post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
        scopes                    text[] NOT NULL,
        created_at                timestamptz NOT NULL DEFAULT now(),
        updated_at                timestamptz NOT NULL DEFAULT now(),
        CHECK ((type = 'confidential') = (secret_hash IS NOT NULL))
      )`);
    // What the certified provider (oidc-provider) stores: codes, grants, its sessions, interactions and
    // tokens, one row per (model, id). A grant belongs to the Latchkey session it was given in; the tokens
    // of a grant name it. When that session ends, its grants and their tokens go (trigger below).
    await q.query(`
      CREATE TABLE oidc_payloads (
        model       text NOT NULL,
        id          text NOT NULL,
        payload     jsonb NOT NULL,
        grant_id    text,
        uid         text,
        session_id  uuid REFERENCES sessions (id) ON DELETE CASCADE,
        expires_at  timestamptz,
        consumed_at timestamptz,
        PRIMARY KEY (model, id)
      )`);
    await q.query(
      `CREATE INDEX oidc_payloads_grant_idx ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX oidc_payloads_uid_idx ON oidc_payloads (model, uid) WHERE uid IS NOT NULL`);
    await q.query(
      `CREATE INDEX oidc_payloads_session_idx ON oidc_payloads (session_id) WHERE session_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX oidc_payloads_expires_idx ON oidc_payloads (expires_at)`);
    await q.query(`
      CREATE FUNCTION oidc_end_session_grants() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM oidc_payloads
         WHERE grant_id IN (SELECT id FROM oidc_payloads WHERE model = 'Grant' AND session_id = NEW.id);
        DELETE FROM oidc_payloads WHERE session_id = NEW.id;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER sessions_end_oidc_grants
        AFTER UPDATE OF revoked_at ON sessions
        FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
        EXECUTE FUNCTION oidc_end_session_grants()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER sessions_end_oidc_grants ON sessions`);
    await q.query(`DROP FUNCTION oidc_end_session_grants()`);
    await q.query(`DROP TABLE oidc_payloads`);
    await q.query(`DROP TABLE oidc_clients`);
  }
}
