import fc from 'fast-check';
import { applyMappings, coerce, normalizeMappings, ROW_ERROR, validateMappings } from '../../domain/ingest/mapping';
import type { FieldType } from '../../domain/ingest/mapping';
import { isDomainError } from '../../domain/shared/errors';

const ctx = { rowKey: 'people.csv#1', now: Date.UTC(2024, 0, 2) };
const types = new Map<string, FieldType>([
  ['_id', 'string'],
  ['person.name.firstName', 'string'],
  ['person.name.lastName', 'string'],
  ['person.name.fullName', 'string'],
  ['person.birthDate', 'date'],
  ['person.age', 'integer'],
  ['loyalty.points', 'number'],
  ['loyalty.member', 'boolean'],
  ['loyalty.joined', 'date-time'],
  ['tags', 'array'],
  ['homeAddress', 'object'],
  ['homeAddress.city', 'string'],
  ['attributes', 'map'],
]);

const thrown = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e as Error & { code?: string; field?: string };
  }
  throw new Error('did not throw');
};

describe('normalizeMappings', () => {
  it('accepts both AEP forms and compiles expressions', () => {
    const ms = normalizeMappings([
      { sourceType: 'ATTRIBUTE', source: 'First', destination: 'person.name.firstName' },
      { sourceAttribute: 'Email', destinationXdmPath: 'personalEmail.address', identity: true, namespaceCode: 'Email', primaryIdentity: true },
      { sourceType: 'EXPRESSION', source: 'upper(First)', destination: 'person.name.lastName' },
    ]);
    expect(ms.map(({ evaluate: _e, ...m }) => m)).toEqual([
      { sourceType: 'ATTRIBUTE', source: 'First', destination: 'person.name.firstName', identity: undefined },
      { sourceType: 'ATTRIBUTE', source: 'Email', destination: 'personalEmail.address', identity: { namespaceCode: 'Email', primary: true } },
      { sourceType: 'EXPRESSION', source: 'upper(First)', destination: 'person.name.lastName', identity: undefined },
    ]);
    expect(ms[2].evaluate({ row: { First: 'ann' }, ...ctx })).toBe('ANN');
  });

  it.each([
    [[{ sourceType: 'SQL', source: 'a', destination: 'b' }], 'UNPROCESSABLE', 'mappings[0].sourceType'],
    [[{ source: 'a', destination: 'b' }, { source: '', destination: 'b' }], 'VALIDATION', 'mappings[1].source'],
    [[{ source: 'a', destination: 'not a path' }], 'VALIDATION', 'mappings[0].destination'],
    [[{ source: 'a', destination: '__proto__.polluted' }], 'VALIDATION', 'mappings[0].destination'],
    [[{ source: 'a', destination: 'x.constructor' }], 'VALIDATION', 'mappings[0].destination'],
    [[null], 'VALIDATION', 'mappings[0].source'],
    [[{ source: 'a', destination: 'b' }, { sourceType: 'EXPRESSION', source: 'concat(a,', destination: 'c' }], 'VALIDATION', 'mappings[1].source'],
  ])('%j → %s on %s', (raw, code, field) => {
    expect(thrown(() => normalizeMappings(raw as unknown[]))).toMatchObject({ code, field });
  });

  it('an expression error names the mapping and the column', () => {
    const e = thrown(() => normalizeMappings([{ sourceType: 'EXPRESSION', source: 'lower(first))', destination: 'a' }]));
    expect(e.message).toBe('mappings[0].source: unexpected ")" at column 13 of "lower(first))"');
  });
});

describe('validateMappings', () => {
  const ms = (...destinations: string[]) => destinations.map((destination) => ({ destination }));

  it('accepts schema fields, identityMap.* and _id', () => {
    expect(() => validateMappings(ms('person.name.firstName', 'homeAddress', 'identityMap.Email', 'identityMap', '_id'), types)).not.toThrow();
  });

  it('names every unknown destination, with the closest field', () => {
    const e = thrown(() => validateMappings(ms('person.name.firstName', 'person.nmae.firstName', 'nothing.near'), types, 'https://ns.adobe.com/acme/schemas/p1'));
    expect(isDomainError(e)).toBe(true);
    expect(e.code).toBe('UNPROCESSABLE');
    expect(e.field).toBe('mappings[1].destination');
    expect(e.message).toBe(
      'mappings[1].destination: person.nmae.firstName is not a field of schema https://ns.adobe.com/acme/schemas/p1 (did you mean person.name.firstName?); '
      + 'mappings[2].destination: nothing.near is not a field of schema https://ns.adobe.com/acme/schemas/p1',
    );
  });
});

