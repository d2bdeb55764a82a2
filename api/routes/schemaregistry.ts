import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { applyPatch } from '../../domain/shared/json-patch';
import type { PatchOp } from '../../domain/shared/json-patch';
import { assertAllowedChange, buildSchemaDocument, fieldPaths, findStandard, resolveSchema, schemaIds, STANDARD_CLASSES, STANDARD_DATA_TYPES, STANDARD_FIELD_GROUPS, unionSchema, validateSchemaComposition } from '../../domain/xdm';
import type { ResolvedSchema } from '../../domain/xdm';
import type { DescriptorDoc, SchemaDoc } from '../../domain/xdm/registry-model';
import type { ApiDeps } from '../context';
import { ApiError, notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';

const BASE = '/data/foundation/schemaregistry';
const tag = 'Schema Registry';

const schemaBody = z.looseObject({
  title: z.string().min(1),
  description: z.string().optional(),
  type: z.literal('object').optional(),
  allOf: z.array(z.object({ $ref: z.string().min(1) })).min(1),
  'meta:class': z.string().optional(),
});
const patchBody = z.array(z.looseObject({ op: z.enum(['add', 'remove', 'replace', 'test']), path: z.string(), value: z.unknown().optional() }));
const descriptorBody = z.looseObject({
  '@type': z.literal('xdm:descriptorIdentity'),
  'xdm:sourceSchema': z.string().min(1),
  'xdm:sourceVersion': z.number().int().default(1),
  'xdm:sourceProperty': z.string().regex(/^\/[A-Za-z_]/, 'must be a JSON pointer such as /personalEmail/address'),
  'xdm:namespace': z.string().min(1),
  'xdm:property': z.string().default('xdm:code'),
  'xdm:isPrimary': z.boolean().default(false),
});

const FULL = /xed-full/;
const isFull = (accept?: string) => !!accept && FULL.test(accept);

/** Looks a schema up by meta:altId or (url-encoded) $id. */
export async function findSchema(deps: ApiDeps, sandbox: string, idOrAlt: string): Promise<SchemaDoc> {
  const id = decodeURIComponent(idOrAlt);
  const doc = (await deps.stores.schemas.get(sandbox, id)) ?? (await deps.stores.schemas.find(sandbox, { $id: id }));
  if (!doc) throw notFound('Schema', id);
  return doc;
}

const show = (doc: SchemaDoc, accept?: string) => {
  const { id: _id, ...rest } = doc;
  return isFull(accept) ? resolveSchema(doc, findStandard) : rest;
};

/** The union schema of each class over the sandbox's profile-enabled schemas (what PQL is checked against). */
export async function unionsByClass(deps: ApiDeps, sandbox: string, classId?: string): Promise<Map<string, ResolvedSchema>> {
  const { items } = await deps.stores.schemas.list(sandbox, { 'meta:immutableTags': 'union', ...(classId ? { 'meta:class': classId } : {}) }, { limit: 1000 });
  const byClass = new Map<string, SchemaDoc[]>();
  for (const s of items) byClass.set(s['meta:class'], [...(byClass.get(s['meta:class']) ?? []), s]);
  return new Map([...byClass].map(([cls, docs]) => [cls, { ...unionSchema(docs.map((s) => resolveSchema(s, findStandard)), cls), 'meta:altId': `${docs[0]['meta:altId']}__union` }]));
}

export function schemaRegistryRoutes(app: Router) {
  op(app, { method: 'get', path: `${BASE}/stats`, tag, summary: 'Tenant id and counts' }, async (c) => {
    const d = c.get('deps');
    const { total } = await d.stores.schemas.list(c.get('sandbox'), {}, { limit: 1 });
    return c.json({ imsOrg: d.tenantId, tenantId: d.tenantId, counts: { schemas: total } });
  });
  for (const [kind, items] of [['classes', STANDARD_CLASSES], ['fieldgroups', STANDARD_FIELD_GROUPS], ['datatypes', STANDARD_DATA_TYPES]] as const) {
    op(app, { method: 'get', path: `${BASE}/global/${kind}`, tag, summary: `Standard ${kind}` }, (c) =>
      c.json({ results: items.map((i) => (isFull(c.req.header('accept')) ? i : { $id: i.$id, 'meta:altId': i['meta:altId'], title: i.title, version: i.version })) }));
  }
  op(app, { method: 'get', path: `${BASE}/global/{kind}/{id}`, tag, summary: 'One standard class, field group or data type' }, (c, v) => {
    const item = findStandard(decodeURIComponent(v.params.id)) ?? [...STANDARD_CLASSES, ...STANDARD_FIELD_GROUPS, ...STANDARD_DATA_TYPES].find((x) => x['meta:altId'] === v.params.id);
    if (!item) throw notFound('Standard resource', v.params.id);
    return c.json(item);
  });

  op(app, { method: 'post', path: `${BASE}/tenant/schemas`, tag, summary: 'Create a schema from a class and field groups', body: schemaBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const ids = schemaIds(d.tenantId, randomBytes(16).toString('hex'));
    const doc = buildSchemaDocument(body, ids, findStandard);
    const stored: SchemaDoc = { ...doc, id: ids['meta:altId'], 'meta:createdDate': new Date(d.now()).toISOString() };
    await d.stores.schemas.insert(c.get('sandbox'), stored);
    return c.json(show(stored), 201);
  });
  op(app, { method: 'get', path: `${BASE}/tenant/schemas`, tag, summary: 'List schemas' }, async (c) => {
    const { items } = await c.get('deps').stores.schemas.list(c.get('sandbox'), {}, { limit: 1000 });
    return c.json({ results: items.map((s) => show(s, c.req.header('accept'))), _page: { count: items.length } });
  });
  op(app, { method: 'get', path: `${BASE}/tenant/schemas/{id}`, tag, summary: 'Get a schema (Accept xed-full+json resolves it)' }, async (c, v) =>
    c.json(show(await findSchema(c.get('deps'), c.get('sandbox'), v.params.id), c.req.header('accept'))));
  op(app, { method: 'patch', path: `${BASE}/tenant/schemas/{id}`, tag, summary: 'JSON Patch a schema (add field groups, enable for Profile)', body: patchBody }, async (c, { body, params }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const cur = await findSchema(d, sandbox, params.id);
    const next = applyPatch(cur, body as PatchOp[]);
    if ((cur['meta:immutableTags'] ?? []).some((t) => !(next['meta:immutableTags'] ?? []).includes(t))) {
      throw unprocessable('meta:immutableTags: the "union" tag cannot be removed once a schema is enabled for Profile');
    }
    for (const k of ['$id', 'meta:altId', 'meta:class'] as const) if (next[k] !== cur[k]) throw unprocessable(`${k}: cannot be changed`);
    const { fieldGroupIds } = validateSchemaComposition(next, findStandard);
    next['meta:extends'] = [...new Set([cur['meta:class'], ...fieldGroupIds])];
    if ((cur['meta:immutableTags'] ?? []).includes('union')) {
      assertAllowedChange(resolveSchema(cur, findStandard), resolveSchema(next, findStandard));
    }
    const [maj, min] = cur.version.split('.').map(Number);
    next.version = `${maj}.${(min || 0) + 1}`;
    next['meta:updatedDate'] = new Date(d.now()).toISOString();
    await d.stores.schemas.put(sandbox, next);
    return c.json(show(next));
  });
  op(app, { method: 'delete', path: `${BASE}/tenant/schemas/{id}`, tag, summary: 'Delete a schema', status: 204 }, async (c, v) => {
    const d = c.get('deps');
    const doc = await findSchema(d, c.get('sandbox'), v.params.id);
    const used = await d.stores.datasets.find(c.get('sandbox'), { 'schemaRef.id': doc.$id });
    if (used) throw new ApiError(409, 'CONFLICT', `Schema is used by dataset ${used.id}`);
    await d.stores.schemas.delete(c.get('sandbox'), doc.id);
    return c.body(null, 204);
  });
  op(app, { method: 'get', path: `${BASE}/tenant/unions`, tag, summary: 'Union schema of profile-enabled schemas per class' }, async (c) => {
    const unions = await unionsByClass(c.get('deps'), c.get('sandbox'));
    return c.json({ results: [...unions.values()] });
  });

  op(app, { method: 'post', path: `${BASE}/tenant/descriptors`, tag, summary: 'Create an identity descriptor', body: descriptorBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const schema = await findSchema(d, sandbox, body['xdm:sourceSchema']);
    const path = body['xdm:sourceProperty'].slice(1).replaceAll('/', '.');
    const types = fieldPaths(resolveSchema(schema, findStandard));
    if (types.get(path) !== 'string') throw new ApiError(422, 'UNKNOWN_FIELD', `xdm:sourceProperty: ${body['xdm:sourceProperty']} is not a string field of the schema`);
    if (body['xdm:isPrimary']) {
      const existing = await d.stores.descriptors.find(sandbox, { 'xdm:sourceSchema': schema.$id, 'xdm:isPrimary': true });
      if (existing) throw new ApiError(422, 'UNPROCESSABLE', `xdm:isPrimary: schema already has a primary identity (${existing['xdm:sourceProperty']})`);
    }
    const id = randomBytes(20).toString('hex');
    const doc: DescriptorDoc = { ...(body as unknown as DescriptorDoc), id, '@id': id, 'xdm:sourceSchema': schema.$id };
    await d.stores.descriptors.insert(sandbox, doc);
    return c.json(strip(doc), 201);
  });
  op(app, { method: 'get', path: `${BASE}/tenant/descriptors`, tag, summary: 'List descriptors' }, async (c) => {
    const { items } = await c.get('deps').stores.descriptors.list(c.get('sandbox'), {}, { limit: 4000 });
    return c.json({ 'xdm:descriptorIdentity': items.map(strip) });
  });
  op(app, { method: 'delete', path: `${BASE}/tenant/descriptors/{id}`, tag, summary: 'Delete a descriptor', status: 204 }, async (c, v) => {
    if (!(await c.get('deps').stores.descriptors.delete(c.get('sandbox'), v.params.id))) throw notFound('Descriptor', v.params.id);
    return c.body(null, 204);
  });
}

const strip = ({ id: _id, ...rest }: DescriptorDoc) => rest;
