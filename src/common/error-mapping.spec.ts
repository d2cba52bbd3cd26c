import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { mapError, isDatabaseUnavailable } from './error-mapping.js';
import { DomainError, ValidationError } from './errors.js';

describe('mapError', () => {
  it('keeps the code, message, problems and headers of a domain error', () => {
    const mapped = mapError(
      new DomainError('invalid_token', 'Nope', undefined, { 'WWW-Authenticate': 'Bearer' }),
    );
    expect(mapped).toEqual({
      status: 401,
      body: { statusCode: 401, error: 'Unauthorized', code: 'invalid_token', message: 'Nope' },
      headers: { 'WWW-Authenticate': 'Bearer' },
      unexpected: false,
    });
    const invalid = mapError(
      new ValidationError([{ index: 2, field: 'email', reason: 'must be an email address' }]),
    );
    expect(invalid.body).toMatchObject({
      statusCode: 400,
      code: 'validation_failed',
      errors: [{ index: 2, field: 'email', reason: 'must be an email address' }],
    });
  });

  it('answers an unknown error with a generic 500 and nothing of its message', () => {
    const error = Object.assign(new Error('relation "users" does not exist at SELECT * FROM users'), {
      code: '42P01',
    });
    const mapped = mapError(error);
    expect(mapped.status).toBe(500);
    expect(mapped.unexpected).toBe(true);
    expect(mapped.body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      code: 'internal_error',
      message: 'Internal server error',
    });
    expect(JSON.stringify(mapped.body)).not.toMatch(/SELECT|relation/);
  });

  it('maps Fastify request errors that Nest wrapped, by their original code', () => {
    const cause = Object.assign(new Error('Body is not valid JSON'), {
      code: 'FST_ERR_CTP_INVALID_JSON_BODY',
      statusCode: 400,
    });
    const wrapped = new HttpException('Body is not valid JSON', 400, { cause });
    expect(mapError(wrapped).body).toMatchObject({ statusCode: 400, code: 'invalid_json' });
    const tooLarge = Object.assign(new Error('too large'), {
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });
    expect(mapError(new HttpException('x', 413, { cause: tooLarge })).body).toMatchObject({
      code: 'payload_too_large',
    });
  });

  it('maps a data exception from PostgreSQL (NUL in text) to a 400, never echoing it', () => {
    const nul = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
    });
    const mapped = mapError(nul);
    expect(mapped).toMatchObject({ status: 400, unexpected: false, body: { code: 'validation_failed' } });
    expect(JSON.stringify(mapped.body)).not.toMatch(/UTF8|0x00/);
    // TypeORM wraps the driver's error
    expect(mapError({ driverError: { code: '22P02' } }).status).toBe(400);
  });

  it.each([
    ['23514', 'check', 400, 'validation_failed'],
    ['23502', 'not-null', 400, 'validation_failed'],
    ['23505', 'unique', 409, 'conflict'],
    ['23503', 'foreign-key', 409, 'conflict'],
    ['23P01', 'exclusion', 409, 'conflict'],
    ['23001', 'restrict', 409, 'conflict'],
  ])(
    'maps a %s (%s) violation to %d %s, never echoing SQL, constraint or value',
    (sqlstate, _k, status, code) => {
      // What pg reports, as TypeORM wraps it: the message and detail carry the constraint and the row.
      const driverError = Object.assign(
        new Error('new row for relation "users" violates check constraint "users_username_check"'),
        {
          code: sqlstate,
          constraint: 'users_username_check',
          detail: 'Failing row contains (ﷺ secret-value@example.com).',
          table: 'users',
        },
      );
      const wrapped = Object.assign(new Error(driverError.message), {
        name: 'QueryFailedError',
        query: 'INSERT INTO users (email) VALUES ($1)',
        parameters: ['secret-value@example.com'],
        driverError,
      });
      for (const error of [driverError, wrapped]) {
        const mapped = mapError(error);
        expect(mapped).toMatchObject({ status, unexpected: false, body: { statusCode: status, code } });
        expect(Object.keys(mapped.body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
        expect(JSON.stringify(mapped.body)).not.toMatch(/users|constraint|violates|secret-value|INSERT|ﷺ/);
        // The operator still hears of it, by SQLSTATE and constraint name, without the value.
        expect(mapped.warning).toEqual({
          msg: 'A database constraint refused the request',
          sqlstate,
          constraint: 'users_username_check',
        });
        expect(JSON.stringify(mapped.warning)).not.toContain('secret-value');
      }
    },
  );

  it('leaves errors outside class 23 and 22 alone: a syntax error is still a 500', () => {
    expect(mapError(Object.assign(new Error('syntax error'), { code: '42601' })).status).toBe(500);
    expect(mapError(Object.assign(new Error('x'), { code: '2350' })).status).toBe(500);
  });

  it.each([
    ['FST_ERR_BAD_URL', "'/api/users/%E0' is not a valid url component"],
    ['FST_ERR_MAX_PARAM_LENGTH', "'/api/users/1111' is exceeding the max param length"],
  ])('maps the router refusal %s to a 400 that does not echo the URL', (code, message) => {
    const mapped = mapError(Object.assign(new Error(message), { code, statusCode: 400 }));
    expect(mapped).toMatchObject({ status: 400, unexpected: false, body: { code: 'validation_failed' } });
    expect(mapped.body.message).not.toContain('/api/users');
  });

  it('counts a query runner released under a transaction (PostgreSQL died mid-way) as unavailable', () => {
    for (const name of ['QueryRunnerAlreadyReleasedError', 'QueryRunnerProviderAlreadyReleasedError']) {
      const error = Object.assign(new Error('Query runner already released'), { name });
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(mapError(error)).toMatchObject({ status: 503, body: { code: 'database_unavailable' } });
    }
  });

  it('finds a domain error that Nest wrapped (thrown in a Fastify hook or parser)', () => {
    const cause = new DomainError('invalid_json', 'too deep');
    expect(mapError(new HttpException('x', 400, { cause })).body).toMatchObject({ code: 'invalid_json' });
  });

  it('maps Nest HTTP exceptions to codes', () => {
    expect(mapError(new NotFoundException()).body.code).toBe('not_found');
    expect(mapError(new BadRequestException('Validation failed (uuid is expected)')).body).toMatchObject({
      code: 'validation_failed',
      message: 'Validation failed (uuid is expected)',
    });
  });

  it('answers 503 with Retry-After when the database is unreachable', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(mapError(refused)).toMatchObject({
      status: 503,
      headers: { 'Retry-After': '5' },
      unexpected: false,
    });
    expect(mapError(new Error('Connection terminated unexpectedly')).body.code).toBe('database_unavailable');
    expect(
      mapError(Object.assign(new Error('the database system is shutting down'), { code: '57P03' })).status,
    ).toBe(503);
  });
});

describe('isDatabaseUnavailable', () => {
  it('follows TypeORM-style causes and ignores ordinary query errors', () => {
    const inner = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
    });
    expect(isDatabaseUnavailable(new Error('Query failed', { cause: inner }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable('a string')).toBe(false);
  });
});
