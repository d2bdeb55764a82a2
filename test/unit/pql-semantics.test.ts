import fc from 'fast-check';
import {
  compileToMongo, evaluatePql, parsePql, renderPql,
  type CompareOp, type Expr, type PqlProfile, type ScalarLiteral, type StringFn, STRING_FNS,
} from '../../domain/pql';

/**
 * A small model of MongoDB's query matcher for exactly the operators compileToMongo may emit
 * (anything else throws, which also keeps the compiler inside FerretDB 1.24's subset). It is
 * written from MongoDB's documented rules, independently of evaluate.ts: missing equals null,
 * type brackets for ordering, strings compared as UTF-8 bytes.
 */
type Filter = Record<string, unknown>;
const MISSING = Symbol('missing');

function resolve(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const key of path.split('.')) {
    if (Array.isArray(cur)) throw new Error('array traversal is outside this model');
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return MISSING;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const bracketOf = (v: unknown) => (v === MISSING || v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
function mongoCompare(a: unknown, b: unknown): number {
  if (typeof a === 'string') return Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b as string, 'utf8')));
  return Math.sign(Number(a) - Number(b));
}
function mongoEq(v: unknown, x: unknown): boolean {
  if (x === null) return v === MISSING || v === null;
  if (Array.isArray(v) || (v !== null && typeof v === 'object')) return false;
  return bracketOf(v) === bracketOf(x) && typeof x !== 'object' && mongoCompare(v, x) === 0;
}
function mongoOrder(v: unknown, x: unknown, op: string): boolean {
  if (x === null) return (op === '$gte' || op === '$lte') && (v === MISSING || v === null);
  if (bracketOf(v) !== bracketOf(x)) return false;
  const c = mongoCompare(v, x);
  return op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0;
}

function opMatches(v: unknown, op: string, x: unknown, ops: Filter): boolean {
  switch (op) {
    case '$eq': return mongoEq(v, x);
    case '$gt': case '$gte': case '$lt': case '$lte': return mongoOrder(v, x, op);
    case '$in': return (x as unknown[]).some((i) => mongoEq(v, i));
    case '$regex': {
      const options = (ops.$options ?? '') as string;
      if (!/^i?$/.test(options)) throw new Error(`unsupported $options ${options}`);
      return typeof v === 'string' && new RegExp(x as string, `${options}u`).test(v);
    }
    default: throw new Error(`operator ${op} is outside the FerretDB subset`);
  }
}

function fieldMatches(v: unknown, cond: unknown): boolean {
  const isOps = cond !== null && typeof cond === 'object' && !Array.isArray(cond) && Object.keys(cond).every((k) => k.startsWith('$'));
  if (!isOps) return mongoEq(v, cond);
  const ops = cond as Filter;
  return Object.entries(ops).every(([op, x]) => {
    switch (op) {
      case '$exists': return (v !== MISSING) === x;
      case '$type': {
        if (x === 'array') return Array.isArray(v);
        if (x === 'string') return typeof v === 'string' || (Array.isArray(v) && v.some((el) => typeof el === 'string'));
        throw new Error(`unsupported $type ${String(x)}`);
      }
      case '$size': return Array.isArray(v) && v.length === x;
      case '$not': return !fieldMatches(v, x);
      case '$elemMatch': {
        const inner = x as Filter;
        if (!Object.keys(inner).every((k) => k === '$eq' || k === '$in')) throw new Error('$elemMatch with other than $eq/$in is outside the FerretDB subset');
        return Array.isArray(v) && v.some((el) => Object.entries(inner).every(([o, y]) => opMatches(el, o, y, inner)));
      }
      case '$ne': return !fieldMatches(v, { $eq: x });
      case '$nin': return !fieldMatches(v, { $in: x });
      case '$options': return true;
      default:
        // MongoDB matches an array field when the array or any element matches.
        return opMatches(v, op, x, ops) || (Array.isArray(v) && v.some((el) => opMatches(el, op, x, ops)));
    }
  });
}

