import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SsoReplayStore1795389972685 implements MigrationInterface {
  name = 'SsoReplayStore1795389972685';

  async up(q: QueryRunner): Promise<void> {
    // One row per partner token already used: keyed by (iss, jti), never by the token string, which
    // can be re-spelled (base64url padding, signature encodings) without changing what it says.
    // Rows are kept until the token expires; after that the token is refused for its expiry anyway.
    await q.query(`
      CREATE TABLE sso_replay (
        issuer     text NOT NULL,
        jti        text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (issuer, jti)
      )`);
    await q.query(`CREATE INDEX sso_replay_expires_idx ON sso_replay (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sso_replay`);
  }
}
