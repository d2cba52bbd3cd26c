import { Injectable } from '@nestjs/common';
import { PasswordHasher } from '../auth/passwords/password-hasher.js';
import { DomainError, type FieldProblem, ValidationError } from '../common/errors.js';
import { isUniqueViolation } from '../database/pg-error.js';
import { rethrowUniqueViolation } from './unique-violation.js';
import { PatchUserDto } from './dto/sync-user.dto.js';
import {
  emailProblem,
  normaliseEmail,
  normaliseIdentifier,
  normaliseUsername,
  usernameProblem,
} from './normalise.js';
import { UserChanges } from './user-changes.js';
import { type SyncInput, type SyncItem } from './sync-input.js';
import { User, type UserSource } from './user.entity.js';
import {
  AdminAccountsTargeted,
  type PatchOutcome,
  type UpsertRow,
  UsersRepository,
} from './users.repository.js';

/** Who writes: an administrator (signed in) or an automation's API token, which never touches admins. */
export type Writer = 'admin' | 'api_token';

export type SyncStatus = 'created' | 'updated' | 'unchanged';

/** What BOOTSTRAP_ADMIN_* found: the admin created now, or an account (as it stands) left alone. */
export type AdminBootstrap =
  { email: string; created: true } | { email: string; created: false; isActive?: boolean; isAdmin?: boolean };

export interface SyncResult {
  created: number;
  updated: number;
  unchanged: number;
  /** In the order of the request's items. */
  users: { user: User; status: SyncStatus }[];
}

export interface UserPage {
  count: number;
  /** True when `count` is an estimate (a large result on a large table); false when exact. */
  estimated: boolean;
  users: User[];
}

