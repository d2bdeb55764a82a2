import fc from 'fast-check';
import { MongoClient, type Collection, type Document } from 'mongodb';
import {
  compileToMongo, evaluatePql, renderPql, STRING_FNS, TIME_UNITS,
  type CompareOp, type Expr, type PqlProfile, type ScalarLiteral, type StringFn, type TimeUnit, type When,
} from '../../domain/pql';
import { testConfig } from '../helpers/env';

/**
 * Push-down on the real database: a few hundred generated profiles are stored once in a scratch
 * collection of a scratch database; then, for ten thousand generated push-down-able expressions,
 * the ids `find(compileToMongo(…))` returns must equal the ids evaluatePql accepts. Any
 * disagreement is a compiler bug (or a construct to refuse), never a reason to loosen this test.
 *
 * Data deliberately includes what MongoDB treats specially: arrays (of scalars and of objects)
 * where scalars are expected and along paths, objects, nulls and missing fields, int vs double,
 * strings that look like timestamps (canonical, date-only, other spellings, calendar-invalid),
 * and case/Unicode variants. FerretDB stores no nested arrays, so none are generated.
 */
const NOW = new Date('2024-03-15T12:00:00.000Z');
const PROFILES = 300;
const EXPRESSIONS = Number(process.env.PQL_DIFF_EXPRESSIONS ?? 10_000);
const SEED = 20240315;
const OPTS = { fieldPrefix: 'entity.', membershipPrefix: 'segmentMembership.ups.', now: NOW };

const STRINGS = ['', 'a', 'A', 'ab', 'aB', 'abc', 'b', 'a.c', 'a%c', 'x\ny', 'é', 'É', 'ß', '\u{1F600}', 'US', 'us', 'red', 'blue', 'gold'];
const STAMPS = [
  '2024-03-15T11:59:59.999Z', '2024-03-15T12:00:00.000Z', '2024-03-15T00:00:00.000Z', '2024-03-14T18:30:00.000Z', '2024-03-11T00:00:00.000Z',
  '2024-03-10T23:59:59.999Z', '2024-02-29T10:00:00.000Z', '2023-03-15T12:00:00.000Z', '2019-11-30T08:00:00.000Z', '1990-03-17T00:00:00.000Z',
  '2024-03-20', '2024-03-15', '2024-03-14', '2024-02-29', '1990-03-17', '2000-01-01', '0001-01-01', '9999-12-31',
  '2024-03-15T12:00:00Z', '2024-03-15T12:00:00.000+01:00', '2023-02-29', '2024-13-01', '2024-03-15 12:00',
];
const NUMBERS = [-2, -1.5, 0, 1, 1.5, 2, 3, 10, 11, 12, 15, 17, 29, 31, 1990, 2024];
const scalarValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>(...STRINGS, ...STAMPS) },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(...NUMBERS) },
  fc.boolean(), fc.constant(null),
);
const arrayValue = fc.array(scalarValue, { maxLength: 4 });
const leaf = fc.oneof({ weight: 6, arbitrary: scalarValue }, { weight: 2, arbitrary: arrayValue }, { weight: 1, arbitrary: fc.record({ q: scalarValue }, { requiredKeys: [] }) });
const objectValue = fc.record({ s: leaf, n: leaf, ts: leaf, p: fc.oneof(leaf, fc.record({ q: leaf }, { requiredKeys: [] })) }, { requiredKeys: [] });
const profileArb = fc.record({
  entity: fc.record({
    s: leaf, t: leaf, n: leaf, b: leaf, d: leaf, ts: leaf, arr: fc.oneof({ weight: 4, arbitrary: arrayValue }, { weight: 1, arbitrary: leaf }),
    o: fc.oneof({ weight: 3, arbitrary: objectValue }, { weight: 1, arbitrary: leaf }, { weight: 1, arbitrary: fc.array(objectValue, { maxLength: 3 }) }),
    m: fc.oneof(fc.dictionary(fc.constantFrom('Email', 'ECID', 'k 1', '0'), leaf, { maxKeys: 3 }), leaf),
  }, { requiredKeys: [] }),
  segmentMembership: fc.record({
    ups: fc.dictionary(fc.constantFrom('s1', 's2'), fc.record({ status: fc.constantFrom('realized', 'existing', 'exited') })),
  }, { requiredKeys: [] }),
}, { requiredKeys: ['entity'] });

