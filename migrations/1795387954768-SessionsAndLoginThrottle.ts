import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionsAndLoginThrottle1795387954768 implements MigrationInterface {
  name = 'SessionsAndLoginThrottle1795387954768';

  async up(q: QueryRunner): Promise<void> {
    // One row per refresh token. A login starts a family; each refresh spends a token and adds its
    // successor to the family. The token value is never stored: it is derived from the id with a
    // server key (HMAC), which also lets a concurrent refresh be given the same successor again.
    await q.query(`
      CREATE TABLE refresh_tokens (
        id            uuid PRIMARY KEY,
        family_id     uuid NOT NULL,
        user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        access_jti    uuid NOT NULL,
        issued_at     timestamptz NOT NULL,
        expires_at    timestamptz NOT NULL,
        spent_at      timestamptz,
        successor_id  uuid,
        revoked_at    timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)`);
    await q.query(`CREATE INDEX refresh_tokens_expires_idx ON refresh_tokens (expires_at)`);

    // Failed-login counters, shared by every instance: one row per account identifier and per client address.
    await q.query(`
      CREATE TABLE login_throttle (
        key          text PRIMARY KEY,
        window_start timestamptz NOT NULL,
        failures     integer NOT NULL
      )`);

    // Deactivation must reach every instance at once: each keeps a cache of user status and LISTENs here.
    await q.query(`
      CREATE FUNCTION notify_user_status() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('latchkey_user_status', COALESCE(NEW.id, OLD.id)::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER users_status_changed AFTER UPDATE ON users FOR EACH ROW
        WHEN (OLD.is_active IS DISTINCT FROM NEW.is_active OR OLD.is_admin IS DISTINCT FROM NEW.is_admin)
        EXECUTE FUNCTION notify_user_status()`);
    await q.query(`
      CREATE TRIGGER users_deleted AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION notify_user_status()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_deleted ON users`);
    await q.query(`DROP TRIGGER users_status_changed ON users`);
    await q.query(`DROP FUNCTION notify_user_status()`);
    await q.query(`DROP TABLE login_throttle`);
    await q.query(`DROP TABLE refresh_tokens`);
  }
}
