import {
  bearer,
  newPerson,
  type Person,
  PASSWORD,
  signIn,
  snapshot,
  uniqueEmail,
} from '../support/actors.js';
import { expectError } from '../support/errors.js';
import { startServer, type TestServer, WRITE_TOKEN } from '../support/server.js';

/**
 * Contract §6: an API token never creates, changes or deactivates an admin account; such an item is 403
 * `forbidden` naming its index, and nothing of the request is written. Admins manage admins. (The review
 * found that a `users:write` token could set an admin's password through the sync and sign in as them.)
 */
let t: TestServer;
let admin: Person;
let otherAdmin: Person;

beforeAll(async () => {
  t = await startServer();
  admin = await newPerson(t, { admin: true });
  otherAdmin = await newPerson(t, { admin: true });
});

afterAll(async () => {
  await t?.stop();
});

const TAKEOVER_PASSWORD = 'the attacker chose this one';

describe('an API token with users:write against admin accounts', () => {
  it.each<
    [string, () => Promise<{ status: number; body: any; text: string; headers: Headers }>, number | undefined]
  >([
    [
      "POST /api/users: a new password for the admin's email",
      () =>
        t.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: { email: admin.email, password: TAKEOVER_PASSWORD },
        }),
      undefined,
    ],
    [
      "POST /api/users: the admin's email, nothing else (no change either)",
      () => t.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: { email: admin.email } }),
      undefined,
    ],
    [
      'POST /api/users: deactivating the admin',
      () =>
        t.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: { email: admin.email, is_active: false },
        }),
      undefined,
    ],
    [
      'POST /api/users: an array with one new user and the admin (index 1)',
      () =>
        t.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: [{ email: uniqueEmail('bulk.example') }, { email: admin.email, password: TAKEOVER_PASSWORD }],
        }),
      1,
    ],
    [
      'POST /api/users: 2,500 users with the admin last (its chunk is not the first)',
      () =>
        t.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: [
            ...Array.from({ length: 2_499 }, (_, i) => ({ email: `bulk-${i}-${Date.now()}@chunks.example` })),
            { email: admin.email, first_name: 'Owned' },
          ],
        }),
      2_499,
    ],
  ])(
    '%s → 403 naming it, nothing written, the admin still signs in with their own password',
    async (_, send, index) => {
      const before = await snapshot(t.db);
      const res = await send();
      expectError(res, 403, 'forbidden');
      expect(res.body.errors).toEqual([
        { ...(index === undefined ? {} : { index }), field: 'email', reason: 'is an administrator account' },
      ]);
      expect(await snapshot(t.db)).toEqual(before);
      expect(
        (await t.request('POST', '/token', { body: { username: admin.email, password: TAKEOVER_PASSWORD } }))
          .status,
      ).toBe(401);
      await signIn(t, admin.email, admin.password);
    },
  );

  it('PATCH /api/users/:admin (email, password, deactivation) → 403, nothing written', async () => {
    for (const body of [
      { email: uniqueEmail() },
      { password: TAKEOVER_PASSWORD },
      { is_active: false },
      { first_name: 'x' },
    ]) {
      const before = await snapshot(t.db);
      const res = await t.request('PATCH', `/api/users/${admin.id}`, { apiToken: WRITE_TOKEN, body });
      expectError(res, 403, 'forbidden');
      expect({ body, same: await snapshot(t.db) }).toEqual({ body, same: before });
    }
  });

  it('DELETE /api/users/:admin → 403, every admin still active and signed in', async () => {
    const before = await snapshot(t.db);
    for (const target of [admin, otherAdmin]) {
      expectError(
        await t.request('DELETE', `/api/users/${target.id}`, { apiToken: WRITE_TOKEN }),
        403,
        'forbidden',
      );
    }
    expect(await snapshot(t.db)).toEqual(before);
    for (const target of [admin, otherAdmin]) {
      expect((await t.request('GET', '/api/me', { headers: bearer(target.accessToken) })).status).toBe(200);
    }
  });

  it('an unknown id is still 404, and a non-admin user is still changed by the token', async () => {
    expectError(
      await t.request('PATCH', '/api/users/00000000-0000-4000-8000-000000000000', {
        apiToken: WRITE_TOKEN,
        body: { first_name: 'x' },
      }),
      404,
      'not_found',
    );
    const user = await newPerson(t);
    const res = await t.request('PATCH', `/api/users/${user.id}`, {
      apiToken: WRITE_TOKEN,
      body: { first_name: 'Changed' },
    });
    expect(res.status).toBe(200);
    expect(res.body.first_name).toBe('Changed');
  });
});

describe('admins manage admins', () => {
  it("an admin's access token changes another admin (sync, PATCH, DELETE)", async () => {
    const target = await newPerson(t, { admin: true });
    const as = bearer(admin.accessToken);
    const synced = await t.request('POST', '/api/users', {
      headers: as,
      body: { email: target.email, first_name: 'Synced' },
    });
    expect({ status: synced.status, first: synced.body.first_name }).toEqual({
      status: 200,
      first: 'Synced',
    });
    const patched = await t.request('PATCH', `/api/users/${target.id}`, {
      headers: as,
      body: { last_name: 'Patched' },
    });
    expect({ status: patched.status, last: patched.body.last_name }).toEqual({
      status: 200,
      last: 'Patched',
    });
    expect((await t.request('DELETE', `/api/users/${target.id}`, { headers: as })).status).toBe(204);
    const { rows } = await t.db.query('SELECT is_active FROM users WHERE id = $1', [target.id]);
    expect(rows).toEqual([{ is_active: false }]);
  });
});

describe('race: a promotion to admin and a token write of the same user', () => {
  it('50 trials: whenever the token wrote, the user was not an admin at that moment (the write is ordered before the promotion)', async () => {
    const violations: string[] = [];
    for (let trial = 0; trial < 50; trial++) {
      const user = await newPerson(t);
      const [write] = await Promise.all([
        t.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: { email: user.email, password: `${PASSWORD} ${trial}` },
        }),
        t.db.query('UPDATE users SET is_admin = true WHERE id = $1', [user.id]),
      ]);
      // The token's write either committed before the promotion (200, and the new password works only if
      // it did) or came after it and was refused (403, the old password still the one).
      const oldWorks =
        (await t.request('POST', '/token', { body: { username: user.email, password: PASSWORD } })).status ===
        200;
      const newWorks =
        (
          await t.request('POST', '/token', {
            body: { username: user.email, password: `${PASSWORD} ${trial}` },
          })
        ).status === 200;
      const expected =
        write.status === 200 ? { oldWorks: false, newWorks: true } : { oldWorks: true, newWorks: false };
      if (
        ![200, 403].includes(write.status) ||
        oldWorks !== expected.oldWorks ||
        newWorks !== expected.newWorks
      ) {
        violations.push(`trial ${trial}: ${write.status}, old ${oldWorks}, new ${newWorks}`);
      }
      // The probing sign-ins fail once per trial: keep the per-address limit out of the way.
      await t.db.query('DELETE FROM login_throttle');
    }
    expect(violations).toEqual([]);
  });
});
