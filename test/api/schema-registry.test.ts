import { realApp } from '../helpers/env';

const SR = '/data/foundation/schemaregistry';
const XED = 'application/vnd.adobe.xed';
const PROFILE = 'https://ns.adobe.com/xdm/context/profile';
const EVENT = 'https://ns.adobe.com/xdm/context/experienceevent';
const PERSONAL = 'https://ns.adobe.com/xdm/context/profile-personal-details';
const LOYALTY = 'https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details';
const RECORD = 'https://ns.adobe.com/xdm/data/record';

describe('API: Schema Registry', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  let ns: string;
  beforeAll(async () => {
    t = await realApp();
    ns = `_${t.deps.tenantId}`;
  });
  afterAll(() => t.close());

  /** A client bound to a sandbox of its own, so tests never see each other's resources. */
  const client = (name: string) => {
    const sandbox = `sr-${name}-${process.pid}`;
    const call = async (method: string, path: string, body?: unknown, accept?: string) => {
      const res = await t.request(method, `${SR}${path}`, { body, headers: { 'x-sandbox-name': sandbox, ...(accept ? { accept } : {}) } });
      return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as any) };
    };
    const ok = async (method: string, path: string, body?: unknown, accept?: string) => {
      const res = await call(method, path, body, accept);
      if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    };
    const enc = (id: string) => encodeURIComponent(id);
    return { sandbox, call, ok, enc };
  };

  const fieldGroup = (fields: Record<string, unknown>, intended = [PROFILE]) => ({
    title: 'Loyalty extras',
    description: 'Tenant loyalty fields',
    type: 'object',
    'meta:intendedToExtend': intended,
    definitions: { customFields: { properties: { [ns]: { type: 'object', properties: fields } } } },
    allOf: [{ $ref: '#/definitions/customFields' }],
  });
  const schemaBody = (...refs: string[]) => ({ title: 'Members', description: 'Loyalty members', type: 'object', allOf: refs.map(($ref) => ({ $ref })) });

  it('creates a tenant data type and field group, a schema using them, and resolves it in full', async () => {
    const { ok, enc } = client('compose');
    const tier = await ok('POST', '/tenant/datatypes', { title: 'Tier', definitions: { tier: { properties: { name: { type: 'string' }, rank: { type: 'integer' } } } } });
    expect(tier.$id).toMatch(new RegExp(`^https://ns\\.adobe\\.com/${t.deps.tenantId}/datatypes/[0-9a-f]+$`));
    expect(tier['meta:altId']).toBe(`_${t.deps.tenantId}.datatypes.${tier.$id.split('/').pop()}`);
    const fg = await ok('POST', '/tenant/fieldgroups', fieldGroup({ loyaltyScore: { type: 'number', title: 'Score' }, tier: { $ref: tier.$id } }));
    expect(fg).toMatchObject({ 'meta:resourceType': 'mixins', 'meta:intendedToExtend': [PROFILE], 'meta:tenantNamespace': ns, version: '1.0' });

    const schema = await ok('POST', '/tenant/schemas', schemaBody(PROFILE, PERSONAL, fg.$id));
    expect(schema).toMatchObject({ 'meta:class': PROFILE, version: '1.0', allOf: [{ $ref: PROFILE }, { $ref: PERSONAL }, { $ref: fg.$id }] });
    expect(schema['meta:extends']).toEqual(expect.arrayContaining([PROFILE, RECORD, PERSONAL, fg.$id]));

    const full = await ok('GET', `/tenant/schemas/${enc(schema.$id)}`, undefined, `${XED}-full+json; version=1`);
    expect(full.properties[ns].properties.loyaltyScore).toMatchObject({ type: 'number', title: 'Score' });
    expect(full.properties[ns].properties.tier).toMatchObject({ 'meta:referencedFrom': tier.$id, properties: { rank: { type: 'integer' } } });
    expect(full.properties.homeAddress.properties.city.type).toBe('string');
    expect(JSON.stringify(full)).not.toContain('$ref');

    const listed = await ok('GET', '/tenant/fieldgroups', undefined, `${XED}-id+json`);
    expect(listed.results).toEqual([{ $id: fg.$id, 'meta:altId': fg['meta:altId'], version: '1.0', title: 'Loyalty extras' }]);
    const fgFull = await ok('GET', `/tenant/fieldgroups/${fg['meta:altId']}`, undefined, `${XED}-full+json`);
    expect(fgFull.properties[ns].properties.tier.properties.name.type).toBe('string');
    expect((await ok('GET', '/stats')).counts).toMatchObject({ schemas: 1, mixins: 1, datatypes: 1, classes: 0 });
  });

  it('refuses a tenant field outside _{TENANT} in a field group for a standard class, naming the field', async () => {
    const { call } = client('namespace');
    const res = await call('POST', '/tenant/fieldgroups', { ...fieldGroup({}), definitions: { customFields: { properties: { loyaltyScore: { type: 'number' } } } } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(new RegExp(`loyaltyScore.*${ns}`));
    expect(res.body.report).toEqual({ field: 'loyaltyScore' });
    const malformed = await call('POST', '/tenant/fieldgroups', fieldGroup({ score: { type: 'float' } }));
    expect(malformed.status).toBe(400);
    expect(malformed.body.detail).toMatch(new RegExp(`${ns}\\.score.*type`));
  });

  it('refuses a field group for another class in a schema', async () => {
    const { ok, call } = client('fit');
    const fg = await ok('POST', '/tenant/fieldgroups', fieldGroup({ pageScore: { type: 'number' } }, [EVENT]));
    const res = await call('POST', '/tenant/schemas', schemaBody(PROFILE, fg.$id));
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/not intended to extend/);
  });

  it('replaces a schema with PUT, bumping the version and keeping the previous one', async () => {
    const { ok, call } = client('versions');
    const created = await ok('POST', '/tenant/schemas', schemaBody(PROFILE, PERSONAL));
    const put = await ok('PUT', `/tenant/schemas/${created['meta:altId']}`, { ...schemaBody(PROFILE, PERSONAL, LOYALTY), title: 'Members v2' });
    expect(put).toMatchObject({ $id: created.$id, title: 'Members v2', version: '1.1' });
    const patched = await ok('PATCH', `/tenant/schemas/${created['meta:altId']}`, [{ op: 'replace', path: '/description', value: 'patched' }]);
    expect(patched.version).toBe('1.2');

    const at = (version: string, variant = '') => call('GET', `/tenant/schemas/${created['meta:altId']}`, undefined, `${XED}${variant}+json; version=${version}`);
    expect((await at('1.0')).body).toMatchObject({ title: 'Members', version: '1.0', allOf: [{ $ref: PROFILE }, { $ref: PERSONAL }] });
    expect((await at('1.1')).body).toMatchObject({ title: 'Members v2', version: '1.1' });
    expect((await at('1')).body).toMatchObject({ description: 'patched', version: '1.2' });
    expect((await at('1.0', '-full')).body.properties).not.toHaveProperty('loyalty');
    expect((await at('1.1', '-full')).body.properties.loyalty.type).toBe('object');
    for (const missing of ['1.7', '2']) {
      const res = await at(missing);
      expect(res.status).toBe(404);
      expect(res.body.detail).toContain(missing);
    }
    const renamed = await call('PUT', `/tenant/schemas/${created['meta:altId']}`, { ...schemaBody(EVENT), 'meta:class': EVENT });
    expect(renamed).toMatchObject({ status: 422, body: { report: { field: 'meta:class' } } });
  });

  it('keeps a Profile-enabled schema additive: PUT, PATCH and field group changes that break it are 422 naming the field', async () => {
    const { ok, call, enc } = client('union');
    const fg = await ok('POST', '/tenant/fieldgroups', fieldGroup({ loyaltyScore: { type: 'number' } }));
    const schema = await ok('POST', '/tenant/schemas', schemaBody(PROFILE, LOYALTY, fg.$id));
    const id = enc(schema.$id);
    const enabled = await ok('PATCH', `/tenant/schemas/${id}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }]);
    expect(enabled).toMatchObject({ 'meta:immutableTags': ['union'], version: '1.1' });

    const dropGroup = await call('PUT', `/tenant/schemas/${id}`, schemaBody(PROFILE, fg.$id));
    expect(dropGroup.status).toBe(422);
    expect(dropGroup.body.detail).toMatch(/additive.*'loyalty'/);
    expect(dropGroup.body.report).toEqual({ field: 'loyalty' });
    const untag = await call('PATCH', `/tenant/schemas/${id}`, [{ op: 'remove', path: '/meta:immutableTags' }]);
    expect(untag.status).toBe(422);
    expect(untag.body.detail).toMatch(/union/);

    const retype = await call('PUT', `/tenant/fieldgroups/${enc(fg.$id)}`, fieldGroup({ loyaltyScore: { type: 'string' } }));
    expect(retype.status).toBe(422);
    expect(retype.body.detail).toContain(`${ns}.loyaltyScore`);
    expect(retype.body.detail).toContain(schema.$id);
    const remove = await call('PATCH', `/tenant/fieldgroups/${fg['meta:altId']}`, [{ op: 'remove', path: `/definitions/customFields/properties/${ns}/properties/loyaltyScore` }]);
    expect(remove.status).toBe(422);
    expect(remove.body.report).toEqual({ field: `${ns}.loyaltyScore` });

    // Additive changes go through, and the schema built on the field group gets a new version.
    const added = await ok('PATCH', `/tenant/fieldgroups/${fg['meta:altId']}`, [{ op: 'add', path: `/definitions/customFields/properties/${ns}/properties/since`, value: { type: 'string', format: 'date' } }]);
    expect(added.version).toBe('1.1');
    const after = await ok('GET', `/tenant/schemas/${id}`, undefined, `${XED}-full+json`);
    expect(after.version).toBe('1.2');
    expect(after.properties[ns].properties.since).toMatchObject({ type: 'string', format: 'date' });
    const before = await ok('GET', `/tenant/schemas/${id}`, undefined, `${XED}-full+json; version=1.1`);
    expect(before.properties[ns].properties).not.toHaveProperty('since');
    const unions = await ok('GET', '/tenant/unions');
    expect(unions.results[0].properties[ns].properties.since.type).toBe('string');
  });

  it('refuses deleting a class or field group a schema uses (409 naming the schema), then deletes it once unused', async () => {
    const { ok, call } = client('delete');
    const cls = await ok('POST', '/tenant/classes', {
      title: 'Store', type: 'object',
      definitions: { store: { properties: { storeId: { type: 'string' }, floorArea: { type: 'number' } } } },
      allOf: [{ $ref: RECORD }, { $ref: '#/definitions/store' }],
    });
    expect(cls).toMatchObject({ 'meta:resourceType': 'classes', 'meta:extends': [RECORD] });
    const fg = await ok('POST', '/tenant/fieldgroups', { ...fieldGroup({}, [cls.$id]), definitions: { f: { properties: { manager: { type: 'string' } } } }, allOf: undefined });
    const schema = await ok('POST', '/tenant/schemas', schemaBody(cls.$id, fg.$id));
    expect((await ok('GET', `/tenant/schemas/${schema['meta:altId']}`, undefined, `${XED}-full+json`)).properties).toMatchObject({ _id: {}, storeId: {}, manager: {} });

    for (const [path, what] of [[`/tenant/classes/${cls['meta:altId']}`, cls], [`/tenant/fieldgroups/${fg['meta:altId']}`, fg]]) {
      const res = await call('DELETE', path);
      expect(res.status).toBe(409);
      expect(res.body.detail).toContain(what.$id);
      expect(res.body.detail).toContain(`schema 'Members' (${schema.$id})`);
    }
    await ok('DELETE', `/tenant/schemas/${schema['meta:altId']}`);
    const classBlocked = await call('DELETE', `/tenant/classes/${cls['meta:altId']}`);
    expect(classBlocked.status).toBe(409);
    expect(classBlocked.body.detail).toContain(`field group '${fg.title}'`);
    expect((await call('DELETE', `/tenant/fieldgroups/${fg['meta:altId']}`)).status).toBe(204);
    expect((await call('DELETE', `/tenant/classes/${cls['meta:altId']}`)).status).toBe(204);
    expect((await call('GET', `/tenant/classes/${cls['meta:altId']}`)).status).toBe(404);
    const noBehavior = await call('POST', '/tenant/classes', { title: 'X', definitions: { x: { properties: { a: { type: 'string' } } } } });
    expect(noBehavior).toMatchObject({ status: 422, body: { report: { field: 'allOf' } } });
  });

  it('serves every Accept variant of a schema', async () => {
    const { ok } = client('accept');
    const schema = await ok('POST', '/tenant/schemas', schemaBody(PROFILE, PERSONAL));
    const descriptor = await ok('POST', '/tenant/descriptors', { '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': '/personalEmail/address', 'xdm:namespace': 'Email', 'xdm:property': 'xdm:code', 'xdm:isPrimary': true });
    const get = (accept?: string) => ok('GET', `/tenant/schemas/${schema['meta:altId']}`, undefined, accept);

    const plain = await get(`${XED}+json; version=1`);
    expect(plain).toMatchObject({ title: 'Members', allOf: schema.allOf });
    expect(plain).not.toHaveProperty('properties');
    expect(await get()).toEqual(plain);
    expect(await get('application/json')).toEqual(plain);
    const full = await get(`${XED}-full+json; version=1`);
    expect(full.properties.personalEmail.properties.address).toMatchObject({ type: 'string', title: expect.any(String) });
    const notext = await get(`${XED}-notext+json; version=1`);
    expect(notext).toMatchObject({ allOf: schema.allOf });
    expect(notext).not.toHaveProperty('title');
    expect(notext).not.toHaveProperty('description');
    const fullNotext = await get(`${XED}-full-notext+json; version=1`);
    expect(fullNotext.properties.personalEmail.properties.address).toEqual(expect.objectContaining({ type: 'string' }));
    expect(JSON.stringify(fullNotext)).not.toMatch(/"(title|description)"/);
    const desc = await get(`${XED}-full-desc+json; version=1`);
    expect(desc.properties.homeAddress.type).toBe('object');
    expect(desc['meta:descriptors']).toEqual([expect.objectContaining({ '@id': descriptor['@id'], 'xdm:sourceProperty': '/personalEmail/address' })]);

    const ids = await ok('GET', '/tenant/schemas', undefined, `${XED}-id+json`);
    expect(ids.results).toEqual([{ $id: schema.$id, 'meta:altId': schema['meta:altId'], version: '1.0', title: 'Members' }]);
    const fullList = await ok('GET', '/tenant/schemas', undefined, `${XED}-full+json`);
    expect(fullList.results[0].properties.homeAddress.type).toBe('object');

    const globalIds = await ok('GET', '/global/fieldgroups', undefined, `${XED}-id+json`);
    expect(globalIds.results.map((r: any) => r.$id)).toEqual(expect.arrayContaining([PERSONAL, 'https://ns.adobe.com/xdm/mixins/profile-consents', 'https://ns.adobe.com/xdm/context/experienceevent-web']));
    const consent = await ok('GET', '/global/fieldgroups/_xdm.mixins.profile-consents', undefined, `${XED}-full+json`);
    expect(consent.properties.consents.properties.collect.properties.val.enum).toContain('y');
    expect((await ok('GET', `/global/classes/${encodeURIComponent(EVENT)}`)).allOf).toBeDefined();
    expect((await ok('GET', '/global/behaviors', undefined, `${XED}-id+json`)).results.map((r: any) => r.$id)).toContain(RECORD);
  });

  it('creates, reads, replaces and deletes descriptors, and enforces the per-sandbox limit', async () => {
    const { sandbox, ok, call } = client('descriptors');
    const schema = await ok('POST', '/tenant/schemas', schemaBody(PROFILE, PERSONAL, LOYALTY));
    const identity = { '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': '/personalEmail/address', 'xdm:namespace': 'Email', 'xdm:property': 'xdm:code', 'xdm:isPrimary': true };
    const id1 = await ok('POST', '/tenant/descriptors', identity);
    expect(id1['@id']).toMatch(/^[0-9a-f]{40}$/);
    const display = await ok('POST', '/tenant/descriptors', { '@type': 'xdm:alternateDisplayInfo', 'xdm:sourceSchema': schema['meta:altId'], 'xdm:sourceProperty': '/loyalty/points', 'xdm:title': { en_us: 'Reward points' } });
    expect(display).toMatchObject({ 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:title': { en_us: 'Reward points' } });

    const second = await call('POST', '/tenant/descriptors', { ...identity, 'xdm:sourceProperty': '/mobilePhone/number', 'xdm:namespace': 'Phone' });
    expect(second.status).toBe(422);
    expect(second.body.detail).toMatch(/xdm:isPrimary/);
    const notString = await call('POST', '/tenant/descriptors', { ...identity, 'xdm:sourceProperty': '/loyalty/points', 'xdm:isPrimary': false });
    expect(notString.status).toBe(422);
    expect(notString.body.detail).toMatch(/xdm:sourceProperty.*\/loyalty\/points/);
    const unknownType = await call('POST', '/tenant/descriptors', { ...identity, '@type': 'xdm:descriptorOneToOne' });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.detail).toMatch(/@type/);

    const all = await ok('GET', '/tenant/descriptors');
    expect(all['xdm:descriptorIdentity']).toEqual([expect.objectContaining({ '@id': id1['@id'] })]);
    expect(all['xdm:alternateDisplayInfo']).toEqual([expect.objectContaining({ '@id': display['@id'] })]);
    expect((await ok('GET', '/tenant/descriptors', undefined, 'application/vnd.adobe.xdm-id+json'))['xdm:descriptorIdentity']).toEqual([id1['@id']]);
    expect(await ok('GET', `/tenant/descriptors/${display['@id']}`)).toEqual(display);

    const replaced = await ok('PUT', `/tenant/descriptors/${display['@id']}`, { '@type': 'xdm:alternateDisplayInfo', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': '/loyalty/tier', 'xdm:title': { en_us: 'Level' } });
    expect(replaced).toMatchObject({ '@id': display['@id'], 'xdm:sourceProperty': '/loyalty/tier' });
    expect((await ok('PUT', `/tenant/descriptors/${id1['@id']}`, { ...identity, 'xdm:namespace': 'CRMEmail' }))['xdm:namespace']).toBe('CRMEmail');
    expect((await call('DELETE', `/tenant/descriptors/${display['@id']}`)).status).toBe(204);
    expect((await call('GET', `/tenant/descriptors/${display['@id']}`)).status).toBe(404);
    expect((await call('PUT', `/tenant/descriptors/${display['@id']}`, identity)).status).toBe(404);

    // The limit: fill the sandbox up to it directly, then one more through the API is refused.
    const coll = t.deps.stores.descriptors.coll;
    const filler = Array.from({ length: 3999 }, (_, i) => ({ _id: `${sandbox}:f${i}`, sandbox, id: `f${i}`, '@id': `f${i}`, '@type': 'xdm:alternateDisplayInfo', 'xdm:sourceSchema': 'https://ns.adobe.com/x/schemas/none', 'xdm:sourceVersion': 1, 'xdm:sourceProperty': `/f${i}` }));
    await coll.insertMany(filler as any[], { ordered: false });
    try {
      const atLimit = await call('POST', '/tenant/descriptors', { '@type': 'xdm:alternateDisplayInfo', 'xdm:sourceSchema': schema.$id, 'xdm:sourceProperty': '/loyalty/tier' });
      expect(atLimit.status).toBe(422);
      expect(atLimit.body.detail).toMatch(/at most 4000 descriptors/);
    } finally {
      await coll.deleteMany({ sandbox, id: { $regex: '^f' } } as any);
    }
  });
});
