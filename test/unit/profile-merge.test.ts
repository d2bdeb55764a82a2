import fc from 'fast-check';
import { composeProfile, explainMerge, mergeFragments } from '../../domain/profile/merge';
import type { Fragment } from '../../domain/profile/merge';
import { checkMergePolicy, parseFields, projectFields } from '../../domain/profile/model';
import type { MergePolicyInput } from '../../domain/profile/model';

const T = (min: number) => Date.UTC(2024, 0, 1, 0, min);
const iso = (min: number) => new Date(T(min)).toISOString();

/** A fragment whose every leaf was written at `at` (minutes) by `batch`, unless `ts` says otherwise. */
function frag(datasetId: string, recordKey: string, data: Record<string, unknown>, at: number, batch = `b-${datasetId}-${at}`, ts: Record<string, number> = {}): Fragment {
  const leaves = (o: unknown, p = ''): string[] => (o && typeof o === 'object' && !Array.isArray(o) ? Object.entries(o).flatMap(([k, v]) => leaves(v, p ? `${p}.${k}` : k)) : [p]);
  const paths = leaves(data);
  return {
    datasetId, recordKey, data,
    pathTs: Object.fromEntries(paths.map((p) => [p, T(ts[p] ?? at)])),
    pathBatch: Object.fromEntries(paths.map((p) => [p, batch])),
  };
}

// Two datasets about one person: CRM (older, authoritative names) and web (newer, partial).
const crm = frag('crm', 'Email:ann@x.com', { person: { name: { firstName: 'Ann', lastName: 'Lee' } }, loyalty: { tier: 'gold', points: 10 }, tags: ['a', 'b'] }, 1, 'b1', { 'loyalty.points': 30 });
const web = frag('web', 'ECID:1', { person: { name: { firstName: 'Annie' } }, loyalty: { points: 20 }, tags: ['c'], homeAddress: { city: 'Oslo' } }, 10, 'b2');

describe('explainMerge: timestamp ordered', () => {
  it('merges attribute by attribute: the latest write of each leaf wins, never a whole fragment', () => {
    const { entity, sources } = explainMerge([crm, web], { type: 'timestampOrdered' });
    expect(entity).toEqual({
      person: { name: { firstName: 'Annie', lastName: 'Lee' } }, // firstName from web (newer), lastName only in CRM
      loyalty: { tier: 'gold', points: 10 }, // points were updated in CRM after the web write
      tags: ['c'], // arrays are leaves: the whole newer array, never a union
      homeAddress: { city: 'Oslo' },
    });
    expect(sources).toEqual({
      'person.name.firstName': { datasetId: 'web', recordKey: 'ECID:1', timestamp: iso(10), batchId: 'b2' },
      'person.name.lastName': { datasetId: 'crm', recordKey: 'Email:ann@x.com', timestamp: iso(1), batchId: 'b1' },
      'loyalty.tier': { datasetId: 'crm', recordKey: 'Email:ann@x.com', timestamp: iso(1), batchId: 'b1' },
      'loyalty.points': { datasetId: 'crm', recordKey: 'Email:ann@x.com', timestamp: iso(30), batchId: 'b1' },
      tags: { datasetId: 'web', recordKey: 'ECID:1', timestamp: iso(10), batchId: 'b2' },
      'homeAddress.city': { datasetId: 'web', recordKey: 'ECID:1', timestamp: iso(10), batchId: 'b2' },
    });
  });

  it('breaks equal timestamps by dataset then record key, whatever the input order', () => {
    const a = frag('d1', 'Email:a@x.com', { v: 'from d1' }, 5);
    const b = frag('d2', 'Email:a@x.com', { v: 'from d2' }, 5);
    expect(mergeFragments([a, b])).toEqual({ v: 'from d2' });
    expect(mergeFragments([b, a])).toEqual({ v: 'from d2' });
  });

  it('skips nulls, never merges identityMap, and leaves out batch ids fragments do not carry', () => {
    const old: Fragment = { datasetId: 'd', recordKey: 'k', data: { a: 1, b: null, identityMap: { Email: [{ id: 'x' }] } }, pathTs: { a: T(1), b: T(9) } };
    const { entity, sources } = explainMerge([old, frag('e', 'k2', { b: 2 }, 2)]);
    expect(entity).toEqual({ a: 1, b: 2 });
    expect(sources.a).toEqual({ datasetId: 'd', recordKey: 'k', timestamp: iso(1) });
  });

  it('keeps entity and sources consistent when one dataset has a scalar where another has an object', () => {
    const { entity, sources } = explainMerge([frag('d1', 'k', { x: 'flat' }, 9), frag('d2', 'k', { x: { y: 1 } }, 1)]);
    expect(entity).toEqual({ x: { y: 1 } });
    expect(Object.keys(sources)).toEqual(['x.y']);
  });
});

