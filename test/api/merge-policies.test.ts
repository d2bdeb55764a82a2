import { realApp } from '../helpers/env';

const PATH = '/data/core/ups/config/mergePolicies';
const CATALOG = '/data/foundation/catalog';

/**
 * Merge policies CRUD on the real stack, with AEP's rules: the sandbox default created on first use,
 * at most 5 per sandbox, exactly one default, version +1 on every change, dataset precedence only
 * over the sandbox's Profile datasets.
 */
describe('API: merge policies (/data/core/ups/config/mergePolicies)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  const sandbox = `mp-${process.pid}`;
  const defaultId = `${sandbox}-default-timestamp-ordered`;
  let crmDs: string;
  let webDs: string;
  let lakeOnlyDs: string;

  const call = async (method: string, path: string, body?: unknown, sb = sandbox) => {
    const res = await t.request(method, path, { headers: { 'x-sandbox-name': sb }, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const policy = (over: object = {}) => ({ name: 'p', schema: { name: '_xdm.context.profile' }, identityGraph: { type: 'pdg' }, attributeMerge: { type: 'timestampOrdered' }, ...over });
  const all = async () => (await call('GET', `${PATH}?limit=100`)).body.children as any[];

  beforeAll(async () => {
    t = await realApp();
    const schema = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', {
      title: 'Policy customers', type: 'object', allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/profile' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' }],
    })).body;
    await call('POST', '/data/foundation/schemaregistry/tenant/descriptors', {
      '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': '/personalEmail/address', 'xdm:namespace': 'Email', 'xdm:property': 'xdm:code', 'xdm:isPrimary': true,
    });
    await call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(schema['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }]);
    const dataset = async (name: string, profile: boolean) =>
      (await call('POST', `${CATALOG}/dataSets`, { name, schemaRef: { id: schema.$id }, ...(profile ? { tags: { unifiedProfile: ['enabled:true'] } } : {}) })).body[0].split('/').pop() as string;
    crmDs = await dataset('CRM', true);
    webDs = await dataset('Web', true);
    lakeOnlyDs = await dataset('Lake only', false);
  });
  afterAll(() => t?.close());

  it('a sandbox starts with its default policy: timestamp ordered over the private graph', async () => {
    const list = await call('GET', PATH);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ _page: { totalCount: 1, pageSize: 1, next: '' }, _links: { next: { href: '' } } });
    expect(list.body.children).toEqual([{ id: defaultId, name: expect.any(String), schema: { name: '_xdm.context.profile' }, version: 1, identityGraph: { type: 'pdg' }, attributeMerge: { type: 'timestampOrdered' }, default: true, updateEpoch: expect.any(Number) }]);
    expect((await call('GET', `${PATH}/${defaultId}`)).body).toMatchObject({ id: defaultId, default: true });
    expect((await call('GET', `${PATH}/nope`)).status).toBe(404);
  });

  it('creates policies, checking the schema class and the datasets of a precedence order', async () => {
    const created = await call('POST', PATH, policy({ name: 'CRM first', attributeMerge: { type: 'dataSetPrecedence', order: [crmDs, webDs] } }));
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ id: expect.any(String), name: 'CRM first', schema: { name: '_xdm.context.profile' }, version: 1, identityGraph: { type: 'pdg' }, attributeMerge: { type: 'dataSetPrecedence', order: [crmDs, webDs] }, default: false, updateEpoch: expect.any(Number) });
    expect((await call('GET', `${PATH}/${created.body.id}`)).body).toEqual(created.body);

    const refused = [
      [policy({ attributeMerge: { type: 'dataSetPrecedence', order: [crmDs, 'no-such-dataset'] } }), /^attributeMerge\.order\[1\]: dataset no-such-dataset does not exist/],
      [policy({ attributeMerge: { type: 'dataSetPrecedence', order: [lakeOnlyDs] } }), /^attributeMerge\.order\[0\]: .*not enabled for Profile/],
      [policy({ attributeMerge: { type: 'dataSetPrecedence' } }), /^attributeMerge\.order: /],
      [policy({ schema: { name: '_xdm.context.experienceevent' } }), /^schema\.name: /],
    ] as const;
    for (const [body, detail] of refused) expect(await call('POST', PATH, body)).toMatchObject({ status: 422, body: { detail: expect.stringMatching(detail) } });
    expect(await call('POST', PATH, policy({ identityGraph: { type: 'cluster' } }))).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/^identityGraph\.type/) } });
    expect((await call('POST', PATH, { name: 'no schema' })).status).toBe(400);
    expect(await all()).toHaveLength(2);
  });

  it('switching the default un-defaults the previous one, and every change adds 1 to version', async () => {
    const next = (await call('POST', PATH, policy({ name: 'New default', identityGraph: { type: 'none' }, default: true }))).body;
    expect(next).toMatchObject({ default: true, version: 1 });
    expect((await call('GET', `${PATH}/${defaultId}`)).body).toMatchObject({ default: false, version: 2 });
    expect((await call('GET', `${PATH}?default=true`)).body.children.map((p: any) => p.id)).toEqual([next.id]);

    // The one default can be neither un-defaulted nor deleted.
    expect(await call('PATCH', `${PATH}/${next.id}`, [{ op: 'replace', path: '/default', value: false }])).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^default: /) } });
    expect(await call('PUT', `${PATH}/${next.id}`, policy({ name: 'New default', default: false }))).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^default: /) } });
    expect(await call('DELETE', `${PATH}/${next.id}`)).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^default: .*cannot be deleted/) } });

    const renamed = await call('PATCH', `${PATH}/${next.id}`, [{ op: 'replace', path: '/name', value: 'Renamed' }]);
    expect(renamed.body).toMatchObject({ name: 'Renamed', version: 2, default: true });
    const put = await call('PUT', `${PATH}/${next.id}`, policy({ name: 'Replaced', default: true, attributeMerge: { type: 'dataSetPrecedence', order: [webDs] } }));
    expect(put.body).toMatchObject({ id: next.id, name: 'Replaced', version: 3, identityGraph: { type: 'pdg' }, attributeMerge: { type: 'dataSetPrecedence', order: [webDs] } });
    expect((await call('GET', `${PATH}/${next.id}`)).body.version).toBe(3);

    expect(await call('PATCH', `${PATH}/${next.id}`, [{ op: 'replace', path: '/version', value: 99 }])).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^\[0\]\.path: \/version is read-only/) } });
    expect(await call('PATCH', `${PATH}/${next.id}`, [{ op: 'replace', path: '/attributeMerge/order/0', value: 'gone' }])).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^attributeMerge\.order\[0\]/) } });
    expect(await call('PATCH', `${PATH}/${next.id}`, [{ op: 'replace', path: '/identityGraph/type', value: 'x' }])).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^identityGraph\.type/) } });
    expect((await call('PUT', `${PATH}/${next.id}`, { ...policy(), id: 'other' })).status).toBe(400);
    expect((await call('PATCH', `${PATH}/missing`, [{ op: 'replace', path: '/name', value: 'x' }])).status).toBe(404);

    // Back to the built-in default: the other one is un-defaulted (a change, so version +1).
    expect((await call('PATCH', `${PATH}/${defaultId}`, [{ op: 'replace', path: '/default', value: true }])).body).toMatchObject({ default: true, version: 3 });
    expect((await call('GET', `${PATH}/${next.id}`)).body).toMatchObject({ default: false, version: 4 });
  });

  it('holds at most 5 policies per sandbox; the 6th is refused naming the limit, and deleting one makes room', async () => {
    const have = (await all()).length;
    for (let i = have; i < 5; i++) expect((await call('POST', PATH, policy({ name: `extra ${i}` }))).status).toBe(200);
    const sixth = await call('POST', PATH, policy({ name: 'sixth' }));
    expect(sixth).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/at most 5 merge policies/) } });
    const victim = (await all()).find((p) => !p.default)!;
    expect((await call('DELETE', `${PATH}/${victim.id}`)).status).toBe(200);
    expect((await call('GET', `${PATH}/${victim.id}`)).status).toBe(404);
    expect((await call('DELETE', `${PATH}/${victim.id}`)).status).toBe(404);
    expect((await call('POST', PATH, policy({ name: 'sixth, after a delete' }))).status).toBe(200);
  });

  it('pages the list with _page.next and _links.next', async () => {
    const first = await call('GET', `${PATH}?limit=2`);
    expect(first.body._page).toMatchObject({ totalCount: 5, pageSize: 2, next: '2' });
    const seen = [...first.body.children];
    let href = first.body._links.next.href as string;
    while (href) {
      const page = await call('GET', href);
      seen.push(...page.body.children);
      href = page.body._links.next.href;
    }
    expect(seen.map((p) => p.id)).toEqual((await all()).map((p) => p.id));
    expect(new Set(seen.map((p) => p.id)).size).toBe(5);
  });

  it('keeps sandboxes apart', async () => {
    const other = `mp-other-${process.pid}`;
    const theirs = (await call('GET', PATH, undefined, other)).body.children;
    expect(theirs.map((p: any) => p.id)).toEqual([`${other}-default-timestamp-ordered`]);
    const mine = (await all()).find((p) => !p.default)!;
    expect((await call('GET', `${PATH}/${mine.id}`, undefined, other)).status).toBe(404);
    expect((await call('DELETE', `${PATH}/${mine.id}`, undefined, other)).status).toBe(404);
    // A precedence order may only name the sandbox's own datasets.
    expect((await call('POST', PATH, policy({ attributeMerge: { type: 'dataSetPrecedence', order: [crmDs] } }), other)).status).toBe(422);
  });
});
