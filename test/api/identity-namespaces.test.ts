import { realApp } from '../helpers/env';

const PROFILE = 'https://ns.adobe.com/xdm/context/profile';
const IDNS = '/data/core/idnamespace/identities';
const IMPORT = '/data/foundation/import';
const CATALOG = '/data/foundation/catalog';

/**
 * Identity namespaces on the real stack: custom ones per sandbox (create, list, get, update,
 * refused delete, validation) and records ingested under a custom namespace joining the graph.
 */
describe('API: identity namespaces (/data/core/idnamespace/identities)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  const sandboxA = `ns-a-${process.pid}`;
  const sandboxB = `ns-b-${process.pid}`;

  const call = async (method: string, path: string, body?: unknown, sandbox = sandboxA) => {
    const res = await t.request(method, path, { headers: { 'x-sandbox-name': sandbox }, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const loyalty = { name: 'Loyalty Member', code: 'Loyalty', description: 'Loyalty Program Member ID', idType: 'Cross_device' };
  let created: any;

  beforeAll(async () => {
    // The default database: the workers that ingest the batch read it too (sandboxes keep tests apart).
    t = await realApp();
    const r = await call('POST', IDNS, loyalty);
    expect(r.status).toBe(201);
    created = r.body;
  });
  afterAll(() => t?.close());

  it('creates a custom namespace with an id of 1,000,000 or more, and lists it after the standard ones', async () => {
    expect(created).toMatchObject({ ...loyalty, status: 'ACTIVE', custom: true, createTime: expect.any(Number), updateTime: expect.any(Number) });
    expect(created.id).toBeGreaterThanOrEqual(1_000_000);
    const second = await call('POST', IDNS, { name: 'Store card', code: 'store_card', idType: 'NON_PEOPLE' });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ idType: 'Non_people', description: '', custom: true });
    expect(second.body.id).toBeGreaterThan(created.id);

    const list = await call('GET', IDNS);
    expect(list.status).toBe(200);
    expect(list.body.find((n: any) => n.code === 'Email')).toMatchObject({ id: 6, custom: false, status: 'ACTIVE' });
    expect(list.body.filter((n: any) => n.custom).map((n: any) => n.code)).toEqual(['Loyalty', 'store_card']);
  });

  it('gets a namespace by numeric id or by code (any case); an unknown one is a 404', async () => {
    expect((await call('GET', `${IDNS}/${created.id}`)).body).toEqual(created);
    expect((await call('GET', `${IDNS}/loyalty`)).body).toEqual(created);
    expect((await call('GET', `${IDNS}/7`)).body).toMatchObject({ code: 'Phone', idType: 'Phone', custom: false });
    expect((await call('GET', `${IDNS}/999999999`)).status).toBe(404);
  });

  it.each([
    ['a code taken by a custom namespace (another case)', { ...loyalty, code: 'LOYALTY' }, 409, /^code: .*"LOYALTY" already exists/],
    ['a code taken by a standard namespace', { ...loyalty, code: 'email' }, 409, /^code: .*"email" already exists/],
    ['a code with a hyphen', { ...loyalty, code: 'loyalty-id' }, 422, /^code: .*letters, digits or underscores/],
    ['a code over 50 characters', { ...loyalty, code: 'x'.repeat(51) }, 422, /^code: /],
    ['an unknown idType', { ...loyalty, code: 'Other', idType: 'Person' }, 422, /^idType: "Person" is not an identity type/],
    ['a blank name', { ...loyalty, code: 'Other', name: '   ' }, 422, /^name: /],
    ['no name', { code: 'Other', idType: 'Device' }, 400, /^name: /],
  ])('refuses %s, naming the field', async (_what, body, status, detail) => {
    const r = await call('POST', IDNS, body);
    expect(r.status).toBe(status);
    expect(r.body.detail).toMatch(detail);
  });

  it('updates name and description only; code and idType cannot change', async () => {
    const r = await call('PUT', `${IDNS}/${created.id}`, { name: 'Loyalty member (gold)', description: 'Gold tier' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: created.id, code: 'Loyalty', idType: 'Cross_device', name: 'Loyalty member (gold)', description: 'Gold tier' });
    expect((await call('GET', `${IDNS}/${created.id}`)).body.name).toBe('Loyalty member (gold)');
    // What a client read may be sent back whole, as long as code and idType are unchanged.
    expect((await call('PUT', `${IDNS}/Loyalty`, { ...r.body, description: 'Gold' })).status).toBe(200);
    const code = await call('PUT', `${IDNS}/${created.id}`, { code: 'Loyalty2' });
    expect(code.status).toBe(422);
    expect(code.body.detail).toMatch(/^code: /);
    const type = await call('PUT', `${IDNS}/${created.id}`, { idType: 'Device' });
    expect(type.status).toBe(422);
    expect(type.body.detail).toMatch(/^idType: /);
    expect((await call('PUT', `${IDNS}/6`, { name: 'Mail' })).status).toBe(422);
  });

  it('refuses to delete a namespace, custom or standard', async () => {
    const r = await call('DELETE', `${IDNS}/${created.id}`);
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/cannot be deleted/);
    expect((await call('DELETE', `${IDNS}/6`)).status).toBe(400);
    expect((await call('GET', `${IDNS}/${created.id}`)).status).toBe(200);
  });

  it('keeps custom namespaces to their sandbox', async () => {
    const inB = await call('GET', IDNS, undefined, sandboxB);
    expect(inB.body.some((n: any) => n.custom)).toBe(false);
    expect((await call('GET', `${IDNS}/${created.id}`, undefined, sandboxB)).status).toBe(404);
    // The same code is free in another sandbox.
    const b = await call('POST', IDNS, loyalty, sandboxB);
    expect(b.status).toBe(201);
    expect((await call('GET', IDNS, undefined, sandboxB)).body.filter((n: any) => n.custom).map((n: any) => n.code)).toEqual(['Loyalty']);
  });

  it('ingests records identified by a custom namespace into the identity graph; an unknown namespace is a row error naming it', async () => {
    const schema = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', {
      title: 'Loyalty members', type: 'object', allOf: [{ $ref: PROFILE }, { $ref: 'https://ns.adobe.com/xdm/context/identitymap' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-person-details' }],
    })).body;
    expect(schema.$id).toBeTruthy();
    expect((await call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(schema['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }])).status).toBe(200);
    const ds = (await call('POST', `${CATALOG}/dataSets`, { name: 'Loyalty members', schemaRef: { id: schema.$id }, tags: { unifiedProfile: ['enabled:true'] } })).body[0].split('/').pop();

    const rows = [
      { identityMap: { loyalty: [{ id: 'L-0001', primary: true }], Email: [{ id: 'Member1@Example.com' }] }, person: { name: { firstName: 'Ann' } } },
      { identityMap: { Loyalty: [{ id: 'L-0001', primary: true }], Phone: [{ id: '+44 (0)20 7946 0958' }] } },
      { identityMap: { NoSuchNamespace: [{ id: 'x-1', primary: true }] } },
    ];
    const batch = (await call('POST', `${IMPORT}/batches`, { datasetId: ds, inputFormat: { format: 'json' }, enableErrorDiagnostics: true, partialIngestionPercentage: 50 })).body.id;
    const put = await t.app.request(`${IMPORT}/batches/${batch}/datasets/${ds}/files/members.json`, {
      method: 'PUT', headers: { 'x-api-key': t.cfg.api.apiKey!, 'x-sandbox-name': sandboxA, 'content-type': 'application/octet-stream' }, body: rows.map((r) => JSON.stringify(r)).join('\n'),
    });
    expect(put.status).toBe(200);
    expect((await call('POST', `${IMPORT}/batches/${batch}?action=COMPLETE`)).status).toBe(200);
    let done: any;
    for (let i = 0; i < 240 && !done; i++) {
      const b = (await call('GET', `${CATALOG}/batches/${batch}`)).body[batch];
      if (b.status === 'success' || b.status === 'failed') done = b;
      else await new Promise((r) => setTimeout(r, 250));
    }
    expect(done).toMatchObject({ status: 'success', metrics: { inputRecordCount: 3, outputRecordCount: 2, failedRecordCount: 1 } });

    const meta = await call('GET', `/data/foundation/export/batches/${batch}/meta?path=row_errors`);
    const failed = await t.request('GET', `/data/foundation/export/batches/${batch}/failed?path=${encodeURIComponent(meta.body.data[0].name)}`, { headers: { 'x-sandbox-name': sandboxA } });
    const errors = (await failed.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(errors.map((e) => e.rowNumber)).toEqual([3]);
    expect(errors[0]._errors[0].message).toMatch(/"NoSuchNamespace" is unknown/);

    const byCode = await call('GET', `/data/core/identity/identity/cluster/members?ns=loyalty&id=L-0001`);
    expect(byCode.status).toBe(200);
    expect(byCode.body.members.map((m: any) => `${m.nsid}:${m.namespace}:${m.id}`).sort()).toEqual(
      [`${created.id}:Loyalty:L-0001`, '6:Email:member1@example.com', '7:Phone:+442079460958'].sort(),
    );
    const byId = await call('GET', `/data/core/identity/identity/cluster/members?nsId=${created.id}&id=L-0001`);
    expect(byId.body.members).toHaveLength(3);
    const profile = await call('GET', `/data/core/ups/access/entities?entityId=L-0001&entityIdNS=Loyalty`);
    expect(profile.status).toBe(200);
    expect((Object.values(profile.body)[0] as any).entity).toMatchObject({ person: { name: { firstName: 'Ann' } } });

    // The namespace is sandbox A's: sandbox B has its own "Loyalty" (no graph), and no "store_card".
    expect((await call('GET', `/data/core/identity/identity/cluster/members?ns=store_card&id=x`, undefined, sandboxB)).status).toBe(422);
    const unknownId = await call('GET', `/data/core/identity/identity/cluster/members?nsId=123456789&id=x`);
    expect(unknownId.status).toBe(422);
    expect(unknownId.body.detail).toMatch(/^nsId: /);
  });
});