// ---- push-down-able expressions ----

const FIELDS = ['s', 't', 'n', 'b', 'd', 'ts', 'arr', 'o', 'o.s', 'o.n', 'o.ts', 'o.p', 'o.p.q', 'm.Email'];
const lit = (v: unknown): ScalarLiteral =>
  v === null ? { kind: 'literal', type: 'null', value: null }
    : typeof v === 'string' ? { kind: 'literal', type: 'string', value: v }
      : typeof v === 'boolean' ? { kind: 'literal', type: 'boolean', value: v }
        : { kind: 'literal', type: Number.isInteger(v) ? 'integer' : 'decimal', value: v as number };
const literalArb: fc.Arbitrary<Expr> = fc.oneof(
  fc.constantFrom(...STRINGS, ...STAMPS, ...NUMBERS, true, false, null).map(lit),
  fc.constantFrom('2024-03-15', '2019-11-30', '1990-03-17').map((value) => ({ kind: 'literal', type: 'date', value }) as const),
  fc.constantFrom('now', 'today', 'yesterday', 'tomorrow' as const).map((name) => ({ kind: 'time', name }) as const),
  fc.constantFrom('currentMonth', 'currentYear', 'currentDayOfMonth' as const).map((fn) => ({ kind: 'call', fn, target: null, args: [] }) as const),
);
const fieldArb: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FIELDS).map((p): Expr => ({ kind: 'field', path: p.split('.') })) },
  { weight: 1, arbitrary: fc.constantFrom('Email', 'ECID', 'k 1', '0', 'none').map((k): Expr => ({ kind: 'call', fn: 'get', target: { kind: 'field', path: ['m'] }, args: [lit(k)] })) },
);
const opArb = fc.constantFrom<CompareOp>('=', '!=', '<', '<=', '>', '>=');
const listArb = fc.array(fc.constantFrom(...STRINGS.slice(0, 8), ...NUMBERS.slice(0, 6), true, null).map(lit), { maxLength: 3 });
const timeArb: fc.Arbitrary<Expr> = fc.oneof(
  fc.constantFrom('now', 'today', 'yesterday', 'tomorrow' as const).map((name): Expr => ({ kind: 'time', name })),
  fc.tuple(fc.constantFrom('this', 'last', 'next' as const), fc.constantFrom<TimeUnit>(...TIME_UNITS)).map(([which, unit]): Expr => ({ kind: 'period', which, unit })),
  fc.constantFrom('2024-03-15', '2019-11-30', '2024-02-29').map((value): Expr => ({ kind: 'literal', type: 'date', value })),
  fc.constantFrom('2024-03-14T18:30:00.000Z', '2024-03-15T12:00:00.000Z').map(lit),
);
const whenArb: fc.Arbitrary<When> = fc.oneof(
  timeArb.map((time): When => ({ test: 'on', time })),
  fc.tuple(fc.constantFrom('before', 'after' as const), timeArb).map(([test, time]): When => ({ test, time })),
  fc.tuple(timeArb, timeArb).map(([time, until]): When => ({ test: 'between', time, until })),
  fc.tuple(opArb, fc.constantFrom(0, 1, 2, 5, 7, 24, 30), fc.constantFrom<TimeUnit>(...TIME_UNITS), fc.constantFrom('before', 'after', 'from' as const), timeArb)
    .map(([op, amount, unit, direction, time]): When => ({ test: 'distance', op, amount, unit, direction, time })),
);
const REGEXES = ['^a', 'b$', 'a.c', '(?i)^ab', '[0-9]', '^$', 'é|ß', '^[a-z]+$'];

