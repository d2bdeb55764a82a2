import fc from 'fast-check';
import { checkExportFields, exportProfileFilter, exportRecord, selectedForExport } from '../../domain/segment/export';
import type { ExportFilter } from '../../domain/segment/export';
import { estimateAudience } from '../../domain/segment/preview';
import type { XdmType } from '../../domain/xdm';

const schema = new Map<string, XdmType>([
  ['personalEmail', 'object'], ['personalEmail.address', 'string'], ['person', 'object'], ['person.name', 'object'], ['person.name.firstName', 'string'],
  ['identityMap', 'map'], ['phones', 'array'], ['segmentMembership', 'map'],
]);
const entity = {
  personalEmail: { address: 'a@x.com' }, person: { name: { firstName: 'A', lastName: 'Z' } }, loyalty: { points: 3 },
  phones: [{ number: '1', type: 'home' }, { number: '2' }],
  identityMap: { Email: [{ id: 'a@x.com' }], CRMID: [{ id: 'c1', primary: true }] },
};

describe('export records', () => {
  it('projects fields into nested objects, through arrays item by item', () => {
    expect(exportRecord({ entity }, ['person.name.firstName', 'personalEmail.address', 'phones.number'], schema)).toEqual({
      person: { name: { firstName: 'A' } }, personalEmail: { address: 'a@x.com' }, phones: [{ number: '1' }, { number: '2' }],
    });
  });
  it('writes identities.* as identityMap, or as the legacy list when the schema has one', () => {
    expect(exportRecord({ entity }, ['identities.id'], schema)).toEqual({ identityMap: entity.identityMap });
    const legacy = new Map([...schema, ['identities', 'array' as XdmType]]);
    expect(exportRecord({ entity }, ['identities.id', 'identities.namespace.code'], legacy)).toEqual({ identities: [{ id: 'a@x.com', namespace: { code: 'Email' } }, { id: 'c1', namespace: { code: 'CRMID' } }] });
  });
  it('without fields keeps what the schema declares, memberships without job ids', () => {
    const seg = { s1: { status: 'realized' as const, lastQualificationTime: '2024-01-01T00:00:00.000Z', jobId: 'j' } };
    expect(exportRecord({ entity, segmentMembership: seg }, undefined, schema)).toEqual({
      personalEmail: entity.personalEmail, person: { name: { firstName: 'A' } }, phones: entity.phones, identityMap: entity.identityMap,
      segmentMembership: { ups: { s1: { status: 'realized', lastQualificationTime: '2024-01-01T00:00:00.000Z' } } },
    });
  });
  it('checks fields against the schema', () => {
    expect(checkExportFields(' identities.id, personalEmail.address ,identityMap.Email', schema)).toEqual(['identities.id', 'personalEmail.address', 'identityMap.Email']);
    expect(checkExportFields(undefined, schema)).toBeUndefined();
    expect(() => checkExportFields('loyalty.points', schema)).toThrow(/^fields: "loyalty.points" is not a field/);
    expect(() => checkExportFields('personalEmail.address,,b', schema)).toThrow(/^fields: entry 2 is empty/);
    expect(() => checkExportFields('a..b', schema)).toThrow(/^fields: "a..b" is not a dotted field path/);
  });
  it('the Mongo filter names the membership paths the in-memory selection reads', () => {
    const f: ExportFilter = { segments: [{ segmentId: 's1', segmentNs: 'ups', status: ['realized'] }], segmentQualificationTime: { startTime: '2024-01-01T00:00:00.000Z' }, emptyProfiles: false };
    expect(exportProfileFilter(f)).toEqual({ $and: [
      { $or: [{ 'segmentMembership.ups.s1.status': { $in: ['realized'] }, 'segmentMembership.ups.s1.lastQualificationTime': { $gte: '2024-01-01T00:00:00.000Z' } }] },
      { 'sources.0': { $exists: true } },
    ] });
    const p = (status: 'realized' | 'existing', t: string, sources = ['d']) => ({ sources, segmentMembership: { ups: { s1: { status, lastQualificationTime: t } } } });
    expect(selectedForExport(p('realized', '2024-02-01T00:00:00.000Z'), f)).toBe(true);
    expect(selectedForExport(p('existing', '2024-02-01T00:00:00.000Z'), f)).toBe(false);
    expect(selectedForExport(p('realized', '2023-02-01T00:00:00.000Z'), f)).toBe(false);
    expect(selectedForExport(p('realized', '2024-02-01T00:00:00.000Z', []), f)).toBe(false);
  });
});

describe('audience estimates', () => {
  it('is exact when the sample is the population', () => {
    expect(estimateAudience(37, 100, 100)).toEqual({ estimatedSize: 37, low: 37, high: 37, exact: true });
    expect(estimateAudience(0, 0, 0)).toEqual({ estimatedSize: 0, low: 0, high: 0, exact: true });
  });
  it('gives an interval around the estimate within what the sample proves', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (N, fn, fk) => {
      const n = Math.max(1, Math.floor(fn * (N - 1)));
      const k = Math.floor(fk * n);
      const e = estimateAudience(k, n, N);
      return e.low <= e.estimatedSize && e.estimatedSize <= e.high && e.low >= k && e.high <= N - (n - k);
    }));
  });
  it('covers the true proportion about 95% of the time (simulated samples without replacement)', () => {
    let seed = 42;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const N = 5000;
    const truth = 400;
    const n = 500;
    let covered = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      // k ~ hypergeometric(N, truth, n) by partial Fisher–Yates over indices
      const idx = Array.from({ length: N }, (_, i) => i);
      let k = 0;
      for (let i = 0; i < n; i++) {
        const j = i + Math.floor(rand() * (N - i));
        [idx[i], idx[j]] = [idx[j], idx[i]];
        if (idx[i] < truth) k++;
      }
      const e = estimateAudience(k, n, N);
      if (e.low <= truth && truth <= e.high) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.92);
  });
});
