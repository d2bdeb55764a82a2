import { explainPql, parsePql, toPqlJson, usesEvents } from '../../domain/pql';
import { partitionOf } from '../../infra/mongo/profile.repo';
import { PREVIEW_TTL_MS } from '../../domain/segment/preview';
import { realApp } from '../helpers/env';
import { person, profileSandbox } from '../helpers/profile-data';

const UPS = '/data/core/ups';
const PURCHASED = 'exists E from xEvent where (E.eventType = "commerce.purchases")';

/** Previews, estimates and explanations on the real stack. */
describe('API: previews, estimates (/preview, /estimate) and explanations (/segment/jobs/{id}/explain)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  let s: Awaited<ReturnType<typeof profileSandbox>>;
  const until = async <T>(what: string, read: () => Promise<T>, done: (x: T) => boolean, ms = 90_000): Promise<T> => {
    let last: T | undefined;
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
      last = await read();
      if (done(last)) return last;
    }
    throw new Error(`${what}: not done within ${ms} ms; last seen ${JSON.stringify(last)}`);
  };
  const preview = async (call: typeof s.call, body: object) => {
    const r = await call('POST', `${UPS}/preview`, body);
    expect(r.status).toBe(201);
    expect(['RUNNING', 'RESULT_READY']).toContain(r.body.state);
    await until('preview', async () => (await call('GET', `${UPS}/preview/${r.body.previewId}`)).body, (p) => p.state !== 'RUNNING');
    return r.body.previewId as string;
  };
  const emailsOf = (results: any[]) => results.map((r) => (Object.values(r)[0] as any).personalEmail.address).sort();

  beforeAll(async () => {
    t = await realApp();
    s = await profileSandbox(t, `pv-${process.pid}`);
    const batch = await s.ingest([
      person('ann@example.com', { CRMID: ['crm-ann'] }, { homeAddress: { countryCode: 'US' }, person: { name: { firstName: 'Ann' } } }),
      person('bob@example.com', {}, { homeAddress: { countryCode: 'US' }, person: { name: { firstName: 'Bob' } } }),
      person('cid@example.com', {}, { homeAddress: { countryCode: 'FR' }, person: { name: { firstName: 'Cid' } } }),
      person('dee@example.com', {}, { homeAddress: { countryCode: 'US' }, person: { name: { firstName: 'Dee' } } }),
      person('eve@example.com', {}, { homeAddress: { countryCode: 'DE' } }),
      person('fay@example.com', {}, { homeAddress: { countryCode: 'FR' } }),
    ]);
    expect(batch.status).toBe('success');
  });
  afterAll(() => t?.close());

  it('previews only qualifying profiles, paged, and estimates exactly when the sample is every profile', async () => {
    const id = await preview(s.call, { predicateExpression: 'homeAddress.countryCode = "US"', predicateType: 'pql/text', predicateModel: '_xdm.context.profile', graphType: 'pdg' });
    const all = (await s.call('GET', `${UPS}/preview/${id}?limit=10`)).body;
    expect(all.state).toBe('RESULT_READY');
    expect(emailsOf(all.results)).toEqual(['ann@example.com', 'bob@example.com', 'dee@example.com']);
    const page1 = (await s.call('GET', `${UPS}/preview/${id}?limit=2`)).body;
    expect(page1.results).toHaveLength(2);
    expect(page1._links.next).toContain('offset=2');
    const page2 = (await s.call('GET', `${UPS}/preview/${id}?offset=2&limit=2`)).body;
    expect(emailsOf([...page1.results, ...page2.results])).toEqual(emailsOf(all.results));
    expect(page2._links.next).toBe('');

    const est = (await s.call('GET', `${UPS}/estimate/${id}`)).body;
    expect(est).toMatchObject({ state: 'RESULT_READY', estimatedSize: 3, confidenceInterval: '95%', estimatedSizeInterval: { low: 3, high: 3 }, exact: true, profilesRead: 6, totalRows: 6 });
    expect(est.estimatedNamespaceDistribution).toEqual(expect.arrayContaining([{ namespaceCode: 'Email', estimatedSize: 3 }, { namespaceCode: 'CRMID', estimatedSize: 1 }]));

    // pql/json gives the same answer.
    const json = JSON.stringify(toPqlJson(parsePql('homeAddress.countryCode = "US" and person.name.firstName = "Ann"')));
    const idJson = await preview(s.call, { predicateExpression: json, predicateType: 'pql/json' });
    expect(emailsOf((await s.call('GET', `${UPS}/preview/${idJson}`)).body.results)).toEqual(['ann@example.com']);
  });

  it('validates the predicate like a segment definition, and forgets previews after an hour', async () => {
    const post = (b: object) => s.call('POST', `${UPS}/preview`, { predicateType: 'pql/text', ...b });
    const syntax = await post({ predicateExpression: 'homeAddress.countryCode = ' });
    expect(syntax.status).toBe(400);
    expect(syntax.body.detail).toMatch(/^predicateExpression: /);
    const unknown = await post({ predicateExpression: 'homeAddress.nope = "US"' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).toMatch(/^predicateExpression: .*homeAddress\.nope/);
    expect((await post({ predicateExpression: 'inSegment("no-such-segment")' })).status).toBe(422);
    const model = await post({ predicateExpression: 'homeAddress.countryCode = "US"', predicateModel: '_xdm.context.experienceevent' });
    expect([model.status, model.body.detail.split(':')[0]]).toEqual([422, 'predicateModel']);
    const mp = await post({ predicateExpression: 'homeAddress.countryCode = "US"', mergePolicyId: 'nope' });
    expect([mp.status, mp.body.detail.split(':')[0]]).toEqual([422, 'mergePolicyId']);
    expect((await s.call('GET', `${UPS}/preview/nope`)).status).toBe(404);
    expect((await s.call('GET', `${UPS}/estimate/nope`)).status).toBe(404);

    const id = await preview(s.call, { predicateExpression: 'homeAddress.countryCode = "FR"' });
    await t.deps.stores.previews.update(s.sandbox, id, { createdAt: Date.now() - PREVIEW_TTL_MS - 1000 });
    expect((await s.call('GET', `${UPS}/estimate/${id}`)).status).toBe(404);
    expect(await t.deps.stores.previews.get(s.sandbox, id)).toBeNull();
  });

  it('estimates from a sample of a larger set within its 95% interval', async () => {
    const big = await profileSandbox(t, `pvbig-${process.pid}`);
    const n = 2000;
    const truth = 600; // i % 10 < 3
    const docs = Array.from({ length: n }, (_, i) => {
      const graphId = `big${String(i).padStart(6, '0')}${(i * 7919 % 65536).toString(16).padStart(4, '0')}`;
      return {
        _id: `${big.sandbox}|${graphId}`, sandbox: big.sandbox, graphId, partition: parseInt(graphId.slice(-4), 16) % 8, sources: ['x'], lastModifiedAt: Date.now(),
        entity: { homeAddress: { countryCode: i % 10 < 3 ? 'US' : 'FR' }, identityMap: { Email: [{ id: `p${i}@example.com`, primary: true }] } },
      };
    });
    await t.deps.stores.profiles.profiles.insertMany(docs);
    try {
      await estimateBig(big, n, truth);
    } finally {
      await t.deps.stores.profiles.profiles.deleteMany({ sandbox: big.sandbox });
    }
  });

  const estimateBig = async (big: typeof s, n: number, truth: number) => {
    const started = Date.now();
    const id = await preview(big.call, { predicateExpression: 'homeAddress.countryCode = "US"', sampleSize: 500 });
    const tookMs = Date.now() - started;
    const est = (await big.call('GET', `${UPS}/estimate/${id}`)).body;
    expect(est).toMatchObject({ state: 'RESULT_READY', exact: false, profilesRead: 500, totalRows: n, confidenceInterval: '95%' });
    const { low, high } = est.estimatedSizeInterval;
    expect(low).toBeLessThanOrEqual(est.estimatedSize);
    expect(high).toBeGreaterThanOrEqual(est.estimatedSize);
    // A 95% interval misses 1 time in 20; the check allows z ≈ 3.3 (1 in 1000) so the test does not flake.
    const half = (high - low) / 2;
    expect(Math.abs(est.estimatedSize - truth)).toBeLessThanOrEqual(half * 1.7);
    console.log(`[estimate] n=${n} sample=500 (${est.sampling}) truth=${truth} estimate=${est.estimatedSize} [${low}, ${high}] error=${((est.estimatedSize - truth) / truth * 100).toFixed(1)}% in ${tookMs} ms`);
    const sample = (await big.call('GET', `${UPS}/preview/${id}?limit=100`)).body.results;
    expect(sample.every((r: any) => (Object.values(r)[0] as any).homeAddress.countryCode === 'US')).toBe(true);

    const full = await preview(big.call, { predicateExpression: 'homeAddress.countryCode = "US"' });
    expect((await big.call('GET', `${UPS}/estimate/${full}`)).body).toMatchObject({ estimatedSize: truth, exact: true, profilesRead: n, totalRows: n });
  };

  it('explains a job\'s verdict for a profile: the tree with each clause\'s value, with the job\'s now', async () => {
    const mk = async (name: string, value: string) => (await s.call('POST', `${UPS}/segment/definitions`, { name, expression: { type: 'PQL', format: 'pql/text', value } })).body.id as string;
    const usAnn = await mk('US Ann', 'homeAddress.countryCode = "US" and person.name.firstName = "Ann"');
    const other = await mk('Other', 'homeAddress.countryCode = "DE"');
    const job = (await s.call('POST', `${UPS}/segment/jobs`, [{ segmentId: usAnn }])).body;
    const done = await until('segment job', async () => (await s.call('GET', `${UPS}/segment/jobs/${job.id}`)).body, (j) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status));
    expect(done.status).toBe('SUCCEEDED');
    const explain = (email: string, segmentId = usAnn, jobId = job.id) => s.call('GET', `${UPS}/segment/jobs/${jobId}/explain?segmentId=${segmentId}&entityId=${encodeURIComponent(email)}&entityIdNS=Email`);

    const ann = await explain('ann@example.com');
    expect(ann.status).toBe(200);
    expect(ann.body).toMatchObject({ segmentId: usAnn, jobId: job.id, qualifies: true, membership: { status: 'realized' }, tree: { value: true, children: [{ value: true }, { value: true }] } });
    expect(ann.body.now).toBe(done.inputs?.now ?? new Date(done.creationTime).toISOString());

    const dee = await explain('dee@example.com');
    expect(dee.body).toMatchObject({ qualifies: false, membership: null, tree: { value: false, children: [{ value: true }, { value: false }] } });
    expect(dee.body.tree.children[1].text).toContain('firstName');
    const cid = await explain('cid@example.com');
    expect(cid.body.tree.children.map((c: any) => c.value)).toEqual([false, false]);

    expect((await explain('ann@example.com', usAnn, 'no-such-job')).status).toBe(404);
    expect((await explain('nobody@example.com')).status).toBe(404);
    const notInJob = await explain('ann@example.com', other);
    expect([notInJob.status, notInJob.body.detail.split(':')[0]]).toEqual([422, 'segmentId']);
  });

  // Event clauses need the PQL module's event support (usesEvents); until it lands this case is skipped.
  (usesEvents(parsePql(PURCHASED)) ? it : it.skip)('explains event clauses with the events that satisfied them', async () => {
    const graphs = await t.deps.stores.identities.graphsOf(s.sandbox, ['Email:ann@example.com']);
    const graphId = graphs.get('Email:ann@example.com')!;
    const timestamp = '2024-01-05T10:00:00.000Z';
    await t.deps.stores.profiles.events.insertOne({
      _id: `${s.sandbox}|evds|purchase-1`, sandbox: s.sandbox, datasetId: 'evds', batchId: 'b', graphId, partition: partitionOf(graphId), identities: ['Email:ann@example.com'],
      timestamp, eventType: 'commerce.purchases', data: { _id: 'purchase-1', timestamp, eventType: 'commerce.purchases' },
    });
    // Event fields type-check against the sandbox's ExperienceEvent union schema.
    const events = (await s.call('POST', '/data/foundation/schemaregistry/tenant/schemas', { title: `Events ${s.sandbox}`, type: 'object', allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/experienceevent' }, { $ref: 'https://ns.adobe.com/xdm/context/identitymap' }] })).body;
    expect((await s.call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(events['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }])).status).toBe(200);
    const def = await s.call('POST', `${UPS}/segment/definitions`, { name: 'Buyers', expression: { type: 'PQL', format: 'pql/text', value: `homeAddress.countryCode = "US" and ${PURCHASED}` } });
    expect([def.status, def.body.detail]).toEqual([200, undefined]);
    const segmentId = def.body.id;
    const job = (await s.call('POST', `${UPS}/segment/jobs`, [{ segmentId }])).body;
    const done = await until('segment job', async () => (await s.call('GET', `${UPS}/segment/jobs/${job.id}`)).body, (j) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status));
    expect(done.status).toBe('SUCCEEDED');
    const explain = (email: string) => s.call('GET', `${UPS}/segment/jobs/${job.id}/explain?segmentId=${segmentId}&entityId=${encodeURIComponent(email)}&entityIdNS=Email`);
    const ann = (await explain('ann@example.com')).body;
    expect(ann).toMatchObject({ qualifies: true, membership: { status: 'realized' }, tree: { children: [{ value: true }, { value: true }] } });
    // The event ids, once the PQL module's explainPql reports the events behind event clauses.
    const reportsEvents = explainPql(parsePql(PURCHASED), { entity: {}, events: [{ _id: 'x', timestamp, eventType: 'commerce.purchases' }] }, { now: new Date() }).events !== undefined;
    if (reportsEvents) expect(JSON.stringify(ann.tree.children[1])).toContain('purchase-1');
    const bob = (await explain('bob@example.com')).body;
    expect(bob).toMatchObject({ qualifies: false, tree: { children: [{ value: true }, { value: false }] } });

    // A preview of an event expression reads the sampled profiles' events.
    const pv = await preview(s.call, { predicateExpression: PURCHASED });
    expect(emailsOf((await s.call('GET', `${UPS}/preview/${pv}`)).body.results)).toEqual(['ann@example.com']);
  });
});