const conditionArb: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(opArb, fieldArb, literalArb, fc.boolean()).map(([op, f, l, flip]): Expr => ({ kind: 'compare', op, left: flip ? l : f, right: flip ? f : l })) },
  fc.tuple(fc.constantFrom('in', 'notIn' as const), fieldArb, listArb).map(([op, value, items]): Expr => ({ kind: 'in', op, value, list: { kind: 'literal', type: 'list', items } })),
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom<StringFn>(...STRING_FNS), fieldArb, fc.constantFrom(...STRINGS, '%', 'a%', '_b', '%c', 'A_'), fc.boolean(), fc.constantFrom(...REGEXES))
    .map(([fn, target, s, cs, re]): Expr => ({ kind: 'stringTest', fn, target, pattern: fn === 'matches' ? re : s, caseSensitive: fn === 'like' || fn === 'matches' || cs })) },
  fc.tuple(fc.constantFrom('isNull', 'isNotNull' as const), fieldArb).map(([fn, target]): Expr => ({ kind: 'nullTest', fn, target })),
  fc.constantFrom('s1', 's2', 's3').map((segmentId): Expr => ({ kind: 'inSegment', segmentId })),
  fieldArb,
  { weight: 3, arbitrary: fc.tuple(fieldArb, whenArb).map(([target, when]): Expr => ({ kind: 'occurs', target, when })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('getMonth', 'getYear', 'getDayOfMonth' as const), fieldArb, opArb, literalArb, fc.boolean())
    .map(([fn, f, op, l, flip]): Expr => {
      const call: Expr = { kind: 'call', fn, target: f, args: [] };
      return { kind: 'compare', op, left: flip ? l : call, right: flip ? call : l };
    }) },
  fc.tuple(fieldArb, opArb, fc.constantFrom(0, 1, 2, 3, 4, 1.5, -1)).map(([f, op, n]): Expr => ({ kind: 'compare', op, left: { kind: 'call', fn: 'count', target: f, args: [] }, right: lit(n) })),
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('includes', 'intersects', 'supersetOf' as const), fieldArb, listArb, fc.constantFrom(...STRINGS.slice(0, 8), ...NUMBERS.slice(0, 6), true, null))
    .map(([fn, target, items, one]): Expr => ({ kind: 'call', fn, target, args: [fn === 'includes' ? lit(one) : { kind: 'literal', type: 'list', items }] })) },
  fc.tuple(fc.constantFrom('currentMonth', 'currentDayOfMonth' as const), opArb, fc.constantFrom(3, 15)).map(([fn, op, n]): Expr => ({ kind: 'compare', op, left: { kind: 'call', fn, target: null, args: [] }, right: lit(n) })),
);
const { expr: exprArb } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 3, arbitrary: conditionArb },
    fc.tuple(fc.constantFrom('and', 'or' as const), tie('expr'), tie('expr')).map(([kind, left, right]) => ({ kind, left, right }) as Expr),
    tie('expr').map((operand): Expr => ({ kind: 'not', operand })),
  ),
}));

