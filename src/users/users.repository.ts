import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, IsNull, Not, type Repository } from 'typeorm';
import { isUniqueViolation, pgError } from '../database/pg-error.js';
import { preparedRows } from '../database/prepared-rows.js';
import { queryRows } from '../database/query-rows.js';
import { escapeLike } from './normalise.js';
import { User, type UserSource } from './user.entity.js';
import { toUser, USER_COLUMN, USER_COLUMNS, USER_COLUMNS_OF_U, type UserRow } from './user-row.js';

/** The fields a write may set; `undefined` keeps the stored value (on insert: the column's default). */
type WritableFields = Partial<Pick<User, 'username' | 'firstName' | 'lastName' | 'isActive'>> & {
  passwordHash?: string;
};

/** One row to upsert, found by its email. */
export type UpsertRow = WritableFields & Pick<User, 'email'>;

export interface UpsertOutcome {
  createdIds: Set<string>;
  updatedIds: Set<string>;
  users: User[];
}

export type PatchOutcome = { kind: 'updated'; user: User } | { kind: 'not_found' | 'admin' };

export interface LoginAccount {
  user: User;
  passwordHash: string | null;
}

/** Who a partner token names (the mapped claims). */
export interface SsoIdentity {
  email: string;
  firstName?: string;
  lastName?: string;
}

export interface SsoSignInRules {
  create: boolean;
  allowAdmins: boolean;
}

export type SsoSignIn =
  { kind: 'signed_in'; user: User; created: boolean } | { kind: 'unknown' | 'inactive' | 'admin' };

export type UserPatch = WritableFields & Partial<Pick<User, 'email'>>;

const UPSERT_FIELDS = ['username', 'firstName', 'lastName', 'isActive', 'passwordHash'] as const;
type UpsertField = (typeof UPSERT_FIELDS)[number];
const UPSERT_COLUMN = (field: UpsertField): string => USER_COLUMN[field];

/**
 * How a batch is written, picked in upsertMany (for a batch of a chunk or more, by whether any of its emails
 * exists):
 * - `insert`: a plain `INSERT`, for rows that are all new. `ON CONFLICT` confirms its speculative insertion
 *   row by row (bench/README.md: the bulk sync insert row); a row that
 *   another transaction inserted meanwhile fails it on the email index, and the batch is written again as
 *   an upsert. It writes no existing row, so it never touches an admin's.
 * - `upsert`: an `INSERT … ON CONFLICT (email)`, whose conflict arm catches a row that exists or that
 *   another transaction inserted meanwhile. Rows that exist first take a plain `UPDATE` (the conflict arm
 *   locks each row before updating it, which a bulk update pays for every row). With `protectAdmins`
 *   (the writer is an API token) neither arm touches an admin's row: the condition is in the statement,
 *   judged on the row it locks.
 */
type WriteMode = 'insert' | 'upsert';

function upsertSql(fields: UpsertField[], mode: WriteMode, protectAdmins: boolean): string {
  const input = `WITH i AS (
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[])
        AS i(email, username, first_name, last_name, is_active, password_hash))`;
  const insert = `INSERT INTO users AS u (email, username, first_name, last_name, is_active, password_hash, source)
    SELECT i.email, COALESCE(i.username, i.email), COALESCE(i.first_name, ''), COALESCE(i.last_name, ''),
           COALESCE(i.is_active, true), i.password_hash, $7
      FROM i`;
  const returning = `RETURNING ${USER_COLUMNS_OF_U}, (u.xmax = 0) AS created`;
  if (mode === 'insert') return `${input} ${insert} ${returning}`;
  if (fields.length === 0) return `${input} ${insert} ON CONFLICT (email) DO NOTHING ${returning}`;
  const columns = fields.map(UPSERT_COLUMN);
  const set = (from: string): string =>
    `${columns.map((c) => `${c} = ${from}.${c}`).join(', ')}, updated_at = now()`;
  // A given password is always written: the service leaves out the ones that already match.
  const differs = (from: string): string =>
    columns
      .map((c) =>
        c === 'password_hash' ? `${from}.password_hash IS NOT NULL` : `u.${c} IS DISTINCT FROM ${from}.${c}`,
      )
      .join(' OR ');
  const allowed = protectAdmins ? 'AND NOT u.is_admin' : '';
  const conflictArm = `ON CONFLICT (email) DO UPDATE SET ${set('EXCLUDED')} WHERE (${differs('EXCLUDED')}) ${allowed}`;
  // `u.email = ANY($1)` has the rows found through the email index: on a table of 100,000 the planner
  // otherwise hashed the whole table to join 1,000 rows.
  return `${input},
    updated AS (
      UPDATE users u SET ${set('i')}
        FROM i
       WHERE u.email = i.email AND u.email = ANY($1::text[]) AND (${differs('i')}) ${allowed}
      RETURNING ${USER_COLUMNS_OF_U}, false AS created),
    inserted AS (
      ${insert}
       WHERE NOT EXISTS (SELECT 1 FROM updated WHERE updated.email = i.email)
      ${conflictArm}
      ${returning})
    SELECT * FROM updated UNION ALL SELECT * FROM inserted`;
}

