import type { MigrationInterface, QueryRunner } from 'typeorm';

export class SessionSignInMethod1795472000000 implements MigrationInterface {
  name = 'SessionSignInMethod1795472000000';

  async up(q: QueryRunner): Promise<void> {
    // How the session began (a password, or a partner's SSO token): every successor carries it on, so the
    // access tokens of a refreshed session still say how the person signed in (the `amr` claim, RFC 8176).
    // Sessions that exist when this runs are marked 'password': the column only informs the profile page;
    // no access decision reads it.
    await q.query(`
      ALTER TABLE refresh_tokens
        ADD COLUMN sign_in_method text NOT NULL DEFAULT 'password'
        CHECK (sign_in_method IN ('password', 'sso'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN sign_in_method`);
  }
}