describe('coerce', () => {
  it.each<[unknown, FieldType | undefined, unknown]>([
    ['x', 'string', 'x'],
    [12, 'string', '12'],
    [true, 'string', 'true'],
    [' 1.5 ', 'number', 1.5],
    [2, 'number', 2],
    ['7', 'integer', 7],
    [7, 'integer', 7],
    ['yes', 'boolean', true],
    ['N', 'boolean', false],
    [false, 'boolean', false],
    ['1990-04-02', 'date', '1990-04-02'],
    ['1990-04-02T10:00:00Z', 'date', '1990-04-02'],
    ['2020-12-31T00:00:00.000Z', 'date', '2020-12-31'],
    ['2024-01-02T03:04:05+01:00', 'date-time', '2024-01-02T02:04:05.000Z'],
    ['2024-01-02', 'date-time', '2024-01-02T00:00:00.000Z'],
    [0, 'date-time', '1970-01-01T00:00:00.000Z'],
    ['a| b |', 'array', ['a', 'b']],
    [['x', 1], 'array', ['x', 1]],
    [{ city: 'Paris' }, 'object', { city: 'Paris' }],
    [{ k: 'v' }, 'map', { k: 'v' }],
    [{ any: 1 }, undefined, { any: 1 }],
  ])('%j as %s → %j', (value, type, want) => {
    expect(coerce(value, type, 'p')).toEqual({ ok: true, value: want });
  });

  it.each<[unknown, FieldType, string]>([
    ['abc', 'number', 'p: "abc" is not a number'],
    ['1.5', 'integer', 'p: "1.5" is not an integer'],
    ['maybe', 'boolean', 'p: "maybe" is not a boolean (true/false)'],
    ['31/12/2020', 'date', 'p: "31/12/2020" is not a date (YYYY-MM-DD)'],
    ['2021-02-30', 'date', 'is not a date'],
    ['December 31', 'date-time', 'p: "December 31" is not a date-time (ISO 8601)'],
    [{ a: 1 }, 'string', 'p: {"a":1} is not a string'],
    [5, 'array', 'p: 5 is not an array'],
    ['x', 'object', 'p: "x" is not an object'],
    [[1], 'map', 'p: [1] is not a map'],
  ])('%j as %s is a type mismatch', (value, type, message) => {
    const c = coerce(value, type, 'p');
    expect(c.ok).toBe(false);
    if (!c.ok) {
      expect(c.issue.code).toBe(ROW_ERROR.TYPE_MISMATCH);
      expect(c.issue.message).toContain(message);
    }
  });

  it('integers written as text are read back exactly (property)', () => {
    fc.assert(fc.property(fc.integer(), (n) => {
      const c = coerce(String(n), 'integer', 'p');
      return c.ok && c.value === n;
    }));
  });
});

