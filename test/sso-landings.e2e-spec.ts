import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../src/config/app-config.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { runMigrations } from '../src/database/migrate.js';
import {
  type Landing,
  type LandingOutcome,
  SsoLandingRepository,
} from '../src/sso/sso-landing.repository.js';
import { createTestDatabase } from './support/test-db.js';

// The batched SSO landing statement on a real PostgreSQL. Landings submitted in one tick go as: the first
// alone, the second alone (two batches in flight), then the others together (no two sharing a key) — so
// every outcome below is decided inside a batch of mixed landings, and each must land on its own user.
let db: DataSource;

const ISSUER = 'https://partner.example';
const later = new Date(Date.now() + 10 * 60_000);

function landing(email: string, opts: { names?: boolean; jti?: string | null } = {}): Landing {
  const issuedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
  const jti = opts.jti === undefined ? randomUUID() : opts.jti;
  return {
    identity: {
      email,
      ...(opts.names === false ? {} : { firstName: `First of ${email}`, lastName: 'Last' }),
    },
    ...(jti === null ? {} : { claim: { issuer: ISSUER, jti, expiresAt: later } }),
    session: {
      id: randomUUID(),
      accessJti: randomUUID(),
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + 86_400_000),
    },
  };
}

function repository(autoCreateUsers: boolean): SsoLandingRepository {
  return new SsoLandingRepository(db, { sso: { autoCreateUsers } } as unknown as AppConfig);
}

/** Two landings to fill the batches in flight, then `landings` together; the outcomes of the latter. */
async function landTogether(
  repo: SsoLandingRepository,
  landings: Landing[],
): Promise<(LandingOutcome | Error)[]> {
  const fillers = [landing(`filler-${randomUUID()}@x.example`), landing(`filler-${randomUUID()}@x.example`)];
  const all = [...fillers, ...landings].map((l) => repo.land(l).catch((error: Error) => error));
  return (await Promise.all(all)).slice(fillers.length);
}

async function userOf(email: string) {
  const rows: Record<string, unknown>[] = await db.query('SELECT * FROM users WHERE email = $1', [email]);
  return rows[0];
}

async function sessionOf(l: Landing) {
  const rows: Record<string, unknown>[] = await db.query('SELECT * FROM refresh_tokens WHERE id = $1', [
    l.session.id,
  ]);
  return rows[0];
}

async function spent(l: Landing): Promise<boolean> {
  const rows: unknown[] = await db.query('SELECT 1 FROM sso_replay WHERE issuer = $1 AND jti = $2', [
    ISSUER,
    l.claim?.jti,
  ]);
  return rows.length === 1;
}

beforeAll(async () => {
  const url = await createTestDatabase();
  await runMigrations(url, { log: () => undefined } as never);
  db = new DataSource(dataSourceOptions(url));
  await db.initialize();
  await db.query(
    `INSERT INTO users (email, username, first_name, last_name, source, is_active) VALUES
       ('back@partner.example', 'back@partner.example', 'Old', 'Name', 'sso', true),
       ('keeps@partner.example', 'keeps@partner.example', 'Kept', 'Names', 'sso', true),
       ('asleep@partner.example', 'asleep@partner.example', 'A', 'S', 'sso', false),
       ('owner@corp.example', 'taken@partner.example', 'O', 'W', 'local', true)`,
  );
});

afterAll(async () => {
  await db?.destroy();
});

