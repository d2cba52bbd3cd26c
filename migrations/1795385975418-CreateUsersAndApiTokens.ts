import { type MigrationInterface, type QueryRunner } from 'typeorm';

export class CreateUsersAndApiTokens1795385975418 implements MigrationInterface {
  name = 'CreateUsersAndApiTokens1795385975418';

  async up(q: QueryRunner): Promise<void> {
    // Trigram indexes make the directory's substring search (ILIKE '%term%') an index scan on 1M rows.
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`
      CREATE TABLE users (
        id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email         text NOT NULL CHECK (email <> '' AND length(email) <= 254),
        username      text NOT NULL CHECK (username <> '' AND length(username) <= 254),
        first_name    text NOT NULL DEFAULT '' CHECK (length(first_name) <= 150),
        last_name     text NOT NULL DEFAULT '' CHECK (length(last_name) <= 150),
        is_active     boolean NOT NULL DEFAULT true,
        is_admin      boolean NOT NULL DEFAULT false,
        source        text NOT NULL CHECK (source IN ('local', 'sso', 'sync')),
        password_hash text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        updated_at    timestamptz NOT NULL DEFAULT now(),
        last_login_at timestamptz
      )`);
    // The application stores emails and usernames already normalised (NFKC, trimmed, lower-case);
    // these unique indexes are what keep one row per person under any concurrency.
    await q.query(`CREATE UNIQUE INDEX users_email_key ON users (email)`);
    await q.query(`CREATE UNIQUE INDEX users_username_key ON users (username)`);
    await q.query(`CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops)`);
    await q.query(`CREATE INDEX users_username_trgm ON users USING gin (username gin_trgm_ops)`);
    await q.query(`CREATE INDEX users_first_name_trgm ON users USING gin (lower(first_name) gin_trgm_ops)`);
    await q.query(`CREATE INDEX users_last_name_trgm ON users USING gin (lower(last_name) gin_trgm_ops)`);

    await q.query(`
      CREATE TABLE api_tokens (
        id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name         text NOT NULL CHECK (name <> '' AND length(name) <= 100),
        token_hash   bytea NOT NULL CHECK (length(token_hash) = 32),
        prefix       text NOT NULL,
        scopes       text[] NOT NULL CHECK (cardinality(scopes) > 0),
        created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
        created_at   timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at   timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX api_tokens_token_hash_key ON api_tokens (token_hash)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE api_tokens`);
    await q.query(`DROP TABLE users`);
  }
}