describe('explainMerge: dataset precedence', () => {
  it('takes each leaf from the first dataset in order that has it, whatever the timestamps', () => {
    const { entity, sources } = explainMerge([crm, web], { type: 'dataSetPrecedence', order: ['crm', 'web'] });
    expect(entity).toEqual({ person: { name: { firstName: 'Ann', lastName: 'Lee' } }, loyalty: { tier: 'gold', points: 10 }, tags: ['a', 'b'], homeAddress: { city: 'Oslo' } });
    expect(sources['homeAddress.city'].datasetId).toBe('web'); // only web has it
    expect(mergeFragments([crm, web], { type: 'dataSetPrecedence', order: ['web', 'crm'] })).toMatchObject({ person: { name: { firstName: 'Annie', lastName: 'Lee' } }, loyalty: { points: 20 } });
  });

  it('does not merge datasets missing from the order at all', () => {
    expect(mergeFragments([crm, web], { type: 'dataSetPrecedence', order: ['crm'] })).toEqual({ person: { name: { firstName: 'Ann', lastName: 'Lee' } }, loyalty: { tier: 'gold', points: 10 }, tags: ['a', 'b'] });
    expect(mergeFragments([crm, web], { type: 'dataSetPrecedence', order: ['elsewhere'] })).toEqual({});
  });

  it('within one dataset, the later write of two records wins', () => {
    const a = frag('crm', 'Email:a@x.com', { v: 'older' }, 1);
    const b = frag('crm', 'Phone:123456', { v: 'newer' }, 2);
    expect(mergeFragments([b, a], { type: 'dataSetPrecedence', order: ['web', 'crm'] })).toEqual({ v: 'newer' });
  });
});

describe('composeProfile: identity graph none vs pdg', () => {
  const members = [{ ns: 'ECID', id: '1' }, { ns: 'Email', id: 'ann@x.com' }];
  const rule = { type: 'timestampOrdered' as const };

  it('pdg merges every fragment of the graph and shows every identity', () => {
    const v = composeProfile({ identityKey: 'ECID:1', fragments: [crm, web], members, identityGraph: 'pdg', rule, primary: 'Email:ann@x.com' });
    expect(v.entity).toMatchObject({ person: { name: { firstName: 'Annie' } }, identityMap: { ECID: [{ id: '1' }], Email: [{ id: 'ann@x.com', primary: true }] } });
    expect(v.sourceDatasets).toEqual(['crm', 'web']);
    expect(v.lastModifiedAt).toBe(T(30));
  });

  it('none takes only the fragments stored under the identity itself, and only that identity', () => {
    const v = composeProfile({ identityKey: 'Email:ann@x.com', fragments: [crm, web], members, identityGraph: 'none', rule });
    expect(v.entity).toEqual({ person: { name: { firstName: 'Ann', lastName: 'Lee' } }, loyalty: { tier: 'gold', points: 10 }, tags: ['a', 'b'], identityMap: { Email: [{ id: 'ann@x.com', primary: true }] } });
    expect(v.sourceDatasets).toEqual(['crm']);
    const viaEcid = composeProfile({ identityKey: 'ECID:1', fragments: [crm, web], members, identityGraph: 'none', rule });
    expect(viaEcid.entity.person).toEqual({ name: { firstName: 'Annie' } });
  });

  it('lists as sources only datasets a dataset-precedence policy merges', () => {
    const v = composeProfile({ identityKey: 'Email:ann@x.com', fragments: [crm, web], members, identityGraph: 'pdg', rule: { type: 'dataSetPrecedence', order: ['web'] } });
    expect(v.sourceDatasets).toEqual(['web']);
    expect(v.entity.loyalty).toEqual({ points: 20 });
  });
});

