import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { startSessionsSql, type TokenDraft } from '../auth/sessions/refresh-tokens.repository.js';
import { AppConfig } from '../config/app-config.js';
import { queryPrepared } from '../database/prepared.js';
import { WriteBatcher } from '../database/write-batcher.js';
import type { User } from '../users/user.entity.js';
import { toUser, USER_COLUMNS_OF_U, type UserRow } from '../users/user-row.js';

export interface Landing {
  identity: { email: string; firstName?: string; lastName?: string };
  /** The token's one-time id, spent by this landing; undefined for a partner that sends none. */
  claim?: { issuer: string; jti: string; expiresAt: Date };
  session: TokenDraft;
}

export type LandingOutcome =
  | { kind: 'signed_in'; user: User; created: boolean }
  | { kind: 'replayed' }
  | { kind: 'inactive' }
  | { kind: 'unknown' };

type LandingRow = Partial<UserRow> & {
  eligible: boolean;
  claimed: boolean;
  known: boolean;
  created: boolean | null;
};

// Two batches in flight: one landing waiting on a row lock does not hold up all the others. With the
// bench's 10 connections, batches held 2.7 landings on average (six in ten held one: it found none in
// flight).
const MAX_IN_FLIGHT = 2;
const MAX_BATCH = 64;

/**
 * SSO landings' writes, set-based: one statement spends each landing's jti, finds or creates its user
 * (names refreshed, `last_login_at` set) and starts its session, for every landing that arrived together
 * (`WriteBatcher`). A landing cost three writes and a commit of its own, and those cost PostgreSQL more
 * than an upsert of the user alone; a batch shares its statement and its commit. Being one statement per
 * batch it is also one commit per landing: a landing refused (an inactive or unknown user) leaves its
 * token unspent, and concurrent first landings of one email make one user (`ON CONFLICT`, and never two
 * landings of one email or one jti in the same batch).
 */
@Injectable()
export class SsoLandingRepository {
  private readonly batcher: WriteBatcher<Landing, LandingOutcome>;
  private readonly sql: string;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: AppConfig,
  ) {
    this.sql = landingSql(config.sso.autoCreateUsers);
    this.batcher = new WriteBatcher((landings) => this.landAll(landings), {
      maxInFlight: MAX_IN_FLIGHT,
      maxBatch: MAX_BATCH,
      keys: ({ identity, claim }) =>
        claim ? [identity.email, `${claim.issuer.length}:${claim.issuer}${claim.jti}`] : [identity.email],
    });
  }

  land(landing: Landing): Promise<LandingOutcome> {
    return this.batcher.submit(landing);
  }

  /** Spent jtis are kept until their token expires; after that the token is refused for its expiry anyway. */
  async deleteExpiredClaims(): Promise<void> {
    await this.db.query(`DELETE FROM sso_replay WHERE expires_at < now()`);
  }

  private async landAll(landings: Landing[]): Promise<LandingOutcome[]> {
    const column = <V>(value: (landing: Landing) => V): V[] => landings.map(value);
    const rows = await queryPrepared<LandingRow>(this.db, this.sql, [
      column((l) => l.identity.email),
      column((l) => l.identity.firstName ?? null),
      column((l) => l.identity.lastName ?? null),
      column((l) => l.claim?.issuer ?? null),
      column((l) => l.claim?.jti ?? null),
      column((l) => l.claim?.expiresAt ?? null),
      column((l) => l.session.id),
      column((l) => l.session.accessJti),
      column((l) => l.session.issuedAt),
      column((l) => l.session.expiresAt),
    ]);
    return rows.map((row, i) => outcome(row, landings[i]));
  }
}

function outcome(row: LandingRow, landing: Landing): LandingOutcome {
  if (row.id !== undefined && row.id !== null) {
    return { kind: 'signed_in', user: toUser(row as UserRow), created: row.created === true };
  }
  if (!row.eligible) return { kind: row.known ? 'inactive' : 'unknown' };
  if (landing.claim && !row.claimed) return { kind: 'replayed' };
  // Deactivated between the gate and the write (the same instant): the token is spent, nobody signed in.
  return { kind: 'inactive' };
}

/**
 * The batch statement; `$1`…`$10` are arrays with one element per landing, in the batch's order. With
 * `create`, users are upserted in email order, so two concurrent batches meet their common rows in the
 * same order; a deadlock left to the UPDATE's join order is a failed batch, written again landing by
 * landing (`WriteBatcher`).
 */
