import { realApp } from '../helpers/env';

const PROFILE = 'https://ns.adobe.com/xdm/context/profile';
const PERSONAL = 'https://ns.adobe.com/xdm/context/profile-personal-details';

describe('API: auth, sandbox isolation, bad input', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  const sb = (name: string) => ({ 'x-sandbox-name': `${name}-${process.pid}` });
  beforeAll(async () => { t = await realApp(); });
  afterAll(() => t.close());

  it('refuses requests without a key, or with a wrong one, with 401 problem+json', async () => {
    const none = await t.app.request('/data/foundation/catalog/dataSets');
    expect(none.status).toBe(401);
    expect(none.headers.get('content-type')).toMatch(/problem\+json/);
    const wrong = await t.request('GET', '/data/foundation/catalog/dataSets', { headers: { 'x-api-key': 'nope' } });
    expect(wrong.status).toBe(401);
    const bearer = await t.app.request('/data/foundation/catalog/dataSets', { headers: { authorization: `Bearer ${t.cfg.api.apiKey}` } });
    expect(bearer.status).toBe(200);
    expect((await t.app.request('/health')).status).toBe(200);
  });

  it('keeps sandboxes apart: a second sandbox sees nothing of the first', async () => {
    const created = await t.request('POST', '/data/foundation/schemaregistry/tenant/schemas', { headers: sb('a'), body: { title: 'A', allOf: [{ $ref: PROFILE }, { $ref: PERSONAL }] } });
    expect(created.status).toBe(201);
    const schema: any = await created.json();
    const ds = await t.request('POST', '/data/foundation/catalog/dataSets', { headers: sb('a'), body: { name: 'A', schemaRef: { id: schema.$id } } });
    expect(ds.status).toBe(201);
    const dsId = ((await ds.json()) as any)[0].split('/').pop();
    expect((await t.request('GET', `/data/foundation/catalog/dataSets/${dsId}`, { headers: sb('a') })).status).toBe(200);
    expect((await t.request('GET', `/data/foundation/catalog/dataSets/${dsId}`, { headers: sb('b') })).status).toBe(404);
    expect(((await (await t.request("GET", "/data/foundation/schemaregistry/tenant/schemas", { headers: sb("b") })).json()) as any).results).toEqual([]);
    expect(await (await t.request('GET', '/data/foundation/catalog/dataSets', { headers: sb('b') })).json()).toEqual({});
    expect((await t.request('GET', `/data/foundation/schemaregistry/tenant/schemas/${schema['meta:altId']}`, { headers: sb('b') })).status).toBe(404);
  });

  it.each([
    ['malformed JSON', 'POST', '/data/foundation/catalog/dataSets', { raw: '{"name":' }, 400, /JSON/i],
    ['missing field', 'POST', '/data/foundation/catalog/dataSets', { body: { schemaRef: { id: 'x' } } }, 400, /name/],
    ['unknown class ref', 'POST', '/data/foundation/schemaregistry/tenant/schemas', { body: { title: 'x', allOf: [{ $ref: 'https://ns.adobe.com/xdm/nope' }] } }, 422, /allOf|nope/],
    ['dataset on a missing schema', 'POST', '/data/foundation/catalog/dataSets', { body: { name: 'x', schemaRef: { id: 'https://ns.adobe.com/openxp/schemas/none' } } }, 422, /schemaRef\.id/],
    ['PQL syntax error', 'POST', '/data/core/ups/segment/definitions', { body: { name: 's', expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.countryCode = ' } } }, 400, /column/],
    ['PQL unknown field', 'POST', '/data/core/ups/segment/definitions', { body: { name: 's', expression: { type: 'PQL', format: 'pql/text', value: 'nosuch.field = "x"' } } }, 422, /nosuch\.field/],
    ['bad sandbox name', 'GET', '/data/foundation/catalog/dataSets', { headers: { 'x-sandbox-name': 'Bad Name!' } }, 400, /x-sandbox-name/],
    ['too many identities in a lookup', 'GET', '/data/core/ups/access/entities?entityId=a@b.c&entityIdNS=NoSuchNs', {}, 422, /namespace/],
    ['segment job for a missing segment', 'POST', '/data/core/ups/segment/jobs', { body: [{ segmentId: 'missing' }] }, 422, /segmentId/],
    ['flow with an unknown spec', 'POST', '/data/foundation/flowservice/flows', { body: { name: 'f', flowSpec: { id: 'nope' }, sourceConnectionIds: ['a'], targetConnectionIds: ['b'] } }, 422, /flowSpec\.id/],
  ])('%s → %i naming the field', async (_name, method, path, opts, status, detail) => {
    const res = await t.request(method, path, { ...(opts as object), headers: { ...sb('v'), ...((opts as { headers?: Record<string, string> }).headers ?? {}) } });
    expect(res.status).toBe(status);
    const body: any = await res.json();
    expect(body.status).toBe(status);
    expect(body.detail).toMatch(detail);
    expect(body.requestId).toBeTruthy();
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const spec: any = await (await t.app.request('/openapi.json')).json();
    expect(spec.paths['/data/foundation/catalog/dataSets'].post.requestBody.content['application/json'].schema.properties.name).toBeTruthy();
    expect(Object.keys(spec.paths).length).toBeGreaterThan(30);
  });
});
