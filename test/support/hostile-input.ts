import fc from 'fast-check';
import { encodeSegment } from './bad-input.js';

/**
 * Generated hostile input for the property tests of test/attacks: JSON bodies written out by hand (so that
 * they can hold duplicate keys, an own `__proto__` and number tokens JSON.stringify cannot produce), query
 * strings and path segments. Biased towards the field names the routes know.
 */

/** Strings that broke, or could break, validation or the database. */
export const HOSTILE_STRINGS = [
  '',
  ' ',
  '   ',
  '\t',
  '\u3000',
  '\u00a0\u2007',
  '\u200b',
  '\u0000',
  'a\u0000b',
  '\r\n',
  '\u001b[2J',
  '\u0085',
  '\ud800',
  'x\udfff',
  '\udc00\ud800',
  '\uFDFA'.repeat(20),
  '\uFDFA'.repeat(320),
  `${'\uFB03'.repeat(90)}@input.example`,
  `${'\uFDFA'.repeat(15)}@input.example`,
  'ＡＤＡ@ｅｘａｍｐｌｅ.ｃｏｍ',
  'A\u030a',
  "' OR 1=1 --",
  '__proto__',
  'constructor',
  '%',
  '_',
  '\\',
  'a'.repeat(5000),
  'é'.repeat(600),
  '😀'.repeat(200),
  '<script>',
  'users:read',
  'users:write',
  'someone@input.example',
];

// Numbers as JSON text: past double range (Infinity once parsed), past 2^53, negative zero, tiny.
const NUMBER_TOKENS = [
  '1e400',
  '-1e400',
  '1E+999',
  '123456789012345678901234567890',
  '9007199254740993',
  '-0',
  '0.000000000000000000000000001',
  '1e-400',
  '18446744073709551616',
];

export const KNOWN_FIELDS = [
  'email',
  'username',
  'password',
  'first_name',
  'last_name',
  'is_active',
  'refresh_token',
  'name',
  'scopes',
  'is_admin',
  'id',
];

/** A JSON document as text: a tree whose objects are key/value lists, so keys may repeat. */
type Json =
  { raw: string } | { list: Json[] } | { entries: [string, Json][] } | string | number | boolean | null;

const hostileString = fc.constantFrom(...HOSTILE_STRINGS);
// Any code point, lone surrogate halves included (fast-check's 'binary' unit leaves those out).
const anyUnit = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
);
const text = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: anyUnit, maxLength: 8 }) },
);
const scalar: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 2 ** 31, 2 ** 53 + 2, Number.MAX_VALUE, -Number.MAX_VALUE) },
  { weight: 1, arbitrary: fc.constantFrom(...NUMBER_TOKENS).map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KNOWN_FIELDS) },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
);

// Objects and arrays where strings are expected, nested a few levels (the parser refuses past 32).
const { value } = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 3 }).map((list) => ({ list })) },
    {
      weight: 1,
      arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 3 }).map((entries) => ({ entries })),
    },
  ),
}));

/** An object of the routes' fields, duplicates and `__proto__` among its keys. */
const object: fc.Arbitrary<Json> = fc
  .array(fc.tuple(key, value), { maxLength: 6 })
  .map((entries) => ({ entries }));

/** A request body as JSON text: mostly objects, some arrays of them (bulk), some bare scalars. */
export const jsonBody: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 5, arbitrary: object },
    { weight: 2, arbitrary: fc.array(object, { maxLength: 4 }).map((list) => ({ list })) },
    { weight: 1, arbitrary: value },
  )
  .map(serialise);

/** One object's worth of JSON text, for routes that only ever take an object. */
export const jsonObject: fc.Arbitrary<string> = object.map(serialise);

function serialise(node: Json): string {
  if (node === null || typeof node !== 'object') return JSON.stringify(node) ?? 'null';
  if ('raw' in node) return node.raw;
  if ('list' in node) return `[${node.list.map(serialise).join(',')}]`;
  return `{${node.entries.map(([k, v]) => `${JSON.stringify(k)}:${serialise(v)}`).join(',')}}`;
}

/** One query-string value: hostile strings, number spellings, and the raw bytes of bad percent-encoding. */
const queryValue = fc.oneof(
  hostileString.map(encodeSegment),
  fc.string({ maxLength: 30 }).map(encodeSegment),
  fc.string({ unit: anyUnit, maxLength: 6 }).map(encodeSegment),
  fc
    .constantFrom(...NUMBER_TOKENS, '1', '0', '-1', '500', '501', '0x10', '1_000', ' 1', '１', '1.0', 'NaN')
    .map(encodeSegment),
  fc.constantFrom('%', '%E0%A4', '%ED%A0%80', '%FF', '%00', '%2500', '+', '%C0%AF'),
  fc.constant(''),
);

/** A query string over `params` (repeats, `[]` and `[$op]` spellings, unknown names among them). */
export function queryString(params: string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...params) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'x',
        '__proto__',
        'constructor',
        ...params.flatMap((p) => [`${p}[]`, `${p}[$gt]`, `${p}.x`]),
      ),
    },
  );
  return fc
    .array(fc.tuple(name.map(encodeSegment), queryValue), { maxLength: 4 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
}

/** A path segment where an id or a file name is expected. */
export const pathSegment: fc.Arbitrary<string> = fc.oneof(
  fc.uuid().map(encodeSegment),
  fc.uuid().map((id) => encodeSegment(id.toUpperCase().replace(/-/g, ''))),
  hostileString.filter((s) => s.length > 0 && s.length < 1000).map(encodeSegment),
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeSegment),
  fc.constantFrom('%', '%E0%A4', '%ED%A0%80', '%FF', '%2F', '..%2F..', '1'.repeat(200), 'a%00b'),
);