function upsertParams(rows: UpsertRow[], source: UserSource): unknown[] {
  return [
    rows.map((r) => r.email),
    rows.map((r) => r.username ?? null),
    rows.map((r) => r.firstName ?? null),
    rows.map((r) => r.lastName ?? null),
    rows.map((r) => r.isActive ?? null),
    rows.map((r) => r.passwordHash ?? null),
    source,
  ];
}

// A full name: two or more words of letters and digits, one space between them. Each word at least 3
// characters, so that without the space's edge trigrams every word still gives the index trigrams of its own.
const FULL_NAME = /^[a-z0-9]{3,}(?: [a-z0-9]{3,})+$/;

/** The LIKE pattern (escape character `\`) for search_text containing `term` literally. */
function containing(term: string): string {
  return `%${escapeLike(term)}%`;
}

/**
 * The condition "search_text contains `term`", its parameters numbered from `$first`. A full name
 * ("olivia smith") gives the trigram index its words alone ('%olivia%smith%') and checks the exact text
 * apart: the trigrams a space adds at the words' edges (' sm', '  s') are among the index's longest
 * lists, and leaving them out finds the same candidates sooner.
 * Other terms keep their separators: an email fragment's ('.77', '7@') are its rarest trigrams.
 * The pattern goes in through a sub-select, out of the planner's sight: the caller has chosen the plan
 * already, and planning with it in view tries it on every entry of search_text's histogram
 * (migration SearchPatternOutOfPlanning). LIKE's default escape character is `\`.
 */
function containsTerm(term: string, first: number): { sql: string; params: string[] } {
  if (FULL_NAME.test(term)) {
    return {
      sql: `search_text LIKE (SELECT $${first}::text) AND strpos(search_text, $${first + 1}) > 0`,
      params: [`%${term.replaceAll(' ', '%')}%`, term],
    };
  }
  return { sql: `search_text LIKE (SELECT $${first}::text)`, params: [containing(term)] };
}

/** A write by an API token named admin accounts (their emails); nothing of it was written. */
export class AdminAccountsTargeted extends Error {
  constructor(readonly emails: readonly string[]) {
    super('The write names admin accounts');
    this.name = 'AdminAccountsTargeted';
  }
}

// Small enough that Node's share of a chunk (reading its rows back) hides behind the next chunk's write, large
// enough that each statement's fixed cost (planning, a round of the protocol) stays small beside it.
const UPSERT_CHUNK_ROWS = 1_000;

interface WrittenUser {
  user: User;
  created: boolean;
}

// PostgreSQL error codes: https://www.postgresql.org/docs/current/errcodes-appendix.html
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 3;

/**
 * A deadlock or serialization failure; or, once, a username clash: two concurrent creates of one email
 * both insert `username = email`, and only the email index arbitrates ON CONFLICT, so the second can fail
 * on the username index before it sees the first's row. Written again, the row is there and the conflict
 * arm takes it. Once only: a username that another user really has fails the same way every time.
 */
function worthRetrying(error: unknown, attempt: number): boolean {
  const { code } = pgError(error);
  if (code !== undefined && RETRYABLE.has(code)) return true;
  return attempt === 1 && isUniqueViolation(error, 'users_username_key');
}