function mongoMatch(doc: unknown, filter: Filter): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === '$and') return (cond as Filter[]).every((f) => mongoMatch(doc, f));
    if (key === '$or') return (cond as Filter[]).some((f) => mongoMatch(doc, f));
    if (key === '$nor') return !(cond as Filter[]).some((f) => mongoMatch(doc, f));
    if (key.startsWith('$')) throw new Error(`operator ${key} is outside the FerretDB subset`);
    return fieldMatches(resolve(doc, key), cond);
  });
}

const OPTS = { fieldPrefix: 'entity.', membershipPrefix: 'segmentMembership.ups.' };
const CTX = { now: new Date('2024-06-01T00:00:00.000Z') };

/** Evaluates in memory and through the compiled filter; both must agree. */
function both(ast: Expr, profile: PqlProfile): boolean {
  const inMemory = evaluatePql(ast, profile, CTX);
  const filter = compileToMongo(ast, OPTS);
  if (!filter) throw new Error(`not pushable: ${renderPql(ast)}`);
  expect({ text: renderPql(ast), filter, result: mongoMatch(profile, filter) }).toEqual({ text: renderPql(ast), filter, result: inMemory });
  return inMemory;
}

const profile: PqlProfile = {
  entity: {
    homeAddress: { countryCode: 'US', city: 'Boston', zip: null },
    person: { name: { firstName: 'John', lastName: 'Smith' }, birthDate: '1990-05-17', age: 34 },
    _openxp: { loyaltyScore: 42.5, vip: true, optIn: false, tier: 'Gold', note: 'a.b*c', lastSeen: '2024-03-14T10:00:00.000Z' },
    label: 'x\ny',
  },
  segmentMembership: { ups: { s1: { status: 'realized' }, s2: { status: 'existing' }, s3: { status: 'exited' } } },
};

