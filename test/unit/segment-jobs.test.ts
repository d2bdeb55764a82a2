import { evaluationOrder, findCycle, dependents } from '../../domain/segment/dependencies';
import { combineWatermarks, evaluateProfile, PassTotals, planSegments, profileEvents, MAX_EVENTS_PER_PROFILE } from '../../domain/segment/evaluate-partition';
import { planJobSegments } from '../../domain/segment/job';
import { checkDefinition, MAX_BATCH_SEGMENTS, MAX_STREAMING_SEGMENTS } from '../../domain/segment/definition';
import type { SegmentDefinition } from '../../domain/segment/model';

const NOW = '2026-03-01T12:00:00.000Z';
const def = (id: string, value: string, dependencies: string[] = [], batch = true): SegmentDefinition => ({
  id, name: id, profileInstanceId: 'ups', schema: { name: '_xdm.context.profile' }, expression: { type: 'PQL', format: 'pql/text', value },
  evaluationInfo: { batch: { enabled: batch }, continuous: { enabled: false }, synchronous: { enabled: false } },
  mergePolicyId: 'mp', expressionHash: `h-${id}`, dependencies, creationTime: id.charCodeAt(0), updateTime: 0, updateEpoch: 0,
});

describe('segment dependencies (inSegment)', () => {
  const graph: Record<string, string[]> = { a: ['b', 'c'], b: ['c'], c: [], d: ['a'] };
  const dependsOn = (id: string) => graph[id];

  it('orders every segment after the ones it reads, adding unrequested dependencies', () => {
    expect(evaluationOrder(['a'], dependsOn)).toEqual([
      { segmentId: 'c', dependency: true }, { segmentId: 'b', dependency: true }, { segmentId: 'a', dependency: false },
    ]);
    expect(evaluationOrder(['d', 'c'], dependsOn).map((s) => s.segmentId)).toEqual(['c', 'b', 'a', 'd']);
    expect(evaluationOrder(['d', 'c'], dependsOn).find((s) => s.segmentId === 'c')!.dependency).toBe(false);
  });

  it('finds the cycle a new dependency would close, and who reads a segment', () => {
    expect(findCycle('c', ['d'], dependsOn)).toEqual(['c', 'd', 'a', 'b', 'c']);
    expect(findCycle('d', ['b'], dependsOn)).toBeNull();
    expect(dependents('c', Object.entries(graph).map(([id, deps]) => ({ id, dependencies: deps })))).toEqual(['a', 'b']);
  });

  it('refuses a missing dependency or a cycle when planning', () => {
    expect(() => evaluationOrder(['x'], (id) => (id === 'x' ? ['gone'] : undefined))).toThrow(/gone \(read by x through inSegment\) does not exist/);
    expect(() => evaluationOrder(['p'], (id) => (id === 'p' ? ['q'] : ['p']))).toThrow(/cycle/);
  });

  it('"*" plans every batch-enabled definition, oldest first, with their dependencies', () => {
    const defs = new Map([def('a', 'inSegment("z")', ['z']), def('b', 'person.name.firstName = "B"'), def('z', 'person.name.firstName = "Z"', [], false)].map((d) => [d.id, d]));
    expect(planJobSegments(['*'], defs).map((s) => [s.segmentId, !!s.dependency])).toEqual([['z', true], ['a', false], ['b', false]]);
    expect(() => planJobSegments(['nope'], defs)).toThrow(/\[0\]\.segmentId: segment nope does not exist/);
  });
});