function landingSql(create: boolean): string {
  // The names a landing brings (NULL: keep the stored one). A new row stores '' for a missing name, and a
  // mapped name is never '' (mapSsoClaims), so in the upsert '' in EXCLUDED means "none given".
  const [first, last] = create
    ? [`NULLIF(EXCLUDED.first_name, '')`, `NULLIF(EXCLUDED.last_name, '')`]
    : ['a.first_name', 'a.last_name'];
  const names = `first_name = COALESCE(${first}, u.first_name),
                 last_name = COALESCE(${last}, u.last_name),
                 updated_at = CASE WHEN u.first_name IS DISTINCT FROM COALESCE(${first}, u.first_name)
                                     OR u.last_name IS DISTINCT FROM COALESCE(${last}, u.last_name)
                                   THEN now() ELSE u.updated_at END,
                 last_login_at = now()`;
  // Whether this email may sign in at all, judged before anything is written: active, or (with `create`)
  // not there yet. The jti is spent only then.
  const eligible = create
    ? `NOT EXISTS (SELECT FROM users WHERE email = i.email AND NOT is_active)`
    : `EXISTS (SELECT FROM users WHERE email = i.email AND is_active)`;
  const signIn = create
    ? `INSERT INTO users AS u (email, username, first_name, last_name, source, last_login_at)
       SELECT email, email, COALESCE(first_name, ''), COALESCE(last_name, ''), 'sso', now()
         FROM admitted ORDER BY email
       ON CONFLICT (email) DO UPDATE SET ${names} WHERE u.is_active
       RETURNING ${USER_COLUMNS_OF_U}, (u.xmax = 0) AS created`
    : `UPDATE users AS u SET ${names}
         FROM admitted a WHERE u.email = a.email AND u.is_active
       RETURNING ${USER_COLUMNS_OF_U}, false AS created`;
  // The arrays reach unnest through an OFFSET 0 subquery, which keeps their lengths from the planner: then
  // every batch size has the same estimated plan, and PostgreSQL keeps one generic plan for the prepared
  // statement instead of planning each execution anew (a custom plan for the actual length: 0.4 ms of
  // planning, more than executing a small batch; one landing per statement ran 1,300/s that way, 2,500/s
  // with the generic plan).
  return `WITH gate AS (
       SELECT i.*, ${eligible} AS ok
         FROM (SELECT $1::text[] AS email, $2::text[] AS first_name, $3::text[] AS last_name,
                      $4::text[] AS issuer, $5::text[] AS jti, $6::timestamptz[] AS claim_expires,
                      $7::uuid[] AS session_id, $8::uuid[] AS access_jti, $9::timestamptz[] AS issued_at,
                      $10::timestamptz[] AS session_expires OFFSET 0) AS batch,
              unnest(batch.email, batch.first_name, batch.last_name, batch.issuer, batch.jti,
                     batch.claim_expires, batch.session_id, batch.access_jti, batch.issued_at,
                     batch.session_expires)
              WITH ORDINALITY AS i(email, first_name, last_name, issuer, jti, claim_expires,
                                   session_id, access_jti, issued_at, session_expires, ord)),
     claim AS (
       INSERT INTO sso_replay (issuer, jti, expires_at)
       SELECT issuer, jti, claim_expires FROM gate WHERE ok AND jti IS NOT NULL
       ON CONFLICT (issuer, jti) DO NOTHING RETURNING issuer, jti),
     admitted AS (
       SELECT g.* FROM gate g
        WHERE g.ok AND (g.jti IS NULL OR EXISTS (SELECT FROM claim c WHERE c.issuer = g.issuer AND c.jti = g.jti))),
     signed_in AS (${signIn}),
     started AS (${startSessionsSql(
       {
         id: 'a.session_id',
         userId: 's.id',
         accessJti: 'a.access_jti',
         issuedAt: 'a.issued_at',
         expiresAt: 'a.session_expires',
         method: `'sso'`,
       },
       'signed_in s JOIN admitted a ON a.email = s.email',
     )})
     SELECT g.ok AS eligible,
            EXISTS (SELECT FROM claim c WHERE c.issuer = g.issuer AND c.jti = g.jti) AS claimed,
            EXISTS (SELECT FROM users WHERE email = g.email) AS known, s.*
       FROM gate g LEFT JOIN signed_in s ON s.email = g.email
      ORDER BY g.ord`;
}