describe('evaluatePql and compileToMongo agree with the documented semantics', () => {
  it.each<[string, boolean]>([
    // comparisons and type brackets
    ['homeAddress.countryCode = "US"', true], ['homeAddress.countryCode = "us"', false],
    ['homeAddress.countryCode != "CA"', true], ['homeAddress.countryCode != "US"', false],
    ['person.age = 34', true], ['person.age = 34.0', true], ['person.age = "34"', false], ['person.age != "34"', true],
    ['person.age > 33.5', true], ['person.age >= 34', true], ['person.age < 34', false], ['person.age <= 34', true],
    ['34 <= person.age', true], ['35 > person.age', true], ['"A" < homeAddress.city', true],
    ['homeAddress.city > "Bo"', true], ['homeAddress.city < "Bo"', false], ['homeAddress.city > 5', false],
    ['_openxp.vip = true', true], ['_openxp.optIn = false', true], ['_openxp.optIn < true', true],
    // missing and null
    ['person.gender = "F"', false], ['person.gender != "F"', false], ['person.gender < "F"', false],
    ['person.gender = null', true], ['person.gender != null', false], ['homeAddress.zip = null', true],
    ['homeAddress.zip != null', false], ['homeAddress.zip != "x"', false], ['homeAddress.countryCode != null', true],
    ['null = person.gender', true], ['person.age > null', false], ['person.age >= null', false],
    ['person.gender.isNull()', true], ['homeAddress.zip.isNull()', true], ['homeAddress.isNotNull()', true],
    ['homeAddress.countryCode.x.isNull()', true], ['person.name.isNull()', false],
    // boolean logic and precedence
    ['not(person.gender = "F")', true], ['not person.gender != "F"', true],
    ['_openxp.vip', true], ['_openxp.optIn', false], ['_openxp.missing', false], ['not _openxp.missing', true],
    ['homeAddress.city', false], ['true', true], ['false or not false', true], ['1 = 1.0', true], ['"a" = 1', false],
    ['person.age = 1 or person.age = 34 and _openxp.vip', true],
    ['(person.age = 1 or person.age = 34) and _openxp.optIn', false],
    ['not _openxp.optIn and not _openxp.vip or person.age = 34', true],
    ['not (_openxp.optIn and _openxp.vip)', true],
    // in / notIn
    ['homeAddress.countryCode in ["CA", "US"]', true], ['homeAddress.countryCode in []', false],
    ['homeAddress.countryCode notIn ["CA", "MX"]', true], ['homeAddress.countryCode notIn ["US"]', false],
    ['person.gender in ["F"]', false], ['person.gender notIn ["F"]', false], ['person.gender in ["F", null]', true],
    ['person.gender notIn [null]', false], ['person.age in [34.0, "x"]', true], ['person.age notIn ["34"]', true],
    // strings
    ['person.name.firstName.startsWith("Jo")', true], ['person.name.firstName.startsWith("jo")', false],
    ['person.name.firstName.startsWith("jo", false)', true], ['person.name.firstName.endsWith("HN", false)', true],
    ['person.name.firstName.contains("oh")', true], ['person.name.firstName.contains("")', true],
    ['person.name.firstName.doesNotStartWith("Jo")', false], ['person.name.firstName.doesNotStartWith("X")', true],
    ['person.name.firstName.doesNotEndWith("n")', false], ['person.name.firstName.doesNotContain("OH", false)', false],
    ['person.gender.doesNotContain("x")', false], ['person.age.doesNotContain("x")', false], ['person.age.startsWith("3")', false],
    ['_openxp.note.contains(".b*")', true], ['_openxp.note.startsWith("a.")', true], ['_openxp.note.contains("ab")', false],
    ['person.name.firstName.equals("John")', true], ['person.name.firstName.equals("JOHN")', false],
    ['person.name.firstName.equals("JOHN", false)', true], ['person.name.firstName.notEqualTo("JOHN")', true],
    ['person.name.firstName.notEqualTo("JOHN", false)', false], ['person.gender.notEqualTo("x")', false],
    ['person.name.firstName.like("J%n")', true], ['person.name.firstName.like("J_n")', false], ['person.name.firstName.like("J__n")', true],
    ['person.name.firstName.like("j%")', false], ['_openxp.note.like("a.b*c")', true], ['_openxp.note.like("a_b%")', true],
    ['label.like("x_y")', true], ['label.like("x%")', true],
    ['person.name.firstName.matches("^J.h")', true], ['person.name.firstName.matches("(?i)^jOHN$")', true],
    ['person.name.firstName.matches("[0-9]")', false],
    // dates as ISO strings
    ['person.birthDate = date(1990, 5, 17)', true], ['person.birthDate < date(2000, 1, 1)', true],
    ['person.birthDate >= "1990-05-18"', false], ['_openxp.lastSeen >= date(2024, 3, 14)', true],
    ['_openxp.lastSeen < date(2024, 3, 14)', false], ['_openxp.lastSeen < date(2024, 3, 15)', true],
    ['_openxp.lastSeen > "2024-03-14T09:59:59.999Z"', true],
    // membership
    ['inSegment("s1")', true], ['inSegment("s2")', true], ['inSegment("s3")', false], ['inSegment("s4")', false],
    ['inSegment("constructor")', false], ['not inSegment("s3") and inSegment("s1")', true],
  ])('%s → %s', (text, expected) => {
    expect(both(parsePql(text), profile)).toBe(expected);
  });

  it('treats a profile without membership as in no segment', () => {
    expect(both(parsePql('inSegment("s1")'), { entity: {} })).toBe(false);
  });

  it('does not read inherited properties as fields', () => {
    expect(both(parsePql('toString.isNotNull() or homeAddress.countryCode.length = 2'), profile)).toBe(false);
  });

  it('reads a path through an array as missing (arrays are out of scope in this slice)', () => {
    const p = { entity: { items: [{ sku: 'A' }] } };
    expect(evaluatePql(parsePql('items.sku = "A"'), p, CTX)).toBe(false);
    expect(evaluatePql(parsePql('items.sku.isNull()'), p, CTX)).toBe(true);
  });

  it('orders strings by code point like MongoDB, not by UTF-16 unit', () => {
    const p = { entity: { s: '\u{1F600}' } };
    expect(both(parsePql('s > "\uFFFF"'), p)).toBe(true);
  });
});

