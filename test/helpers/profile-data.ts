import { expect } from '@jest/globals';
import type { realApp } from './env';

type App = Awaited<ReturnType<typeof realApp>>;
const PROFILE = 'https://ns.adobe.com/xdm/context/profile';
const IMPORT = '/data/foundation/import';
const CATALOG = '/data/foundation/catalog';

/**
 * A sandbox with a profile dataset (email primary identity, identityMap for the others), and
 * batch ingestion of JSON records through the API (batch → file → COMPLETE → wait for the workflow).
 */
export async function profileSandbox(t: App, sandbox: string) {
  const headers = { 'x-sandbox-name': sandbox };
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { headers, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const schema = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', {
    title: `People ${sandbox}`, type: 'object',
    allOf: [{ $ref: PROFILE }, { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-person-details' }, { $ref: 'https://ns.adobe.com/xdm/context/identitymap' }],
  })).body;
  expect((await call('POST', '/data/foundation/schemaregistry/tenant/descriptors', {
    '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': '/personalEmail/address', 'xdm:namespace': 'Email', 'xdm:property': 'xdm:code', 'xdm:isPrimary': true,
  })).status).toBe(201);
  expect((await call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(schema['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }])).status).toBe(200);
  const datasetId = (await call('POST', `${CATALOG}/dataSets`, { name: `People ${sandbox}`, schemaRef: { id: schema.$id }, tags: { unifiedProfile: ['enabled:true'] } })).body[0].split('/').pop() as string;

  /** Ingests records as one NDJSON file in one batch; resolves with the finished catalog batch. */
  const ingest = async (records: object[], name = 'people.json') => {
    const created = await call('POST', `${IMPORT}/batches`, { datasetId, inputFormat: { format: 'json' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const res = await t.app.request(`${IMPORT}/batches/${id}/datasets/${datasetId}/files/${name}`, {
      method: 'PUT', headers: { 'x-api-key': t.cfg.api.apiKey!, ...headers, 'content-type': 'application/octet-stream' }, body: records.map((r) => JSON.stringify(r)).join('\n'),
    });
    expect(res.status).toBe(200);
    expect((await call('POST', `${IMPORT}/batches/${id}?action=COMPLETE`)).status).toBe(200);
    for (let i = 0; i < 480; i++) {
      const b = (await call('GET', `${CATALOG}/batches/${id}`)).body[id];
      if (b.status === 'success' || b.status === 'failed') return { id, ...b };
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`batch ${id} did not finish within 120 s`);
  };
  return { sandbox, headers, call, datasetId, schemaId: schema.$id as string, ingest };
}

/** A person record: email (primary) plus identityMap entries. */
export const person = (email: string, ids: Record<string, string[]> = {}, attrs: object = {}) => ({
  personalEmail: { address: email },
  identityMap: Object.fromEntries(Object.entries(ids).map(([ns, vs]) => [ns, vs.map((id) => ({ id }))])),
  ...attrs,
});