@Injectable()
export class UsersRepository {
  private readonly users: Repository<User>;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.users = db.getRepository(User);
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** The account a login names (by email first, else by username), with its stored hash. */
  async findForLogin(identifier: string): Promise<LoginAccount | undefined> {
    const [row] = await queryRows<UserRow & { passwordHash: string | null }>(
      this.db.manager,
      `SELECT ${USER_COLUMNS}, password_hash AS "passwordHash" FROM users WHERE email = $1 OR username = $1
        ORDER BY (email = $1) DESC LIMIT 1`,
      [identifier],
    );
    return row && { user: toUser(row), passwordHash: row.passwordHash };
  }

  /**
   * Records a password login, in the sign-in transaction, if the user is still active and `passwordHash`
   * (the one just verified) is still theirs; the user, or undefined when either changed meanwhile.
   */
  async recordLogin(tx: EntityManager, id: string, passwordHash: string): Promise<User | undefined> {
    const [row] = await queryRows<UserRow>(
      tx,
      `UPDATE users SET last_login_at = now() WHERE id = $1 AND is_active AND password_hash = $2
       RETURNING ${USER_COLUMNS}`,
      [id, passwordHash],
    );
    return row && toUser(row);
  }

  /**
   * Finds (or, with `create`, creates) the users partner tokens name, refreshes the names they bring and
   * records the login, in the landings' transaction: one outcome per identity, in order (their emails are
   * distinct). Refused in the same statement, with nothing written for them: an inactive user, and an admin
   * unless `allowAdmins`. Concurrent first landings of one email make one user (the unique email index,
   * through ON CONFLICT); rows are written in email order, so two concurrent batches lock their common rows
   * in the same order.
   */
  async signInManyFromSso(
    tx: EntityManager,
    identities: readonly SsoIdentity[],
    rules: SsoSignInRules,
  ): Promise<SsoSignIn[]> {
    if (identities.length === 0) return [];
    // The names a landing brings, NULL for none: kept stored then. A new row stores '' for a missing name,
    // and a mapped name is never '', so '' in EXCLUDED means "none given".
    const [first, last] = rules.create
      ? [`NULLIF(EXCLUDED.first_name, '')`, `NULLIF(EXCLUDED.last_name, '')`]
      : ['i.first_name', 'i.last_name'];
    const names = `first_name = COALESCE(${first}, u.first_name), last_name = COALESCE(${last}, u.last_name),
      updated_at = CASE WHEN u.first_name IS DISTINCT FROM COALESCE(${first}, u.first_name)
                          OR u.last_name IS DISTINCT FROM COALESCE(${last}, u.last_name)
                        THEN now() ELSE u.updated_at END,
      last_login_at = now()`;
    const admitted = `u.is_active AND (NOT u.is_admin OR $4)`;
    const input = `unnest($1::text[], $2::text[], $3::text[]) AS i(email, first_name, last_name)`;
    const emails = identities.map((identity) => identity.email);
    const rows = await preparedRows<UserRow & { created: boolean }>(
      tx,
      rules.create
        ? `INSERT INTO users AS u (email, username, first_name, last_name, source, last_login_at)
           SELECT i.email, i.email, COALESCE(i.first_name, ''), COALESCE(i.last_name, ''), 'sso', now()
             FROM ${input} ORDER BY i.email
           ON CONFLICT (email) DO UPDATE SET ${names} WHERE ${admitted}
           RETURNING ${USER_COLUMNS_OF_U}, (u.xmax = 0) AS created`
        : `UPDATE users AS u SET ${names} FROM ${input}
            WHERE u.email = i.email AND ${admitted}
           RETURNING ${USER_COLUMNS_OF_U}, false AS created`,
      [
        emails,
        identities.map((identity) => identity.firstName ?? null),
        identities.map((identity) => identity.lastName ?? null),
        rules.allowAdmins,
      ],
    );
    const signedIn = new Map(rows.map((row) => [row.email, row]));
    const refusedEmails = emails.filter((email) => !signedIn.has(email));
    const refused =
      refusedEmails.length === 0
        ? new Map<string, boolean>()
        : new Map(
            (
              await queryRows<{ email: string; is_active: boolean }>(
                tx,
                `SELECT email, is_active FROM users WHERE email = ANY($1::text[])`,
                [refusedEmails],
              )
            ).map((row) => [row.email, row.is_active]),
          );
    return emails.map((email): SsoSignIn => {
      const row = signedIn.get(email);
      if (row) return { kind: 'signed_in', user: toUser(row), created: row.created };
      const active = refused.get(email);
      if (active === undefined) return { kind: 'unknown' };
      return { kind: active ? 'admin' : 'inactive' };
    });
  }