describe('PQL push-down on FerretDB', () => {
  let client: MongoClient;
  let col: Collection<Document>;
  let docs: (PqlProfile & { _id: string })[];
  const dbName = `pql_differential_${process.pid}`;

  beforeAll(async () => {
    const cfg = testConfig();
    client = await MongoClient.connect(cfg.mongo.uri!);
    col = client.db(dbName).collection('profiles');
    docs = fc.sample(profileArb, { seed: SEED, numRuns: PROFILES }).map((p, k) => ({ _id: `p${k}`, ...p }));
    await col.insertMany(docs as unknown as Document[]);
  });
  afterAll(async () => {
    await client.db(dbName).dropDatabase();
    await client.close();
  });

  const expected = (ast: Expr) => docs.filter((p) => evaluatePql(ast, p, { now: NOW })).map((p) => p._id).sort();
  const found = async (filter: Document) => (await col.find(filter, { projection: { _id: 1 } }).toArray()).map((d) => String(d._id)).sort();
  const describeDisagreement = (ast: Expr, got: string[], want: string[]) => {
    const onlyDb = got.filter((id) => !want.includes(id));
    const onlyMemory = want.filter((id) => !got.includes(id));
    const sample = docs.find((p) => p._id === (onlyDb[0] ?? onlyMemory[0]));
    return { text: renderPql(ast), filter: compileToMongo(ast, OPTS), onlyDb, onlyMemory, sample: sample?.entity };
  };

  it(`agrees with the evaluator on ${EXPRESSIONS} generated expressions`, async () => {
    const started = Date.now();
    const asts = fc.sample(exprArb, { seed: SEED + 1, numRuns: EXPRESSIONS });
    const refused = asts.filter((a) => compileToMongo(a, OPTS) === null).map(renderPql);
    expect(refused.slice(0, 5)).toEqual([]);
    const disagreements: unknown[] = [];

    // 1. Literally: find(filter) returns the ids the evaluator accepts, for the first few hundred.
    const DIRECT = Math.min(Number(process.env.PQL_DIFF_DIRECT ?? 100), asts.length);
    for (const ast of asts.slice(0, DIRECT)) {
      const [got, want] = [await found(compileToMongo(ast, OPTS)!), expected(ast)];
      if (got.join() !== want.join()) disagreements.push(describeDisagreement(ast, got, want));
    }

    // 2. All of them, batched. FerretDB spends ~0.25 ms of CPU per document per query reading
    // the collection and ~0.2 ms per expression per document evaluating our guarded filters, so
    // one query per expression over every profile (3 million pairs) would take ~10 minutes.
    // Instead each query asks for the documents on which any of BATCH expressions disagrees with
    // the evaluator, (not accepted in memory ∧ filter) ∨ (accepted ∧ ¬filter), over a slice of
    // SLICE profiles that rotates from batch to batch (so every profile meets thousands of
    // expressions). The answer must be empty; a non-empty one is narrowed down per expression.
    const BATCH = 100;
    const SLICE = Number(process.env.PQL_DIFF_SLICE ?? 30);
    let pairs = 0;
    let matched = 0;
    let queries = DIRECT;
    const batches = Array.from({ length: Math.ceil(asts.length / BATCH) }, (_, b) => b);
    const runBatch = async (b: number) => {
      const batch = asts.slice(b * BATCH, (b + 1) * BATCH);
      const slice = Array.from({ length: Math.min(SLICE, docs.length) }, (_, k) => docs[(b * SLICE + k) % docs.length]);
      const ids = slice.map((p) => p._id);
      const wants = batch.map((ast) => slice.filter((p) => evaluatePql(ast, p, { now: NOW })).map((p) => p._id).sort());
      pairs += batch.length * slice.length;
      matched += wants.reduce((n, w) => n + w.length, 0);
      const probes = batch.map((ast, j) => {
        const filter = compileToMongo(ast, OPTS)!;
        // Whichever of the accepted ids and the rejected ids is the shorter list.
        const rejected = ids.filter((id) => !wants[j].includes(id));
        const accepted = wants[j].length <= rejected.length ? { _id: { $in: wants[j] } } : { _id: { $nin: rejected } };
        return { $or: [{ $and: [{ $nor: [accepted] }, filter] }, { $and: [accepted, { $nor: [filter] }] }] };
      });
      queries++;
      if ((await found({ $and: [{ _id: { $in: ids } }, { $or: probes }] })).length === 0) return;
      for (const [j, ast] of batch.entries()) {
        queries++;
        const got = await found({ $and: [{ _id: { $in: ids } }, compileToMongo(ast, OPTS)!] });
        if (got.join() !== wants[j].join()) disagreements.push(describeDisagreement(ast, got, wants[j]));
      }
    };
    // Two queries in flight keep both of FerretDB's cores busy.
    for (let k = 0; k < batches.length; k += 2) await Promise.all(batches.slice(k, k + 2).map(runBatch));
    const seconds = (Date.now() - started) / 1000;
    console.log(`pql differential: ${docs.length} profiles; ${DIRECT} expressions one find each over all of them; ${asts.length} expressions in batches of ${BATCH} over rotating slices of ${SLICE} (${pairs} expression×profile pairs, ${matched} matching); ${queries} queries; ${seconds.toFixed(1)} s; ${disagreements.length} disagreements`);
    expect(disagreements.slice(0, 3)).toEqual([]);
    expect(disagreements).toHaveLength(0);
  }, 600_000);
});