// Below these, counting exactly is cheap enough; above both, the planner's estimate stands in for the count
// (as PostgREST's count=estimated does): an exact count of tens of thousands of matches costs more than
// the whole rest of the request.
const EXACT_COUNT_TABLE_ROWS = 100_000;
const EXACT_COUNT_MATCHES = 10_000;
// From this share of the table matching on, walking the newest-first index finds a page sooner than
// collecting every match through the trigram index and sorting them: the walk stops after a page, the
// collection grows with the matches (EXPLAIN ANALYZE on a million users; docs/architecture.md).
const WALK_FROM_SHARE = 0.005;

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly changes: UserChanges,
  ) {}

  /**
   * The idempotent upsert behind `POST /api/users`, for one item or thousands. An API token never
   * creates, changes or deactivates an admin account (contract §6): such an item is refused by index,
   * and nothing of the request is written.
   */
  async sync(input: SyncInput, writer: Writer): Promise<SyncResult> {
    const { items } = input;
    if (writer === 'api_token') {
      // Refused before any password is looked at: verifying a given password against an admin's hash first
      // would answer the same 403 a hash sooner for the right one, an unthrottled oracle. The statements
      // below refuse admins again, for a promotion made in between.
      const admins = await this.users.adminEmailsAmong(items.map((item) => item.email));
      if (admins.length > 0) throw adminsRefused(admins, items, input.bulk);
    }
    const rows = await this.withPasswordHashes(items);
    const source: UserSource = writer === 'api_token' ? 'sync' : 'local';
    // Taken usernames are looked for only once the upsert has hit one (and rolled back): a lookup of
    // every item's username before each upsert would tax every sync for a conflict that is rare.
    const outcome = await this.users
      .upsertMany(rows, source, writer === 'api_token')
      .catch(async (error: unknown) => {
        if (error instanceof AdminAccountsTargeted) throw adminsRefused(error.emails, items, input.bulk);
        if (isUniqueViolation(error, 'users_username_key')) {
          const taken = await this.users.findUsernameConflicts(items);
          if (taken.length > 0) {
            throw new ValidationError(
              taken.map((index) => ({
                ...(input.bulk ? { index } : {}),
                field: 'username',
                reason: 'already taken by another user',
              })),
            );
          }
        }
        return rethrowUniqueViolation(error);
      });
    this.changes.changed([...outcome.updatedIds]);
    const byEmail = new Map(outcome.users.map((u) => [u.email, u]));
    const results = items.map((item) => {
      const user = byEmail.get(item.email);
      if (!user) throw new Error(`upsert returned no row for an item`);
      const status: SyncStatus = outcome.createdIds.has(user.id)
        ? 'created'
        : outcome.updatedIds.has(user.id)
          ? 'updated'
          : 'unchanged';
      return { user, status };
    });
    return {
      created: outcome.createdIds.size,
      updated: outcome.updatedIds.size,
      unchanged: items.length - outcome.createdIds.size - outcome.updatedIds.size,
      users: results,
    };
  }

  async list(search: string | undefined, page: number, pageSize: number): Promise<UserPage> {
    const term = normaliseIdentifier(search ?? '');
    // The planner's estimate of the matches picks the page's plan and whether to count exactly.
    const estimate = await this.users.estimateMatches(term);
    const plan = estimate.matches >= WALK_FROM_SHARE * estimate.tableRows ? 'walk' : 'filter';
    const exact = estimate.tableRows < EXACT_COUNT_TABLE_ROWS || estimate.matches < EXACT_COUNT_MATCHES;
    const offset = (page - 1) * pageSize;
    if (plan === 'filter') {
      // The filter plan collects every match, so its count is exact and comes with the page.
      const { users, total } = await this.users.searchPage(term, pageSize, offset, plan);
      return { users, count: total ?? (await this.users.countMatches(term)), estimated: false };
    }
    const [{ users }, count] = await Promise.all([
      this.users.searchPage(term, pageSize, offset, plan),
      exact ? this.users.countMatches(term) : Promise.resolve(estimate.matches),
    ]);
    return { users, count, estimated: !exact };
  }

  async get(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new DomainError('not_found', 'No user with this id');
    return user;
  }

  async update(id: string, patch: PatchUserDto, writer: Writer): Promise<User> {
    const email = patch.email === undefined ? undefined : normaliseEmail(patch.email);
    const problems: FieldProblem[] = [];
    const badEmail = email === undefined ? undefined : emailProblem(email);
    if (badEmail) problems.push({ field: 'email', reason: badEmail });
    const username = patch.username === undefined ? undefined : normaliseUsername(patch.username);
    const badUsername = username === undefined ? undefined : usernameProblem(username);
    if (badUsername) problems.push({ field: 'username', reason: badUsername });
    if (problems.length > 0) throw new ValidationError(problems);
    const outcome = await this.users
      .update(
        id,
        {
          email,
          username,
          firstName: patch.first_name?.trim(),
          lastName: patch.last_name?.trim(),
          isActive: patch.is_active,
          passwordHash: patch.password === undefined ? undefined : await this.hasher.hash(patch.password),
        },
        writer === 'api_token',
      )
      .catch(rethrowUniqueViolation);
    return this.patched(id, outcome);
  }

  /** Deactivation, not deletion: the row stays for audit; its sessions end (contract §3). */
  async deactivate(id: string, writer: Writer): Promise<User> {
    return this.patched(id, await this.users.update(id, { isActive: false }, writer === 'api_token'));
  }

  private patched(id: string, outcome: PatchOutcome): User {
    switch (outcome.kind) {
      case 'not_found':
        throw new DomainError('not_found', 'No user with this id');
      case 'admin':
        throw new DomainError(
          'forbidden',
          'API tokens cannot change administrator accounts; an administrator can',
        );
      case 'updated':
        this.changes.changed([id]);
        return outcome.user;
    }
  }

  hasAdmin(): Promise<boolean> {
    return this.users.hasAdmin();
  }

  /**
   * BOOTSTRAP_ADMIN_*: creates this admin when no account has the email. An existing account is left as
   * it is, whatever it became since: an operator who deactivated or demoted it, or changed its password,
   * must not see the next deploy undo that. (`cli admin:create`, an explicit act, is `ensureAdmin`.)
   */
  async createAdminIfAbsent(rawEmail: string, password: string): Promise<AdminBootstrap> {
    const email = adminEmail(rawEmail);
    // Looked up first only to spare every restart an argon2 hash; the INSERT alone decides.
    const existing = await this.users.statusByEmail(email);
    if (existing) return { email, created: false, ...existing };
    if (await this.users.insertAdminIfAbsent(email, await this.hasher.hash(password))) {
      return { email, created: true };
    }
    // Another instance created it between our two statements.
    return { email, created: false, ...(await this.users.statusByEmail(email)) };
  }

  /** `cli admin:create`: creates or updates (re-activates, promotes) the admin; re-hashes only a new password. */
  async ensureAdmin(rawEmail: string, password: string): Promise<void> {
    const email = adminEmail(rawEmail);
    const stored = await this.users.passwordHashOf(email);
    const unchanged = stored !== null && (await this.hasher.verify(stored, password));
    await this.users.upsertAdmin(email, unchanged ? undefined : await this.hasher.hash(password));
  }

  /**
   * Hashes the passwords of the request in parallel on the thread pool. A password that already
   * matches the stored hash is left alone, so that re-sending the same payload changes nothing.
   */
  private async withPasswordHashes(items: SyncItem[]): Promise<UpsertRow[]> {
    const withPassword = items.filter((i) => i.password !== undefined);
    // Most syncs carry no password: their items are the rows as they are, with no promise and no copy each.
    if (withPassword.length === 0) return items;
    const storedHash = await this.users.passwordHashesOf(withPassword.map((i) => i.email));
    return Promise.all(
      items.map(async ({ password, ...row }): Promise<UpsertRow> => {
        if (password === undefined) return row;
        const stored = storedHash.get(row.email);
        if (stored && (await this.hasher.verify(stored, password))) return row;
        return { ...row, passwordHash: await this.hasher.hash(password) };
      }),
    );
  }
}

/** 403 naming each item that targets an admin account (by index in a bulk request). */
function adminsRefused(emails: readonly string[], items: readonly SyncItem[], bulk: boolean): DomainError {
  const admins = new Set(emails);
  const problems: FieldProblem[] = [];
  items.forEach((item, index) => {
    if (admins.has(item.email)) {
      problems.push({ ...(bulk ? { index } : {}), field: 'email', reason: 'is an administrator account' });
    }
  });
  return new DomainError(
    'forbidden',
    'API tokens cannot create, change or deactivate administrator accounts; nothing was written',
    problems,
  );
}

function adminEmail(rawEmail: string): string {
  const email = normaliseEmail(rawEmail);
  const problem = emailProblem(email);
  if (problem) throw new Error(`BOOTSTRAP_ADMIN_EMAIL: ${problem}`);
  return email;
}
