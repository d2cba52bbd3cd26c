import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A row per session (refresh-token family), so that everything that ends a session and everything that
 * continues one meet on the same row: a rotation holds that row's lock from its first statement to its
 * commit, and a revocation is one UPDATE of that row. A revocation can then no longer miss a successor
 * that a concurrent rotation has written but not yet committed (it used to revoke token rows one by one).
 */
export class SessionsTable1795700000000 implements MigrationInterface {
  name = 'SessionsTable1795700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sessions (
        id             uuid PRIMARY KEY,
        user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        sign_in_method text NOT NULL CHECK (sign_in_method IN ('password', 'sso')),
        user_agent     text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 512),
        created_at     timestamptz NOT NULL DEFAULT now(),
        last_used_at   timestamptz NOT NULL DEFAULT now(),
        -- The absolute end of the session (JWT_SESSION_MAX_AGE): no rotation reaches past it.
        expires_at     timestamptz NOT NULL,
        revoked_at     timestamptz,
        revoked_reason text CHECK (revoked_reason IN ('logout', 'reuse', 'user_changed', 'ended'))
      )`);
    await q.query(`CREATE INDEX sessions_user_idx ON sessions (user_id)`);
    await q.query(`CREATE INDEX sessions_expires_idx ON sessions (expires_at)`);
    // Every family that exists becomes a session, keeping its expiry and whether it was revoked.
    await q.query(`
      INSERT INTO sessions (id, user_id, sign_in_method, created_at, last_used_at, expires_at, revoked_at,
                            revoked_reason)
      SELECT family_id, (array_agg(user_id))[1], (array_agg(sign_in_method ORDER BY issued_at))[1],
             min(issued_at), max(issued_at), max(expires_at), max(revoked_at),
             CASE WHEN bool_or(revoked_at IS NOT NULL) THEN 'ended' END
        FROM refresh_tokens GROUP BY family_id`);
    // Deactivation did not end sessions before this migration: those of a user inactive now end here, so
    // that a reactivation after the upgrade revives none of them.
    await q.query(`
      UPDATE sessions s SET revoked_at = now(), revoked_reason = 'user_changed'
        FROM users u WHERE u.id = s.user_id AND NOT u.is_active AND s.revoked_at IS NULL`);
    await q.query(`ALTER TABLE refresh_tokens RENAME COLUMN family_id TO session_id`);
    await q.query(`ALTER INDEX refresh_tokens_family_idx RENAME TO refresh_tokens_session_idx`);
    await q.query(`
      ALTER TABLE refresh_tokens
        ADD CONSTRAINT refresh_tokens_session_fkey
          FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE,
        DROP COLUMN user_id,
        DROP COLUMN revoked_at,
        DROP COLUMN sign_in_method`);

    // Notifications now say what changed: `user:<id>` or `session:<id>` (UserStatusCache).
    await q.query(`
      CREATE OR REPLACE FUNCTION notify_user_status() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('latchkey_user_status', 'user:' || COALESCE(NEW.id, OLD.id)::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE FUNCTION notify_session_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('latchkey_user_status', 'session:' || NEW.id::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER sessions_revoked AFTER UPDATE OF revoked_at ON sessions FOR EACH ROW
        WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
        EXECUTE FUNCTION notify_session_revoked()`);

    // Contract §3: a password change, an email change and a deactivation end every session of the user,
    // whoever makes them (sync, PATCH, the CLI, SCIM, plain SQL). In the statement that changes the user,
    // so no session can be started or rotated past it: a rotation holds its session's row lock (it waits
    // here), and a sign-in checks the user in the same transaction that writes its session.
    await q.query(`
      CREATE FUNCTION revoke_sessions_of_changed_user() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE sessions SET revoked_at = now(), revoked_reason = 'user_changed'
         WHERE user_id = NEW.id AND revoked_at IS NULL;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER users_credentials_changed AFTER UPDATE ON users FOR EACH ROW
        WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash
              OR OLD.email IS DISTINCT FROM NEW.email
              OR (OLD.is_active AND NOT NEW.is_active))
        EXECUTE FUNCTION revoke_sessions_of_changed_user()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_credentials_changed ON users`);
    await q.query(`DROP FUNCTION revoke_sessions_of_changed_user()`);
    await q.query(`DROP TRIGGER sessions_revoked ON sessions`);
    await q.query(`DROP FUNCTION notify_session_revoked()`);
    await q.query(`
      CREATE OR REPLACE FUNCTION notify_user_status() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('latchkey_user_status', COALESCE(NEW.id, OLD.id)::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      ALTER TABLE refresh_tokens
        DROP CONSTRAINT refresh_tokens_session_fkey,
        ADD COLUMN user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        ADD COLUMN revoked_at timestamptz,
        ADD COLUMN sign_in_method text NOT NULL DEFAULT 'password'
          CHECK (sign_in_method IN ('password', 'sso'))`);
    await q.query(`
      UPDATE refresh_tokens t SET user_id = s.user_id, revoked_at = s.revoked_at, sign_in_method = s.sign_in_method
        FROM sessions s WHERE s.id = t.session_id`);
    await q.query(`ALTER TABLE refresh_tokens ALTER COLUMN user_id SET NOT NULL`);
    await q.query(`ALTER INDEX refresh_tokens_session_idx RENAME TO refresh_tokens_family_idx`);
    await q.query(`ALTER TABLE refresh_tokens RENAME COLUMN session_id TO family_id`);
    await q.query(`DROP TABLE sessions`);
  }
}