describe('timestampOrdered merge is independent of fragment order (property)', () => {
  const leaf = fc.constantFrom('a', 'b', 'c.d', 'c.e', 'f.g.h');
  const fragment = fc.record({
    datasetId: fc.constantFrom('d1', 'd2', 'd3'),
    recordKey: fc.constantFrom('Email:a@x.com', 'ECID:1', 'Phone:123456'),
    values: fc.dictionary(leaf, fc.tuple(fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { maxLength: 3 })), fc.integer({ min: 0, max: 5 }))),
  }).map(({ datasetId, recordKey, values }): Fragment => {
    const data: Record<string, unknown> = {};
    const pathTs: Record<string, number> = {};
    // The leaves are never prefixes of one another: a fragment is one consistent record.
    for (const [p, [v, ts]] of Object.entries(values)) {
      if (p.includes('.')) {
        const parts = p.split('.');
        let cur = data as Record<string, any>;
        for (const k of parts.slice(0, -1)) cur = (cur[k] ??= {});
        cur[parts[parts.length - 1]] = v;
      } else data[p] = v;
      pathTs[p] = T(ts);
    }
    return { datasetId, recordKey, data, pathTs, pathBatch: Object.fromEntries(Object.keys(pathTs).map((p) => [p, `${datasetId}-${p}`])) };
  });
  const unique = (fs: Fragment[]) => [...new Map(fs.map((f) => [`${f.datasetId}|${f.recordKey}`, f])).values()];

  it('any permutation gives the same entity and the same sources', () => {
    fc.assert(fc.property(fc.array(fragment, { maxLength: 6 }).map(unique).chain((fs) => fc.tuple(fc.constant(fs), fc.shuffledSubarray(fs, { minLength: fs.length, maxLength: fs.length }))), ([fs, shuffled]) => {
      expect(explainMerge(shuffled)).toEqual(explainMerge(fs));
      expect(explainMerge(shuffled, { type: 'dataSetPrecedence', order: ['d2', 'd1'] })).toEqual(explainMerge(fs, { type: 'dataSetPrecedence', order: ['d2', 'd1'] }));
    }), { numRuns: 300 });
  });

  it('every merged leaf holds the latest-timestamped value among the fragments that have it', () => {
    fc.assert(fc.property(fc.array(fragment, { maxLength: 6 }).map(unique), (fs) => {
      const { sources } = explainMerge(fs);
      for (const [path, s] of Object.entries(sources)) {
        const latest = Math.max(...fs.filter((f) => path in f.pathTs).map((f) => f.pathTs[path]));
        expect(Date.parse(s.timestamp)).toBe(latest);
      }
    }), { numRuns: 300 });
  });
});

describe('merge policy rules', () => {
  const base: MergePolicyInput = { name: 'p', schema: { name: '_xdm.context.profile' }, identityGraph: { type: 'pdg' }, attributeMerge: { type: 'dataSetPrecedence', order: ['crm', 'web'] }, default: false };
  const datasets = new Set(['crm', 'web']);
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as { code: string; field?: string; message: string };
    }
    throw new Error('did not throw');
  };

  it('accepts a dataset-precedence policy over profile datasets, and drops `order` from a timestamp-ordered one', () => {
    expect(checkMergePolicy(base, datasets)).toEqual(base);
    expect(checkMergePolicy({ ...base, attributeMerge: { type: 'timestampOrdered', order: ['x'] } }, datasets).attributeMerge).toEqual({ type: 'timestampOrdered' });
  });

  it('names the field and the rule it breaks', () => {
    expect(err(() => checkMergePolicy({ ...base, attributeMerge: { type: 'dataSetPrecedence', order: ['crm', 'nope'] } }, datasets))).toMatchObject({ code: 'UNPROCESSABLE', field: 'attributeMerge.order[1]', message: expect.stringMatching(/^attributeMerge\.order\[1\]: dataset nope does not exist/) });
    expect(err(() => checkMergePolicy({ ...base, attributeMerge: { type: 'dataSetPrecedence', order: [] } }, datasets))).toMatchObject({ field: 'attributeMerge.order' });
    expect(err(() => checkMergePolicy({ ...base, attributeMerge: { type: 'dataSetPrecedence', order: ['crm', 'crm'] } }, datasets))).toMatchObject({ field: 'attributeMerge.order[1]', message: expect.stringMatching(/twice/) });
    expect(err(() => checkMergePolicy({ ...base, schema: { name: '_xdm.context.experienceevent' } }, datasets))).toMatchObject({ field: 'schema.name' });
  });
});

describe('fields projection', () => {
  const entity = { person: { name: { firstName: 'Ann', lastName: 'Lee' }, birthDate: '1990-01-01' }, identityMap: { Email: [{ id: 'a' }] }, loyalty: { points: 3 } };
  it('keeps dotted paths nested as they were, and leaves out paths that hold nothing', () => {
    expect(projectFields(entity, parseFields('person.name.firstName, identityMap,nothing.here')!)).toEqual({ person: { name: { firstName: 'Ann' } }, identityMap: { Email: [{ id: 'a' }] } });
    expect(projectFields(entity, ['person.name', 'person.birthDate'])).toEqual({ person: { name: { firstName: 'Ann', lastName: 'Lee' }, birthDate: '1990-01-01' } });
    expect(parseFields(' , ')).toBeUndefined();
    expect(parseFields(['a', ' b '])).toEqual(['a', 'b']);
  });
});