describe('applyMappings', () => {
  const mappings = normalizeMappings([
    { source: 'First', destination: 'person.name.firstName' },
    { source: 'Last', destination: 'person.name.lastName' },
    { sourceType: 'EXPRESSION', source: 'concat(upper(First), " ", Last)', destination: 'person.name.fullName' },
    { source: 'Age', destination: 'person.age' },
    { sourceType: 'EXPRESSION', source: 'date(Joined, "MM/dd/yyyy")', destination: 'loyalty.joined' },
    { sourceType: 'EXPRESSION', source: 'iif(to_integer(Points) > 100, true, false)', destination: 'loyalty.member' },
    { sourceAttribute: 'Email', destinationXdmPath: 'personalEmail.address', identity: true, namespaceCode: 'Email', primaryIdentity: true },
    { sourceType: 'EXPRESSION', source: 'uuid()', destination: '_id' },
  ]);

  it('maps a CSV row: cells read trimmed, expressions computed, values typed', () => {
    const out = applyMappings({ First: ' ann ', Last: 'Lee', Age: '34', Joined: '03/04/2021', Points: '150', Email: 'ann@example.com' }, mappings, types, ctx);
    expect(out.issues).toEqual([]);
    expect(out.record).toEqual({
      person: { name: { firstName: 'ann', lastName: 'Lee', fullName: 'ANN Lee' }, age: 34 },
      loyalty: { joined: '2021-03-04T00:00:00.000Z', member: true },
      personalEmail: { address: 'ann@example.com' },
      _id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    expect(out.identities).toEqual([{ ns: 'Email', id: 'ann@example.com', primary: true }]);
  });

  it('uuid() is the same for the same row key and differs between rows', () => {
    const row = { First: 'a' };
    const id = (rowKey: string) => applyMappings(row, mappings, types, { ...ctx, rowKey }).record._id;
    expect(id('f#1')).toBe(id('f#1'));
    expect(id('f#1')).not.toBe(id('f#2'));
  });

  it('omits empty and missing values instead of writing null', () => {
    const out = applyMappings({ First: '  ', Last: '', Email: 'x@y.z' }, mappings, types, ctx);
    expect(out.issues).toEqual([]);
    expect(out.record.person).toEqual({ name: { fullName: ' ' } }); // concat of two absent names and the literal " "
  });

  it('reports every issue of the row: type mismatches and failing functions, never a crash', () => {
    const out = applyMappings({ First: 'a', Age: 'old', Joined: '2021-31-12', Points: 'many' }, mappings, types, ctx);
    expect(out.issues).toEqual([
      { code: ROW_ERROR.TYPE_MISMATCH, message: 'person.age: "old" is not an integer' },
      { code: ROW_ERROR.TYPE_MISMATCH, message: 'loyalty.joined: mappings[4] failed: date: "2021-31-12" does not match the format "MM/dd/yyyy"' },
      { code: ROW_ERROR.TYPE_MISMATCH, message: 'loyalty.member: mappings[5] failed: to_integer: "many" is not a number' },
    ]);
  });

  it('reads nested JSON by dotted path and keeps non-string values', () => {
    const ms = normalizeMappings([
      { source: 'address.city', destination: 'homeAddress.city' },
      { source: 'address', destination: 'homeAddress' },
      { source: 'profile.points', destination: 'loyalty.points' },
      { source: 'profile.tags', destination: 'tags' },
      { sourceType: 'EXPRESSION', source: 'split(profile.csv, ";")', destination: 'tags' },
      { source: 'profile.active', destination: 'loyalty.member' },
    ]);
    const row = { address: { city: 'Paris', zip: '75001' }, profile: { points: 12.5, tags: ['a'], csv: 'x;y', active: true } };
    const out = applyMappings(row, ms, types, ctx);
    expect(out.issues).toEqual([]);
    expect(out.record).toEqual({ homeAddress: { city: 'Paris', zip: '75001' }, loyalty: { points: 12.5, member: true }, tags: ['x', 'y'] });
  });

  it('a JSON number that is not an integer is a type mismatch for an integer field', () => {
    const out = applyMappings({ age: 3.5 }, normalizeMappings([{ source: 'age', destination: 'person.age' }]), types, ctx);
    expect(out.issues).toEqual([{ code: ROW_ERROR.TYPE_MISMATCH, message: 'person.age: 3.5 is not an integer' }]);
  });

  it('without mappings a JSON record is used as it is', () => {
    const row = { person: { name: { firstName: 'Ann' } }, loyalty: { points: '12' } };
    expect(applyMappings(row, [], types, ctx)).toEqual({ record: row, identities: [], issues: [] });
  });

  it('the same row maps to the same record every time (property)', () => {
    fc.assert(fc.property(fc.record({ First: fc.string(), Last: fc.string(), Age: fc.integer({ min: 0, max: 120 }).map(String) }), (row) => {
      const a = applyMappings(row, mappings, types, ctx);
      const b = applyMappings(row, mappings, types, ctx);
      return JSON.stringify(a) === JSON.stringify(b) && a.issues.length === 0;
    }));
  });
});