  /**
   * One page of the users matching `term` (all users for ''), newest first. Two plans, chosen by the
   * caller from the estimated number of matches, because PostgreSQL cannot estimate a `LIKE '%…%'`:
   * - `walk`: follow the newest-first index and keep the matching rows, stopping after one page. Fast when
   *   matches are common; a function pins that plan (see the migration UsersNewestFirstIndex).
   * - `filter`: collect the matches through the trigram index first, then sort them. Fast when they are few.
   *   Having collected them all, it also says how many there are (`total`; undefined on a page past the end),
   *   which spares a second scan of the same index for the count.
   */
  async searchPage(
    term: string,
    limit: number,
    offset: number,
    plan: 'walk' | 'filter',
  ): Promise<{ users: User[]; total?: number }> {
    const page = 'ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2';
    if (!term) {
      const all: UserRow[] = await this.db.query(`SELECT ${USER_COLUMNS} FROM users ${page}`, [
        limit,
        offset,
      ]);
      return { users: all.map(toUser) };
    }
    if (plan === 'walk') {
      const rows: UserRow[] = await this.db.query(
        `SELECT ${USER_COLUMNS} FROM users_newest_matching($3, $1, $2)`,
        [limit, offset, containing(term)],
      );
      return { users: rows.map(toUser) };
    }
    const contains = containsTerm(term, 3);
    const rows: (UserRow & { total: string })[] = await this.db.query(
      `WITH matches AS MATERIALIZED (
         SELECT * FROM users WHERE ${contains.sql})
       SELECT ${USER_COLUMNS}, count(*) OVER () AS total FROM matches ${page}`,
      [limit, offset, ...contains.params],
    );
    return { users: rows.map(toUser), total: rows.length > 0 ? Number(rows[0].total) : undefined };
  }

  /** The exact number of users matching `term`. */
  async countMatches(term: string): Promise<number> {
    const contains = term ? containsTerm(term, 1) : { sql: 'true', params: [] };
    const [{ count }]: { count: string }[] = await this.db.query(
      `SELECT count(*) FROM users WHERE ${contains.sql}`,
      contains.params,
    );
    return Number(count);
  }

  /**
   * About how many users match `term`, and how many users there are: the planner's estimates from the
   * statistics ANALYZE keeps (the function users_search_estimate, migration SearchTextStatistics). No row
   * is read, so its cost does not grow with the table, as a sample's would.
   */
  async estimateMatches(term: string): Promise<{ matches: number; tableRows: number }> {
    const [row]: { matches: number; table_rows: number }[] = await this.db.query(
      `SELECT matches, table_rows FROM users_search_estimate($1)`,
      [containing(term)],
    );
    const tableRows = Math.max(0, Math.round(row.table_rows));
    // Everyone matches no search: the table's size is the answer.
    return { matches: term ? Math.min(tableRows, Math.round(row.matches)) : tableRows, tableRows };
  }

  /**
   * Indexes of the items whose username (given, or the email for a user still to be created) already
   * belongs to a user with another email. Only conflicts come back, so the common case moves no rows.
   */
  async findUsernameConflicts(items: { email: string; username?: string }[]): Promise<number[]> {
    const rows: { index: number }[] = await this.db.query(
      `SELECT i.ord - 1 AS index
         FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS i(email, username, ord)
         JOIN users owner ON owner.username = COALESCE(i.username, i.email) AND owner.email <> i.email
        WHERE i.username IS NOT NULL OR NOT EXISTS (SELECT 1 FROM users me WHERE me.email = i.email)`,
      [items.map((i) => i.email), items.map((i) => i.username ?? null)],
    );
    return rows.map((r) => Number(r.index));
  }

