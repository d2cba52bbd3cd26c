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