describe('one pass over a partition', () => {
  const segments = planJobSegments(['a', 'b'], new Map([
    def('b', 'homeAddress.countryCode = "US"'),
    def('a', 'inSegment("b") and person.name.firstName = "Ann"', ['b']),
  ].map((d) => [d.id, d])));
  const plan = planSegments(segments);

  it('gives dependents this pass\'s result of their dependencies, not the stored one', () => {
    // Stored membership says the profile is not in b, but it qualifies now: a must see that.
    const p = { _id: 'p1', entity: { homeAddress: { countryCode: 'US' }, person: { name: { firstName: 'Ann' } } }, segmentMembership: { ups: { b: { status: 'exited' as const, lastQualificationTime: '2026-01-01T00:00:00.000Z', jobId: 'old' } } } };
    const out = evaluateProfile(p, undefined, plan, { jobId: 'j1', now: NOW });
    expect(out.changes).toEqual({ b: { status: 'realized', lastQualificationTime: NOW, jobId: 'j1' }, a: { status: 'realized', lastQualificationTime: NOW, jobId: 'j1' } });
    // And the other way round: stored "in b" but no longer qualifying → a does not qualify either.
    const q = { _id: 'p2', entity: { homeAddress: { countryCode: 'FR' }, person: { name: { firstName: 'Ann' } } }, segmentMembership: { ups: { b: { status: 'existing' as const, lastQualificationTime: '2026-01-01T00:00:00.000Z', jobId: 'old' } } } };
    expect(evaluateProfile(q, undefined, plan, { jobId: 'j1', now: NOW }).changes).toEqual({ b: { status: 'exited', lastQualificationTime: NOW, jobId: 'j1' } });
  });

  it('writes changes only, and a re-evaluation by the same job changes and counts nothing new', () => {
    const p = { _id: 'p1', entity: { homeAddress: { countryCode: 'DE' } } };
    expect(evaluateProfile(p, undefined, plan, { jobId: 'j1', now: NOW }).changes).toEqual({});
    const q = { _id: 'q', entity: { homeAddress: { countryCode: 'US' } } };
    const first = evaluateProfile(q, undefined, plan, { jobId: 'j1', now: NOW });
    const again = evaluateProfile({ ...q, segmentMembership: { ups: first.changes } }, undefined, plan, { jobId: 'j1', now: NOW });
    expect(again.changes).toEqual({});
    expect(again.statuses).toEqual(first.statuses);
  });

  it('counts statuses and a watermark that does not depend on partition order', () => {
    const profiles = Array.from({ length: 10 }, (_, i) => ({ _id: `p${i}`, lastModifiedAt: 1000 + i, entity: { homeAddress: { countryCode: i % 2 ? 'US' : 'FR' } } }));
    const totals = (ps: typeof profiles) => {
      const t = new PassTotals(plan);
      for (const p of ps) t.add(p, [], evaluateProfile(p, undefined, plan, { jobId: 'j', now: NOW }));
      return t;
    };
    const all = totals(profiles);
    expect(all.bySegment.b).toEqual({ realized: 5, existing: 0, exited: 0 });
    const split = combineWatermarks([totals(profiles.slice(5)).watermark(), totals(profiles.slice(0, 5)).watermark()]);
    expect(split).toEqual(all.watermark());
    expect(split).toMatchObject({ profiles: 10, events: 0, maxLastModifiedAt: 1009 });
    const changed = totals(profiles.map((p, i) => (i === 3 ? { ...p, lastModifiedAt: 5000 } : p))).watermark();
    expect(changed.hash).not.toBe(all.watermark().hash);
  });

  it('hands PQL at most the newest MAX_EVENTS_PER_PROFILE events, oldest first', () => {
    const events = Array.from({ length: MAX_EVENTS_PER_PROFILE + 2 }, (_, i) => ({ _id: `e${i}`, timestamp: new Date(Date.parse(NOW) - i * 1000).toISOString(), eventType: 'web', data: { web: { x: i } } }));
    const out = profileEvents(events);
    expect(out).toHaveLength(MAX_EVENTS_PER_PROFILE);
    expect(out[out.length - 1]).toMatchObject({ _id: 'e0', timestamp: NOW, eventType: 'web', web: { x: 0 } });
    expect(out[0]._id).toBe(`e${MAX_EVENTS_PER_PROFILE - 1}`);
  });
});