  /** Which of these emails are admin accounts. */
  async adminEmailsAmong(emails: readonly string[]): Promise<string[]> {
    const admins = await this.users.find({
      select: { email: true },
      where: { email: In([...emails]), isAdmin: true },
    });
    return admins.map((admin) => admin.email);
  }

  /** Stored password hashes of these emails (users without a password are left out). */
  async passwordHashesOf(emails: string[]): Promise<Map<string, string>> {
    if (emails.length === 0) return new Map();
    const users = await this.users.find({
      select: { email: true, passwordHash: true },
      where: { email: In(emails), passwordHash: Not(IsNull()) },
    });
    return new Map(users.map((user) => [user.email, user.passwordHash ?? '']));
  }

  /**
   * Upserts all rows in one transaction, one statement (upsertSql) per set of fields the rows name and
   * per chunk of rows (a sync sends the same fields for every user): it writes exactly those fields, so a
   * field left out keeps its stored value, and only rows where one of them differs. The unique email index
   * decides against the latest committed version, so concurrent syncs of one email end in one row, each
   * answered created or updated. Rows go in email order, so two concurrent batches mostly lock their common
   * rows in the same order; a deadlock that still happens is retried (inTransaction).
   *
   * With `protectAdmins`, a row that names an admin's email is not written, and the whole batch is rolled
   * back with `AdminAccountsTargeted` naming them.
   *
   * The statements of all chunks are sent at once (the pool's connections pipeline, see
   * data-source-options): PostgreSQL writes one chunk while Node reads the rows of the one before.
   */
  async upsertMany(rows: UpsertRow[], source: UserSource, protectAdmins: boolean): Promise<UpsertOutcome> {
    const sorted = [...rows].sort((a, b) => (a.email < b.email ? -1 : a.email > b.email ? 1 : 0));
    const byFields = new Map<string, UpsertRow[]>();
    for (const row of sorted) {
      const key = UPSERT_FIELDS.filter((field) => row[field] !== undefined).join(',');
      const group = byFields.get(key);
      if (group) group.push(row);
      else byFields.set(key, [row]);
    }
    // The plain INSERT pays for its probe's extra query only on a batch of a chunk or more; a smaller one
    // (a single user above all) is written as an upsert straight away.
    if (sorted.length < UPSERT_CHUNK_ROWS || (await this.anyExists(sorted.map((r) => r.email)))) {
      return this.writeBatch(sorted, byFields, source, 'upsert', protectAdmins);
    }
    return this.writeBatch(sorted, byFields, source, 'insert', protectAdmins).catch((error: unknown) => {
      // Another request inserted one of these emails since the probe: write the batch again as an upsert.
      if (!isUniqueViolation(error, 'users_email_key')) throw error;
      return this.writeBatch(sorted, byFields, source, 'upsert', protectAdmins);
    });
  }

  private async anyExists(emails: string[]): Promise<boolean> {
    const [{ existing }] = await queryRows<{ existing: boolean }>(
      this.db.manager,
      `SELECT EXISTS (SELECT 1 FROM users WHERE email = ANY($1::text[])) AS existing`,
      [emails],
    );
    return existing;
  }

  private writeBatch(
    sorted: UpsertRow[],
    byFields: Map<string, UpsertRow[]>,
    source: UserSource,
    mode: WriteMode,
    protectAdmins: boolean,
  ): Promise<UpsertOutcome> {
    return this.inTransaction(async (tx) => {
      const statements: Promise<WrittenUser[]>[] = [];
      for (const [key, group] of byFields) {
        const sql = upsertSql(key === '' ? [] : (key.split(',') as UpsertField[]), mode, protectAdmins);
        for (let start = 0; start < group.length; start += UPSERT_CHUNK_ROWS) {
          const chunk = group.slice(start, start + UPSERT_CHUNK_ROWS);
          statements.push(
            tx
              .query<(UserRow & { created: boolean })[]>(sql, upsertParams(chunk, source))
              .then((written) => written.map((row) => ({ user: toUser(row), created: row.created }))),
          );
        }
      }
      const written = (await Promise.all(statements)).flat();
      const createdIds = new Set(written.filter((w) => w.created).map((w) => w.user.id));
      const updatedIds = new Set(written.filter((w) => !w.created).map((w) => w.user.id));
      // The written rows came back from their statements; only the others are read again.
      const writtenEmails = new Set(written.map((w) => w.user.email));
      const unchangedEmails = sorted.map((r) => r.email).filter((email) => !writtenEmails.has(email));
      const unchanged =
        unchangedEmails.length === 0
          ? []
          : await queryRows<UserRow>(tx, `SELECT ${USER_COLUMNS} FROM users WHERE email = ANY($1::text[])`, [
              unchangedEmails,
            ]);
      const admins = protectAdmins ? unchanged.filter((row) => row.isAdmin).map((row) => row.email) : [];
      if (admins.length > 0) throw new AdminAccountsTargeted(admins);
      return { createdIds, updatedIds, users: [...written.map((w) => w.user), ...unchanged.map(toUser)] };
    });
  }