describe('compileToMongo', () => {
  const compile = (text: string) => compileToMongo(parsePql(text), OPTS);

  // Every field leaf is guarded against arrays on its path (see to-mongo.ts).
  const na = (p: string) => ({ [p]: { $not: { $type: 'array' } } });
  it.each<[string, unknown]>([
    ['homeAddress.countryCode = "US"', { $and: [na('entity.homeAddress'), na('entity.homeAddress.countryCode'), { 'entity.homeAddress.countryCode': { $eq: 'US' } }] }],
    ['homeAddress.countryCode != "US"', { $or: [
      { $and: [na('entity.homeAddress'), { 'entity.homeAddress.countryCode': { $type: 'array' } }] },
      { $and: [na('entity.homeAddress'), na('entity.homeAddress.countryCode'), { 'entity.homeAddress.countryCode': { $exists: true } }, { 'entity.homeAddress.countryCode': { $ne: null } }, { 'entity.homeAddress.countryCode': { $ne: 'US' } }] },
    ] }],
    ['5 < a', { $and: [na('entity.a'), { 'entity.a': { $gt: 5 } }] }],
    ['a = null', { $and: [na('entity.a'), { 'entity.a': { $eq: null } }] }],
    ['d >= date(2024, 3, 14)', { $and: [na('entity.d'), { 'entity.d': { $gte: '2024-03-14' } }] }],
    ['not(a = 1) and b in [1, 2] and c notIn ["x"]', { $and: [
      { $nor: [{ $and: [na('entity.a'), { 'entity.a': { $eq: 1 } }] }] }, na('entity.b'), { 'entity.b': { $in: [1, 2] } },
      { $or: [{ 'entity.c': { $type: 'array' } }, { $and: [na('entity.c'), { 'entity.c': { $exists: true } }, { 'entity.c': { $ne: null } }, { 'entity.c': { $nin: ['x'] } }] }] },
    ] }],
    ['a.startsWith("a.b", false)', { $and: [na('entity.a'), { 'entity.a': { $regex: '^a\\.b', $options: 'i' } }] }],
    ['a.doesNotEndWith("$")', { $and: [na('entity.a'), { 'entity.a': { $regex: '^' } }, { $nor: [{ 'entity.a': { $regex: '\\$$' } }] }] }],
    ['a.like("%x_")', { $and: [na('entity.a'), { 'entity.a': { $regex: '^[\\s\\S]*x[\\s\\S]$' } }] }],
    ['a.matches("(?i)^ab")', { $and: [na('entity.a'), { 'entity.a': { $regex: '^ab', $options: 'i' } }] }],
    ['inSegment("s1") or false', { $or: [{ 'segmentMembership.ups.s1.status': { $in: ['realized', 'existing'] } }, { $nor: [{}] }] }],
    ['a = 1 or true', { $or: [{ $and: [na('entity.a'), { 'entity.a': { $eq: 1 } }] }, {}] }],
  ])('%s', (text, filter) => {
    expect(compile(text)).toEqual(filter);
  });

  it.each(['a = b', '(a = 1) = true', 'inSegment("a.b")', 'x.isNull() = false'])('returns null for %s', (text) => {
    expect(compile(text)).toBeNull();
  });
});

// ---- differential property: compiled filter vs in-memory evaluation ----

const FIELDS = ['s', 't', 'n', 'b', 'd', 'ts', 'o', 'o.s', 'o.n', 'o.p.q'];
const STRINGS = ['', 'a', 'A', 'ab', 'aB', 'Ab', 'abc', 'b', 'ba', 'a.c', 'a%c', 'a_c', 'x\ny', 'é', 'É', 'ß', '\u{1F600}', '\uFFFF', 'US', 'us'];
const NUMBERS = [-2, -1.5, 0, 1, 1.5, 2, 10];
const DATES = ['1990-05-17', '2024-03-14', '2024-03-15'];
const STAMPS = ['2024-03-13T23:59:59.999Z', '2024-03-14T00:00:00.000Z', '2024-03-14T10:00:00.000Z'];
const REGEXES = ['^a', 'b$', 'a.c', '(?i)^ab', '[0-9]', '^$', 'é|ß', '^[a-z]+$'];