describe('membership writes of stable audiences', () => {
  const plan = planSegments(planJobSegments(['b'], new Map([def('b', 'homeAddress.countryCode = "US"')].map((d) => [d.id, d]))));
  it('leaves an existing member unwritten but counts it as existing', () => {
    const p = { _id: 'p', entity: { homeAddress: { countryCode: 'US' } }, segmentMembership: { ups: { b: { status: 'existing' as const, lastQualificationTime: '2026-01-01T00:00:00.000Z', jobId: 'j0' } } } };
    expect(evaluateProfile(p, undefined, plan, { jobId: 'j1', now: NOW })).toEqual({ changes: {}, statuses: { b: 'existing' } });
    const gone = { ...p, segmentMembership: { ups: { b: { ...p.segmentMembership.ups.b, status: 'exited' as const } } } };
    expect(evaluateProfile({ ...gone, entity: {} }, undefined, plan, { jobId: 'j1', now: NOW })).toEqual({ changes: {}, statuses: { b: undefined } });
  });
});

describe('definition checks (create and update)', () => {
  const fields = new Map([['homeAddress', 'object'], ['homeAddress.countryCode', 'string']] as const);
  const ctx = (others: SegmentDefinition[]) => ({ profileFields: fields, eventFields: new Map(), others: new Map(others.map((o) => [o.id, o])) });
  const info = (continuous: boolean, batch = true) => ({ batch: { enabled: batch }, continuous: { enabled: continuous }, synchronous: { enabled: false } });
  const expr = (value: string) => ({ type: 'PQL' as const, format: 'pql/text' as const, value });

  it('returns the canonical text and dependencies; refuses unknown targets, self and cycles', () => {
    const b = def('b', 'homeAddress.countryCode = "US"');
    const a = def('a', 'inSegment("b")', ['b']);
    expect(checkDefinition('x', { expression: expr('inSegment("a")   and homeAddress.countryCode="FR"'), evaluationInfo: info(false) }, ctx([a, b]))).toMatchObject({ dependencies: ['a'], canonical: 'inSegment("a") and homeAddress.countryCode = "FR"' });
    expect(() => checkDefinition('x', { expression: expr('inSegment("zz")'), evaluationInfo: info(false) }, ctx([a, b]))).toThrow('expression: inSegment("zz") names a segment that does not exist');
    expect(() => checkDefinition('b', { expression: expr('inSegment("b")'), evaluationInfo: info(false) }, ctx([a]))).toThrow(/depend on itself/);
    expect(() => checkDefinition('b', { expression: expr('inSegment("a")'), evaluationInfo: info(false) }, ctx([a]))).toThrow('expression: inSegment would create a cycle: b → a → b');
    expect(() => checkDefinition('x', { expression: expr('homeAddress.city = "x"'), evaluationInfo: info(false) }, ctx([]))).toThrow(/homeAddress\.city/);
  });

  it('applies the streaming (500) and batch (4000) guardrails', () => {
    const many = (n: number, continuous: boolean) => Array.from({ length: n }, (_, i) => ({ ...def(`s${i}`, 'homeAddress.countryCode = "US"'), evaluationInfo: info(continuous) }));
    expect(() => checkDefinition('x', { expression: expr('homeAddress.countryCode = "US"'), evaluationInfo: info(true) }, ctx(many(MAX_STREAMING_SEGMENTS, true)))).toThrow(/^evaluationInfo\.continuous\.enabled: a sandbox holds at most 500 streaming/);
    expect(() => checkDefinition('x', { expression: expr('homeAddress.countryCode = "US"'), evaluationInfo: info(false) }, ctx(many(MAX_BATCH_SEGMENTS, false)))).toThrow(/^evaluationInfo\.batch\.enabled: a sandbox holds at most 4000 batch/);
    expect(() => checkDefinition('x', { expression: expr('homeAddress.countryCode = "US"'), evaluationInfo: info(false, false) }, ctx(many(MAX_BATCH_SEGMENTS, false)))).not.toThrow();
  });
});
