import { realApp } from '../helpers/env';

const PROFILE = 'https://ns.adobe.com/xdm/context/profile';
const EVENT = 'https://ns.adobe.com/xdm/context/experienceevent';
const IDENTITY_MAP = 'https://ns.adobe.com/xdm/context/identitymap';
const IMPORT = '/data/foundation/import';
const CATALOG = '/data/foundation/catalog';
const UPS = '/data/core/ups';
const ENTITIES = `${UPS}/access/entities`;
const ECID = '12345678901234567890123456789012345678';

/**
 * Profile access on the real stack: data ingested through the batch API into two profile datasets
 * (CRM keyed by email, web keyed by ECID and linked to the email) and an event dataset, then read
 * back under the default policy, other merge policies (computed on read), with fields, explain,
 * in bulk, events paged, deleted, and never across sandboxes.
 */
describe('API: profile access (/data/core/ups/access/entities)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  const sandbox = `pa-${process.pid}`;
  const other = `pa-other-${process.pid}`;
  let crmDs: string;
  let webDs: string;
  let eventDs: string;
  let webBatch: string;

  const call = async (method: string, path: string, body?: unknown, sb = sandbox) => {
    const res = await t.request(method, path, { headers: { 'x-sandbox-name': sb }, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  /** One JSON batch with one file: created, uploaded, completed, and waited for. */
  const ingest = async (datasetId: string, records: object[]) => {
    const id = (await call('POST', `${IMPORT}/batches`, { datasetId, inputFormat: { format: 'json' } })).body.id as string;
    const res = await t.app.request(`${IMPORT}/batches/${id}/datasets/${datasetId}/files/rows.json`, {
      method: 'PUT', headers: { 'x-api-key': t.cfg.api.apiKey!, 'x-sandbox-name': sandbox, 'content-type': 'application/octet-stream' }, body: records.map((r) => JSON.stringify(r)).join('\n'),
    });
    expect(res.status).toBe(200);
    expect((await call('POST', `${IMPORT}/batches/${id}?action=COMPLETE`)).status).toBe(200);
    for (let i = 0; i < 240; i++) {
      const b = (await call('GET', `${CATALOG}/batches/${id}`)).body[id];
      if (b.status === 'success') return id;
      if (b.status === 'failed') throw new Error(`batch ${id} failed: ${JSON.stringify(b.errors)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`batch ${id} did not finish within 60 s`);
  };
  const profile = async (query: string, sb = sandbox) => {
    const r = await call('GET', `${ENTITIES}?schema.name=_xdm.context.profile&${query}`, undefined, sb);
    return { ...r, entry: r.status === 200 ? (Object.values(r.body)[0] as any) : undefined };
  };
  const ann = 'entityId=ann%40example.com&entityIdNS=Email';

  beforeAll(async () => {
    t = await realApp();
    const schema = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', {
      title: 'Access customers', type: 'object',
      allOf: [{ $ref: PROFILE }, { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-person-details' }, { $ref: IDENTITY_MAP }],
    })).body;
    expect((await call('POST', '/data/foundation/schemaregistry/tenant/descriptors', {
      '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': '/personalEmail/address', 'xdm:namespace': 'Email', 'xdm:property': 'xdm:code', 'xdm:isPrimary': true,
    })).status).toBe(201);
    expect((await call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(schema['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }])).status).toBe(200);
    const dataset = async (name: string, schemaId: string, profileEnabled: boolean) =>
      (await call('POST', `${CATALOG}/dataSets`, { name, schemaRef: { id: schemaId }, ...(profileEnabled ? { tags: { unifiedProfile: ['enabled:true'] } } : {}) })).body[0].split('/').pop() as string;
    crmDs = await dataset('CRM', schema.$id, true);
    webDs = await dataset('Web', schema.$id, true);
    const events = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', { title: 'Access events', type: 'object', allOf: [{ $ref: EVENT }, { $ref: IDENTITY_MAP }] })).body;
    eventDs = await dataset('Events', events.$id, false);

    // CRM first, web later: under timestamp order the web's first name is newer.
    await ingest(crmDs, [
      { personalEmail: { address: 'ann@example.com' }, person: { name: { firstName: 'Ann', lastName: 'Lee' }, birthDate: '1990-01-01' } },
      { personalEmail: { address: 'bob@example.com' }, person: { name: { firstName: 'Bob' } } },
    ]);
    webBatch = await ingest(webDs, [{ identityMap: { ECID: [{ id: ECID, primary: true }], Email: [{ id: 'Ann@Example.com' }] }, person: { name: { firstName: 'Annie' } } }]);
    // Seven events of Ann, three and three sharing a timestamp, so pages split ties.
    const at = ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z', '2024-05-02T10:00:00Z', '2024-05-02T10:00:00Z', '2024-05-02T10:00:00Z', '2024-05-03T10:00:00Z'];
    await ingest(eventDs, at.map((timestamp, i) => ({ _id: `ev${i}`, timestamp, eventType: 'web.webpagedetails.pageViews', identityMap: { Email: [{ id: 'ann@example.com', primary: true }] } })));
  });
  afterAll(() => t?.close());

  it('GET merges the graph under the default policy: attribute by attribute, latest write wins, identities from the graph', async () => {
    const { status, entry, body } = await profile(ann);
    expect(status).toBe(200);
    expect(Object.keys(body)).toHaveLength(1);
    expect(entry.entity).toMatchObject({ person: { name: { firstName: 'Annie', lastName: 'Lee' }, birthDate: '1990-01-01' }, identityMap: { ECID: [{ id: ECID }], Email: [{ id: 'ann@example.com' }] } });
    expect(entry.sources.sort()).toEqual([crmDs, webDs].sort());
    expect(entry.mergePolicy).toMatchObject({ id: `${sandbox}-default-timestamp-ordered` });
    // Ingestion materialised it under that policy version, so it is served as stored.
    expect((await t.deps.stores.profiles.getProfile(sandbox, entry.entityId))?.mergePolicy).toEqual({ id: `${sandbox}-default-timestamp-ordered`, version: 1 });
    // Merged on read (explain forces it) it equals the profile ingestion materialised.
    const { _explain, ...computed } = (await profile(`${ann}&explain=true`)).entry.entity;
    expect(_explain.attributes['person.name.lastName'].datasetId).toBe(crmDs);
    expect(computed).toEqual(entry.entity);
    // The same profile through its other identity.
    expect((await profile(`entityId=${ECID}&entityIdNS=ECID`)).entry.entityId).toBe(entry.entityId);
  });

  it('projects `fields` into nested objects', async () => {
    const full = (await profile(ann)).entry.entity;
    const { entry } = await profile(`${ann}&fields=person.name.firstName,identityMap`);
    expect(entry.entity).toEqual({ person: { name: { firstName: 'Annie' } }, identityMap: full.identityMap });
    expect(full.identityMap).toMatchObject({ ECID: [{ id: ECID }], Email: [{ id: 'ann@example.com' }] });
  });

  it('explain=true says where each attribute came from (dataset, batch, record, time)', async () => {
    const { entry } = await profile(`${ann}&explain=true&fields=person.name`);
    const frag = await t.deps.stores.profiles.fragments.findOne({ _id: `${sandbox}|${webDs}|ECID:${ECID}` });
    const batchKept = !!(frag as any)?.pathBatch; // batch per attribute is written by ingestion once it keeps it
    expect(entry.entity._explain.attributes).toEqual({
      'person.name.firstName': { datasetId: webDs, recordKey: `ECID:${ECID}`, batchId: batchKept ? webBatch : null, timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      'person.name.lastName': { datasetId: crmDs, recordKey: 'Email:ann@example.com', batchId: batchKept ? expect.any(String) : null, timestamp: expect.any(String) },
    });
    expect(Date.parse(entry.entity._explain.attributes['person.name.firstName'].timestamp)).toBeGreaterThanOrEqual(Date.parse(entry.entity._explain.attributes['person.name.lastName'].timestamp));
  });

  it('mergePolicyId computes the profile on read: dataset precedence and no stitching give other winners', async () => {
    const crmFirst = await call('POST', `${UPS}/config/mergePolicies`, { name: 'CRM first', schema: { name: '_xdm.context.profile' }, identityGraph: { type: 'pdg' }, attributeMerge: { type: 'dataSetPrecedence', order: [crmDs, webDs] } });
    expect(crmFirst.status).toBe(200);
    const a = await profile(`${ann}&mergePolicyId=${crmFirst.body.id}`);
    expect(a.entry.entity.person.name).toEqual({ firstName: 'Ann', lastName: 'Lee' });
    expect(a.entry.mergePolicy).toEqual({ id: crmFirst.body.id, version: 1 });

    const unstitched = (await call('POST', `${UPS}/config/mergePolicies`, { name: 'No stitching', schema: { name: '_xdm.context.profile' }, identityGraph: { type: 'none' }, attributeMerge: { type: 'timestampOrdered' } })).body;
    const viaEcid = await profile(`entityId=${ECID}&entityIdNS=ECID&mergePolicyId=${unstitched.id}`);
    expect(viaEcid.entry.entity).toMatchObject({ person: { name: { firstName: 'Annie' } }, identityMap: { ECID: [{ id: ECID }] } });
    expect(viaEcid.entry.entity.person.name.lastName).toBeUndefined();
    expect(viaEcid.entry.entity.identityMap.Email).toBeUndefined();
    expect(viaEcid.entry.sources).toEqual([webDs]);
    expect((await profile(`${ann}&mergePolicyId=${unstitched.id}`)).entry.entity.person.name).toEqual({ firstName: 'Ann', lastName: 'Lee' });

    const unknown = await profile(`${ann}&mergePolicyId=nope`);
    expect(unknown).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^mergePolicyId: merge policy "nope"/) } });

    // Making the precedence policy the default: reads without mergePolicyId follow it at once.
    expect((await call('PATCH', `${UPS}/config/mergePolicies/${crmFirst.body.id}`, [{ op: 'replace', path: '/default', value: true }])).body).toMatchObject({ default: true, version: 2 });
    expect((await profile(ann)).entry.entity.person.name.firstName).toBe('Ann');
    const old = (await call('GET', `${UPS}/config/mergePolicies/${sandbox}-default-timestamp-ordered`)).body;
    expect(old).toMatchObject({ default: false, version: 2 });
    expect((await call('PATCH', `${UPS}/config/mergePolicies/${old.id}`, [{ op: 'replace', path: '/default', value: true }])).status).toBe(200);
    expect((await profile(ann)).entry.entity.person.name.firstName).toBe('Annie');
  });

  it('answers 404 for an identity without a profile, and 422 "too many related identities" over the graph limit', async () => {
    expect((await profile('entityId=nobody%40example.com&entityIdNS=Email')).status).toBe(404);
    expect((await profile('entityId=x&entityIdNS=NoSuchNs')).body.detail).toMatch(/^entityIdNS: unknown identity namespace/);
    expect((await call('GET', `${ENTITIES}?schema.name=_xdm.context.profile&entityIdNS=Email`)).status).toBe(422);
    // A graph over the limit (ingestion keeps graphs under it, so it is written directly).
    const graphId = `gbig${process.pid}`;
    await t.deps.stores.identities.coll.insertMany(Array.from({ length: 51 }, (_, i) => ({ _id: `${sandbox}|CRMID:big${i}`, sandbox, ns: 'CRMID', id: `big${i}`, graphId, firstSeen: Date.now() })));
    const big = await profile('entityId=big7&entityIdNS=CRMID');
    expect(big).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^too many related identities/) } });
    const bulk = await call('POST', ENTITIES, { schema: { name: '_xdm.context.profile' }, identities: [{ entityId: 'big7', entityIdNS: { code: 'CRMID' } }, { entityId: 'bob@example.com', entityIdNS: { code: 'Email' } }] });
    expect(bulk.status).toBe(200);
    expect(Object.values(bulk.body).map((p: any) => p.entity.person.name.firstName)).toEqual(['Bob']);
  });

  it('POST looks up many identities at once: one entry per profile, unknown identities left out', async () => {
    const r = await call('POST', ENTITIES, {
      schema: { name: '_xdm.context.profile' }, fields: ['person.name.firstName'],
      identities: [{ entityId: 'ann@example.com', entityIdNS: { code: 'Email' } }, { entityId: ECID, entityIdNS: { code: 'ECID' } }, { entityId: 'bob@example.com', entityIdNS: { code: 'email' } }, { entityId: 'ghost@example.com', entityIdNS: { code: 'Email' } }],
    });
    expect(r.status).toBe(200);
    expect(Object.values(r.body).map((p: any) => p.entity).sort((a: any, b: any) => a.person.name.firstName.localeCompare(b.person.name.firstName))).toEqual([{ person: { name: { firstName: 'Annie' } } }, { person: { name: { firstName: 'Bob' } } }]);
    for (const [k, p] of Object.entries(r.body)) expect((p as any).entityId).toBe(k);

    const many = Array.from({ length: 101 }, (_, i) => ({ entityId: `u${i}@example.com`, entityIdNS: { code: 'Email' } }));
    expect(await call('POST', ENTITIES, { schema: { name: '_xdm.context.profile' }, identities: many })).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^identities: at most 100/) } });
    expect(await call('POST', ENTITIES, { schema: { name: '_xdm.context.profile' }, identities: [{ entityId: 'a', entityIdNS: { code: 'Nope' } }] })).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^identities\[0\]\.entityIdNS\.code/) } });
    expect((await call('POST', ENTITIES, { schema: { name: '_xdm.context.profile' }, identities: [] })).status).toBe(400);
  });

  it('pages events: no duplicates and no gaps across pages even with equal timestamps, and no next link on the last page', async () => {
    const base = `${ENTITIES}?schema.name=_xdm.context.experienceevent&relatedSchema.name=_xdm.context.profile&relatedEntityId=${ECID}&relatedEntityIdNS=ECID`;
    const walk = async (first: string) => {
      const pages: any[] = [];
      let href = first;
      while (href) {
        const r = await call('GET', href);
        expect(r.status).toBe(200);
        pages.push(r.body);
        href = r.body._links.next.href;
        expect(pages.length).toBeLessThan(10);
      }
      return pages;
    };
    const desc = await walk(`${base}&limit=2`);
    expect(desc.map((p) => p._page.count)).toEqual([2, 2, 2, 1]);
    expect(desc[3]._page.next).toBe('');
    const ids = desc.flatMap((p) => p.children.map((e: any) => e.entityId));
    expect(ids).toEqual(['ev6', 'ev5', 'ev4', 'ev3', 'ev2', 'ev1', 'ev0']);
    const ts = desc.flatMap((p) => p.children.map((e: any) => e.timestamp));
    expect(ts).toEqual([...ts].sort((a, b) => b - a));
    expect(desc[0].children[0]).toMatchObject({ timestamp: Date.parse('2024-05-03T10:00:00Z'), entity: { eventType: 'web.webpagedetails.pageViews' } });

    const asc = await walk(`${base}&limit=3&orderby=timestamp`);
    expect(asc.flatMap((p) => p.children.map((e: any) => e.entityId))).toEqual(['ev0', 'ev1', 'ev2', 'ev3', 'ev4', 'ev5', 'ev6']);
    const window = await walk(`${base}&limit=1&startTime=${Date.parse('2024-05-02T00:00:00Z')}&endTime=2024-05-03T00:00:00Z&fields=eventType`);
    expect(window.flatMap((p) => p.children.map((e: any) => e.entityId))).toEqual(['ev5', 'ev4', 'ev3']);
    expect(window[0].children[0].entity).toEqual({ eventType: 'web.webpagedetails.pageViews' });

    expect((await call('GET', `${base}&start=garbage`)).status).toBe(400);
    expect((await call('GET', `${base}&startTime=yesterday`)).body.detail).toMatch(/^startTime/);
    expect((await call('GET', `${ENTITIES}?schema.name=_xdm.context.experienceevent&relatedEntityId=x`)).status).toBe(422);
  });

  it('keeps sandboxes apart: a profile in one sandbox is not found from another', async () => {
    expect((await profile(ann, other)).status).toBe(404);
    expect((await call('POST', ENTITIES, { identities: [{ entityId: 'ann@example.com', entityIdNS: { code: 'Email' } }] }, other)).body).toEqual({});
    const ev = await call('GET', `${ENTITIES}?schema.name=_xdm.context.experienceevent&relatedEntityId=ann%40example.com&relatedEntityIdNS=Email`, undefined, other);
    expect(ev.body).toMatchObject({ _page: { count: 0 }, children: [] });
    expect((await call('DELETE', `${ENTITIES}?schema.name=_xdm.context.profile&${ann}`, undefined, other)).status).toBe(404);
    expect((await profile(ann)).status).toBe(200);
  });

  it('DELETE removes the profile (fragments, events, merged profile) but not its identity links; then GET is 404', async () => {
    const before = (await profile(ann)).entry;
    const del = await call('DELETE', `${ENTITIES}?schema.name=_xdm.context.profile&${ann}`);
    expect(del).toMatchObject({ status: 200, body: { entityId: before.entityId, deleted: { fragments: 2, events: 7 } } });
    expect((await profile(ann)).status).toBe(404);
    expect((await profile(`entityId=${ECID}&entityIdNS=ECID`)).status).toBe(404);
    expect((await call('GET', `${ENTITIES}?schema.name=_xdm.context.experienceevent&relatedEntityId=${ECID}&relatedEntityIdNS=ECID`)).body._page.count).toBe(0);
    expect((await call('DELETE', `${ENTITIES}?schema.name=_xdm.context.profile&${ann}`)).status).toBe(404);
    expect((await t.deps.stores.identities.graphsOf(sandbox, [`ECID:${ECID}`])).get(`ECID:${ECID}`)).toBe(before.entityId);
    expect((await profile('entityId=bob%40example.com&entityIdNS=Email')).status).toBe(200);
  });
});