describe('SSO landings written together (auto-create on)', () => {
  it('each landing of a mixed batch gets its own outcome, user and session', async () => {
    const used = landing('new-replayed@partner.example');
    expect(await repository(true).land(used)).toMatchObject({ kind: 'signed_in', created: true });
    const replay = { ...landing('new-replayed@partner.example'), claim: used.claim };

    const fresh = landing('fresh@partner.example');
    const back = landing('back@partner.example');
    const keeps = landing('keeps@partner.example', { names: false });
    const asleep = landing('asleep@partner.example');
    const noJti = landing('nojti@partner.example', { jti: null });
    const outcomes = await landTogether(repository(true), [fresh, back, keeps, asleep, replay, noJti]);

    expect(outcomes.map((o) => (o instanceof Error ? o.message : o.kind))).toEqual([
      'signed_in',
      'signed_in',
      'signed_in',
      'inactive',
      'replayed',
      'signed_in',
    ]);
    const [freshOut, backOut, keepsOut, , , noJtiOut] = outcomes as Extract<
      LandingOutcome,
      { kind: 'signed_in' }
    >[];
    expect([freshOut.created, backOut.created, keepsOut.created, noJtiOut.created]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    // Each answer names its own landing's user, and each session row belongs to that user.
    for (const [l, out] of [
      [fresh, freshOut],
      [back, backOut],
      [keeps, keepsOut],
      [noJti, noJtiOut],
    ] as const) {
      const user = await userOf(l.identity.email);
      expect(out.user.id).toBe(user.id);
      expect(out.user.email).toBe(l.identity.email);
      expect(user.last_login_at).not.toBeNull();
      expect(await sessionOf(l)).toMatchObject({
        user_id: user.id,
        family_id: l.session.id,
        access_jti: l.session.accessJti,
        sign_in_method: 'sso',
      });
    }
    expect(await userOf('fresh@partner.example')).toMatchObject({
      source: 'sso',
      username: 'fresh@partner.example',
      first_name: 'First of fresh@partner.example',
    });
    expect(await userOf('back@partner.example')).toMatchObject({
      first_name: 'First of back@partner.example',
    });
    // A landing without names keeps the stored ones.
    expect(await userOf('keeps@partner.example')).toMatchObject({ first_name: 'Kept', last_name: 'Names' });
    // Refused landings wrote nothing: the inactive user's token stays unspent, neither has a session.
    expect(await spent(asleep)).toBe(false);
    expect(await sessionOf(asleep)).toBeUndefined();
    expect(await sessionOf(replay)).toBeUndefined();
    expect(await userOf('asleep@partner.example')).toMatchObject({ is_active: false, last_login_at: null });
    expect(await spent(fresh)).toBe(true);
  });

  it('a landing whose username is taken fails alone; the others of its batch sign in', async () => {
    const taken = landing('taken@partner.example');
    const fine = [landing('fine1@partner.example'), landing('fine2@partner.example')];
    const outcomes = await landTogether(repository(true), [fine[0], taken, fine[1]]);

    expect(outcomes[1]).toMatchObject({ code: '23505', constraint: 'users_username_key' });
    expect(outcomes[0]).toMatchObject({ kind: 'signed_in', created: true });
    expect(outcomes[2]).toMatchObject({ kind: 'signed_in', created: true });
    expect(await userOf('taken@partner.example')).toBeUndefined();
    expect(await spent(taken)).toBe(false);
    expect(await sessionOf(taken)).toBeUndefined();
    for (const l of fine)
      expect(await sessionOf(l)).toMatchObject({ user_id: (await userOf(l.identity.email)).id });
  });

  it('two landings of one email, or of one jti, never share a statement: one user, one spend', async () => {
    const a = landing('twice@partner.example');
    const b = landing('twice@partner.example');
    const replay = { ...landing('twice-jti@partner.example'), claim: a.claim };
    const [ofA, ofB, ofReplay] = (await landTogether(repository(true), [a, b, replay])).map((o) =>
      o instanceof Error ? o.message : o.kind,
    );

    // a goes alone (b shares its email, the replay its jti); b and the replay may then share the next
    // batch, which can run beside a's. So either a or the replay spends the jti — exactly one of them.
    expect(ofB).toBe('signed_in');
    expect([ofA, ofReplay].sort()).toEqual(['replayed', 'signed_in']);
    const rows: unknown[] = await db.query(`SELECT 1 FROM users WHERE email = 'twice@partner.example'`);
    expect(rows).toHaveLength(1);
    expect(Boolean(await userOf('twice-jti@partner.example'))).toBe(ofReplay === 'signed_in');
    expect(Boolean(await sessionOf(replay))).toBe(ofReplay === 'signed_in');
    expect(Boolean(await sessionOf(a))).toBe(ofA === 'signed_in');
  });
});

describe('SSO landings written together (auto-create off)', () => {
  it('known users sign in, unknown and inactive ones are refused, in one batch', async () => {
    const back = landing('back@partner.example', { names: false });
    const stranger = landing('stranger@partner.example');
    const asleep = landing('asleep@partner.example');
    const outcomes = await landTogether(repository(false), [back, stranger, asleep]);

    expect(outcomes.map((o) => (o instanceof Error ? o.message : o.kind))).toEqual([
      'signed_in',
      'unknown',
      'inactive',
    ]);
    expect(await userOf('stranger@partner.example')).toBeUndefined();
    expect(await spent(stranger)).toBe(false);
    expect(await sessionOf(back)).toMatchObject({ user_id: (await userOf('back@partner.example')).id });
    expect(await userOf('back@partner.example')).toMatchObject({
      first_name: 'First of back@partner.example',
    });
  });
});