  /**
   * Applies a patch to one user. With `protectAdmins` (the writer is an API token) an admin's row is left
   * alone, judged in the statement on the row it locks.
   */
  async update(id: string, patch: UserPatch, protectAdmins: boolean): Promise<PatchOutcome> {
    const [row] = await queryRows<UserRow>(
      this.db.manager,
      `UPDATE users SET
          -- a username that was just the email follows the email when only the email changes
          username      = COALESCE($3, CASE WHEN username = email AND $2::text IS NOT NULL THEN $2 ELSE username END),
          email         = COALESCE($2, email),
          first_name    = COALESCE($4, first_name),
          last_name     = COALESCE($5, last_name),
          is_active     = COALESCE($6, is_active),
          password_hash = COALESCE($7, password_hash),
          updated_at    = now()
        WHERE id = $1 AND NOT (is_admin AND $8)
        RETURNING ${USER_COLUMNS}`,
      [
        id,
        patch.email ?? null,
        patch.username ?? null,
        patch.firstName ?? null,
        patch.lastName ?? null,
        patch.isActive ?? null,
        patch.passwordHash ?? null,
        protectAdmins,
      ],
    );
    if (row) return { kind: 'updated', user: toUser(row) };
    return (await this.findById(id)) ? { kind: 'admin' } : { kind: 'not_found' };
  }

  /** Creates or updates an admin (local, active, admin, with this password hash): `cli admin:create`. */
  async upsertAdmin(email: string, passwordHash: string | undefined): Promise<void> {
    await this.db.query(
      `INSERT INTO users (email, username, is_admin, is_active, source, password_hash)
       VALUES ($1, $1, true, true, 'local', $2)
       ON CONFLICT (email) DO UPDATE
         SET is_admin = true, is_active = true,
             password_hash = COALESCE(EXCLUDED.password_hash, users.password_hash), updated_at = now()
       WHERE users.is_admin IS DISTINCT FROM true OR users.is_active IS DISTINCT FROM true
          OR EXCLUDED.password_hash IS NOT NULL`,
      [email, passwordHash ?? null],
    );
  }

  /**
   * Creates the bootstrap admin unless an account has this email: true when this call created it. Never
   * touches an existing row, and concurrent starts create one (ON CONFLICT DO NOTHING, no prior SELECT).
   */
  async insertAdminIfAbsent(email: string, passwordHash: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO users (email, username, is_admin, is_active, source, password_hash)
       VALUES ($1, $1, true, true, 'local', $2)
       ON CONFLICT (email) DO NOTHING
       RETURNING id`,
      [email, passwordHash],
    );
    return rows.length === 1;
  }

  async statusByEmail(email: string): Promise<{ isActive: boolean; isAdmin: boolean } | undefined> {
    const user = await this.users.findOne({ select: { isActive: true, isAdmin: true }, where: { email } });
    return user ? { isActive: user.isActive, isAdmin: user.isAdmin } : undefined;
  }

  hasAdmin(): Promise<boolean> {
    return this.users.existsBy({ isAdmin: true, isActive: true });
  }

  async passwordHashOf(email: string): Promise<string | null> {
    const user = await this.users.findOne({ select: { passwordHash: true }, where: { email } });
    return user?.passwordHash ?? null;
  }

  private async inTransaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(work);
      } catch (error) {
        if (attempt >= MAX_ATTEMPTS || !worthRetrying(error, attempt)) throw error;
      }
    }
  }
}