const scalarValue = fc.oneof(fc.constantFrom(...STRINGS, ...DATES, ...STAMPS), fc.constantFrom(...NUMBERS), fc.boolean(), fc.constant(null));
const leaf = fc.oneof({ weight: 4, arbitrary: scalarValue }, { weight: 1, arbitrary: fc.record({ q: scalarValue }, { requiredKeys: [] }) });
const profileArb: fc.Arbitrary<PqlProfile> = fc.record({
  entity: fc.record({
    s: scalarValue, t: scalarValue, n: scalarValue, b: scalarValue, d: scalarValue, ts: scalarValue,
    o: fc.oneof(scalarValue, fc.record({ s: scalarValue, n: scalarValue, p: leaf }, { requiredKeys: [] })),
  }, { requiredKeys: [] }),
  segmentMembership: fc.record({
    ups: fc.dictionary(fc.constantFrom('s1', 's2'), fc.record({ status: fc.constantFrom('realized', 'existing', 'exited') })),
  }, { requiredKeys: [] }),
}, { requiredKeys: ['entity'] });

const literalArb: fc.Arbitrary<ScalarLiteral> = fc.oneof(
  fc.constantFrom(...STRINGS, ...DATES, ...STAMPS).map((value) => ({ kind: 'literal', type: 'string', value }) as const),
  fc.constantFrom(...NUMBERS).map((value) => ({ kind: 'literal', type: Number.isInteger(value) ? 'integer' : 'decimal', value }) as ScalarLiteral),
  fc.boolean().map((value) => ({ kind: 'literal', type: 'boolean', value }) as const),
  fc.constant({ kind: 'literal', type: 'null', value: null } as const),
  fc.constantFrom(...DATES).map((value) => ({ kind: 'literal', type: 'date', value }) as const),
);
const fieldArb: fc.Arbitrary<Expr> = fc.constantFrom(...FIELDS).map((p) => ({ kind: 'field', path: p.split('.') }));
const opArb = fc.constantFrom<CompareOp>('=', '!=', '<', '<=', '>', '>=');

const conditionArb: fc.Arbitrary<Expr> = fc.oneof(
  fc.tuple(opArb, fieldArb, literalArb, fc.boolean()).map(([op, fld, lit, flip]) =>
    ({ kind: 'compare', op, left: flip ? lit : fld, right: flip ? fld : lit }) as Expr),
  fc.tuple(opArb, literalArb, literalArb).map(([op, left, right]) => ({ kind: 'compare', op, left, right }) as Expr),
  fc.tuple(fc.constantFrom('in', 'notIn' as const), fieldArb, fc.array(literalArb, { maxLength: 3 }))
    .map(([op, value, items]) => ({ kind: 'in', op, value, list: { kind: 'literal', type: 'list', items } }) as Expr),
  fc.tuple(fc.constantFrom<StringFn>(...STRING_FNS), fieldArb, fc.constantFrom(...STRINGS, '%', 'a%', '_b', '%c', 'A_'), fc.boolean(), fc.constantFrom(...REGEXES))
    .map(([fn, target, s, cs, re]) => ({
      kind: 'stringTest', fn, target, pattern: fn === 'matches' ? re : s, caseSensitive: fn === 'like' || fn === 'matches' || cs,
    }) as Expr),
  fc.tuple(fc.constantFrom('isNull', 'isNotNull' as const), fieldArb).map(([fn, target]) => ({ kind: 'nullTest', fn, target }) as Expr),
  fc.constantFrom('s1', 's2', 's3').map((segmentId) => ({ kind: 'inSegment', segmentId }) as Expr),
  fieldArb,
  fc.boolean().map((value) => ({ kind: 'literal', type: 'boolean', value }) as Expr),
);
const { expr: exprArb } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    conditionArb,
    fc.tuple(fc.constantFrom('and', 'or' as const), tie('expr'), tie('expr')).map(([kind, left, right]) => ({ kind, left, right }) as Expr),
    tie('expr').map((operand) => ({ kind: 'not', operand }) as Expr),
  ),
}));

it('compiled filters select exactly the profiles evaluatePql accepts', () => {
  fc.assert(fc.property(exprArb, fc.array(profileArb, { minLength: 1, maxLength: 5 }), (ast, profiles) => {
    for (const p of profiles) both(ast, p);
  }), { numRuns: 500 });
});
