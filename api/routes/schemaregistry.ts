import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { z } from 'zod';
import { applyPatch } from '../../domain/shared/json-patch';
import type { PatchOp } from '../../domain/shared/json-patch';
import {
  DESCRIPTOR_LIMIT, STANDARD_BEHAVIORS, STANDARD_CLASSES, STANDARD_DATA_TYPES, STANDARD_FIELD_GROUPS,
  buildSchemaDocument, buildTenantComponent, checkDescriptor, combineLookups, componentInput, descriptorDoc, descriptorInput, findStandard,
  findUser, lookupOf, nextVersion, parseXedAccept, renderXed, resolveSchema, resolvedComponent, reviseSchemaDocument, reviseTenantComponent,
  schemaIds, schemaInput, schemasAffectedBy, summaryOf, tenantIds, unionSchema, wantedVersion,
} from '../../domain/xdm';
import type { ComponentLookup, DescriptorInput, ResolvedSchema, TenantKind, XdmComponent, XedAccept } from '../../domain/xdm';
import type { ComponentDoc, DescriptorDoc, SchemaDoc } from '../../domain/xdm/registry-model';
import type { ApiDeps, AppEnv } from '../context';
import { ApiError, notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';

/**
 * AEP's Schema Registry: the standard catalogue (`/global`), tenant classes, field groups, data
 * types and schemas (`/tenant`), descriptors and unions. Accept selects the representation (see
 * domain/xdm/views.ts); every change bumps a resource's version and each schema version is kept.
 */
const BASE = '/data/foundation/schemaregistry';
const tag = 'Schema Registry';
/** A sandbox's whole registry is loaded for checks and lookups; it is small (AEP caps it in the thousands). */
const ALL = { limit: 10_000 };
const ACCEPT = 'Accept application/vnd.adobe.xed[-id|-full|-notext|-full-notext|-full-desc]+json (default xed+json)';

const patchBody = z.array(z.looseObject({ op: z.enum(['add', 'remove', 'replace', 'test']), path: z.string(), value: z.unknown().optional() }));
const listQuery = z.object({ start: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(1000).default(300) });

type C = Context<AppEnv>;
const scope = (c: C) => ({ d: c.get('deps'), sandbox: c.get('sandbox') });
const acceptOf = (c: C) => parseXedAccept(c.req.header('accept'));
const newHex = (bytes = 16) => randomBytes(bytes).toString('hex');
const isoNow = (d: ApiDeps) => new Date(d.now()).toISOString();
/** A stored resource without its store key. */
const bare = <T extends { id: string }>({ id: _id, ...rest }: T) => rest;
const idParam = (raw: string) => decodeURIComponent(raw);

interface Registry {
  components: ComponentDoc[];
  /** Tenant components first, then the standard catalogue. */
  lookup: ComponentLookup;
}

/** The sandbox's tenant classes, field groups and data types, and a lookup over them and the standard ones. */
export async function loadRegistry(d: ApiDeps, sandbox: string): Promise<Registry> {
  const { items } = await d.stores.xdmComponents.list(sandbox, {}, ALL);
  return { components: items, lookup: combineLookups(lookupOf(items), findStandard) };
}

/** Looks a schema up by meta:altId or (url-encoded) $id. */
export async function findSchema(deps: ApiDeps, sandbox: string, idOrAlt: string): Promise<SchemaDoc> {
  const id = idParam(idOrAlt);
  const doc = (await deps.stores.schemas.get(sandbox, id)) ?? (await deps.stores.schemas.find(sandbox, { $id: id }));
  if (!doc) throw notFound('Schema', id);
  return doc;
}

const allSchemas = async (d: ApiDeps, sandbox: string) => (await d.stores.schemas.list(sandbox, {}, ALL)).items;
const descriptorsOf = async (d: ApiDeps, sandbox: string, schemaId: string) => (await d.stores.descriptors.list(sandbox, { 'xdm:sourceSchema': schemaId }, ALL)).items;

/** The union schema of each class over the sandbox's profile-enabled schemas (what PQL is checked against). */
export async function unionsByClass(deps: ApiDeps, sandbox: string, classId?: string): Promise<Map<string, ResolvedSchema>> {
  const { items } = await deps.stores.schemas.list(sandbox, { 'meta:immutableTags': 'union', ...(classId ? { 'meta:class': classId } : {}) }, ALL);
  const { lookup } = await loadRegistry(deps, sandbox);
  const byClass = new Map<string, SchemaDoc[]>();
  for (const s of items) byClass.set(s['meta:class'], [...(byClass.get(s['meta:class']) ?? []), s]);
  return new Map([...byClass].map(([cls, docs]) => [cls, { ...unionSchema(docs.map((s) => resolveSchema(s, lookup)), cls), 'meta:altId': `${docs[0]['meta:altId']}__union` }]));
}

/** Writes a schema version and keeps a snapshot of it (document and resolved view) that later versions leave in place. */
async function saveSchema(d: ApiDeps, sandbox: string, doc: SchemaDoc, lookup: ComponentLookup, mode: 'insert' | 'put'): Promise<void> {
  const resolved = resolveSchema(doc, lookup);
  await d.stores.schemas[mode](sandbox, doc);
  await d.stores.schemaVersions.put(sandbox, { id: `${doc['meta:altId']}@${doc.version}`, schemaId: doc.$id, version: doc.version, document: bare(doc), resolved, createdDate: isoNow(d) });
}

/** One schema in the representation Accept asks for, at the version it asks for (404 when that version is not kept). */
async function showSchema(d: ApiDeps, sandbox: string, schema: SchemaDoc, accept: XedAccept, lookup: ComponentLookup): Promise<object> {
  const version = wantedVersion(schema.version, accept.version);
  const descriptors = accept.descriptors ? (await descriptorsOf(d, sandbox, schema.$id)).map(bare) : [];
  if (version === schema.version) return renderXed(accept, bare(schema), () => resolveSchema(schema, lookup), descriptors);
  const kept = version ? await d.stores.schemaVersions.get(sandbox, `${schema['meta:altId']}@${version}`) : null;
  if (!kept) throw notFound('Schema version', `${schema.$id} version ${accept.version}`);
  return renderXed(accept, kept.document, () => kept.resolved, descriptors);
}

/** PUT and PATCH of a schema: the same rules (domain reviseSchemaDocument), a new version, the old one kept. */
async function replaceSchema(c: C, id: string, candidate: (cur: SchemaDoc) => unknown): Promise<Response> {
  const { d, sandbox } = scope(c);
  const cur = await findSchema(d, sandbox, id);
  const { lookup } = await loadRegistry(d, sandbox);
  const next = reviseSchemaDocument(cur, candidate(cur), lookup);
  const stored: SchemaDoc = { ...next, id: cur.id, 'meta:createdDate': cur['meta:createdDate'], 'meta:updatedDate': isoNow(d) };
  await saveSchema(d, sandbox, stored, lookup, 'put');
  return c.json(bare(stored));
}

function schemaRoutes(app: Router) {
  const path = `${BASE}/tenant/schemas`;
  op(app, { method: 'post', path, tag, summary: 'Create a schema from a class and field groups (version 1.0)', body: schemaInput, status: 201 }, async (c, { body }) => {
    const { d, sandbox } = scope(c);
    const { lookup } = await loadRegistry(d, sandbox);
    const ids = schemaIds(d.tenantId, newHex());
    const stored: SchemaDoc = { ...buildSchemaDocument(body, ids, lookup), id: ids['meta:altId'], 'meta:createdDate': isoNow(d) };
    await saveSchema(d, sandbox, stored, lookup, 'insert');
    return c.json(bare(stored), 201);
  });
  op(app, { method: 'get', path, tag, summary: `List schemas; ${ACCEPT}`, query: listQuery }, async (c, { query }) => {
    const { d, sandbox } = scope(c);
    const accept: XedAccept = { ...acceptOf(c), descriptors: false };
    const { items, total } = await d.stores.schemas.list(sandbox, {}, query);
    const lookup = accept.full ? (await loadRegistry(d, sandbox)).lookup : findStandard;
    const results = items.map((s) => (accept.idOnly ? summaryOf(s) : renderXed(accept, bare(s), () => resolveSchema(s, lookup))));
    return c.json({ results, _page: { count: items.length, total } });
  });
  op(app, { method: 'get', path: `${path}/{id}`, tag, summary: `Get a schema; ${ACCEPT}; version=1 → current, version=1.2 → that kept version; xed-full-desc adds the descriptors under meta:descriptors` }, async (c, v) => {
    const { d, sandbox } = scope(c);
    const schema = await findSchema(d, sandbox, v.params.id);
    return c.json(await showSchema(d, sandbox, schema, acceptOf(c), (await loadRegistry(d, sandbox)).lookup));
  });
  op(app, { method: 'put', path: `${path}/{id}`, tag, summary: 'Replace a schema (same rules as PATCH; version +0.1)', body: schemaInput }, (c, { body, params }) =>
    replaceSchema(c, params.id, () => body));
  op(app, { method: 'patch', path: `${path}/{id}`, tag, summary: 'JSON Patch a schema (add field groups, enable for Profile); version +0.1', body: patchBody }, (c, { body, params }) =>
    // A patch that removes meta:immutableTags asks for none (refused if any was set); a PUT that leaves them out keeps them.
    replaceSchema(c, params.id, (cur) => ({ 'meta:immutableTags': [], ...applyPatch(bare(cur), body as PatchOp[]) })));
  op(app, { method: 'delete', path: `${path}/{id}`, tag, summary: 'Delete a schema with its versions and descriptors', status: 204 }, async (c, v) => {
    const { d, sandbox } = scope(c);
    const doc = await findSchema(d, sandbox, v.params.id);
    const used = await d.stores.datasets.find(sandbox, { 'schemaRef.id': doc.$id });
    if (used) throw new ApiError(409, 'CONFLICT', `Schema is used by dataset ${used.id}`);
    await d.stores.schemas.delete(sandbox, doc.id);
    await d.stores.schemaVersions.coll.deleteMany({ sandbox, schemaId: doc.$id });
    await d.stores.descriptors.coll.deleteMany({ sandbox, 'xdm:sourceSchema': doc.$id });
    return c.body(null, 204);
  });
}

const showComponent = (x: XdmComponent & { id?: string }, accept: XedAccept, lookup: ComponentLookup) => {
  const { id: _id, ...refs } = x;
  return accept.idOnly ? summaryOf(x) : renderXed(accept, refs, () => resolvedComponent(x, lookup));
};

function findComponent<T extends XdmComponent>(items: readonly T[], kind: string, raw: string, label: string): T {
  const id = idParam(raw);
  const found = items.find((x) => (x.$id === id || x['meta:altId'] === id) && x['meta:resourceType'] === kind);
  if (!found) throw notFound(label, id);
  return found;
}

/** GET one component: the current version only (components keep no history), in the Accept representation. */
function showOne(c: C, x: XdmComponent, lookup: ComponentLookup, label: string): Response {
  const accept = acceptOf(c);
  if (wantedVersion(x.version ?? '1.0', accept.version) !== (x.version ?? '1.0')) throw notFound(`${label} version`, `${x.$id} version ${accept.version}`);
  return c.json(showComponent(x, accept, lookup));
}

/**
 * PUT and PATCH of a tenant component. Every schema built on it must still compose, Profile-enabled
 * ones may only gain fields; those schemas get a new version too (their resolved view changed).
 */
async function changeComponent(c: C, kind: TenantKind, label: string, id: string, candidate: (cur: ComponentDoc) => unknown): Promise<Response> {
  const { d, sandbox } = scope(c);
  const reg = await loadRegistry(d, sandbox);
  const cur = findComponent(reg.components, kind, id, label);
  const next = reviseTenantComponent(cur, candidate(cur), { tenantId: d.tenantId, lookup: reg.lookup });
  const after = combineLookups(lookupOf([next]), reg.lookup);
  const affected = schemasAffectedBy(next.$id, await allSchemas(d, sandbox), reg.lookup, after);
  const stored: ComponentDoc = { ...next, id: cur.id, 'meta:createdDate': cur['meta:createdDate'], 'meta:updatedDate': isoNow(d) };
  await d.stores.xdmComponents.put(sandbox, stored);
  for (const s of affected) await saveSchema(d, sandbox, { ...s, version: nextVersion(s.version), 'meta:updatedDate': isoNow(d) }, after, 'put');
  return c.json(bare(stored));
}

function componentRoutes(app: Router, segment: string, kind: TenantKind, label: string) {
  const path = `${BASE}/tenant/${segment}`;
  op(app, { method: 'post', path, tag, summary: `Create a tenant ${label}`, body: componentInput, status: 201 }, async (c, { body }) => {
    const { d, sandbox } = scope(c);
    const { lookup } = await loadRegistry(d, sandbox);
    const component = buildTenantComponent(kind, body, tenantIds(d.tenantId, kind, newHex()), { tenantId: d.tenantId, lookup });
    const stored: ComponentDoc = { ...component, id: component['meta:altId'], 'meta:createdDate': isoNow(d) };
    await d.stores.xdmComponents.insert(sandbox, stored);
    return c.json(bare(stored), 201);
  });
  op(app, { method: 'get', path, tag, summary: `List tenant ${label}s; ${ACCEPT}`, query: listQuery }, async (c, { query }) => {
    const reg = await loadRegistry(c.get('deps'), c.get('sandbox'));
    const items = reg.components.filter((x) => x['meta:resourceType'] === kind);
    const accept = acceptOf(c);
    const results = items.slice(query.start, query.start + query.limit).map((x) => showComponent(x, accept, reg.lookup));
    return c.json({ results, _page: { count: results.length, total: items.length } });
  });
  op(app, { method: 'get', path: `${path}/{id}`, tag, summary: `Get a tenant ${label}; ${ACCEPT}` }, async (c, v) => {
    const reg = await loadRegistry(c.get('deps'), c.get('sandbox'));
    return showOne(c, findComponent(reg.components, kind, v.params.id, label), reg.lookup, label);
  });
  op(app, { method: 'put', path: `${path}/{id}`, tag, summary: `Replace a tenant ${label} (schemas using it must stay valid; Profile-enabled ones additive only)`, body: componentInput }, (c, { body, params }) =>
    changeComponent(c, kind, label, params.id, () => body));
  op(app, { method: 'patch', path: `${path}/{id}`, tag, summary: `JSON Patch a tenant ${label} (same rules as PUT)`, body: patchBody }, (c, { body, params }) =>
    changeComponent(c, kind, label, params.id, (cur) => applyPatch(bare(cur), body as PatchOp[])));
  op(app, { method: 'delete', path: `${path}/{id}`, tag, summary: `Delete a tenant ${label} (409 while a schema or component uses it)`, status: 204 }, async (c, v) => {
    const { d, sandbox } = scope(c);
    const reg = await loadRegistry(d, sandbox);
    const cur = findComponent(reg.components, kind, v.params.id, label);
    const user = findUser(cur.$id, await allSchemas(d, sandbox), reg.components, reg.lookup);
    if (user) throw new ApiError(409, 'CONFLICT', `The ${label} ${cur.$id} is used by ${user.resource} '${user.title}' (${user.$id})`, { usedBy: user });
    await d.stores.xdmComponents.delete(sandbox, cur.id);
    return c.body(null, 204);
  });
}

const GLOBAL: [segment: string, items: readonly XdmComponent[], label: string][] = [
  ['classes', STANDARD_CLASSES, 'class'],
  ['fieldgroups', STANDARD_FIELD_GROUPS, 'field group'],
  ['mixins', STANDARD_FIELD_GROUPS, 'field group (legacy path)'],
  ['datatypes', STANDARD_DATA_TYPES, 'data type'],
  ['behaviors', STANDARD_BEHAVIORS, 'behavior'],
];

function globalRoutes(app: Router) {
  for (const [segment, items, label] of GLOBAL) {
    op(app, { method: 'get', path: `${BASE}/global/${segment}`, tag, summary: `Standard ${label}s; ${ACCEPT}` }, (c) =>
      c.json({ results: items.map((x) => showComponent(x, acceptOf(c), findStandard)), _page: { count: items.length } }));
    op(app, { method: 'get', path: `${BASE}/global/${segment}/{id}`, tag, summary: `One standard ${label}; ${ACCEPT}` }, (c, v) =>
      showOne(c, findComponent(items, items[0]['meta:resourceType'], v.params.id, `Standard ${label}`), findStandard, label));
  }
}

/** A descriptor checked against its schema and the schema's other descriptors. */
async function checkedDescriptor(d: ApiDeps, sandbox: string, body: DescriptorInput, id: string): Promise<DescriptorDoc> {
  const schema = await findSchema(d, sandbox, body['xdm:sourceSchema']).catch(() => {
    throw unprocessable(`xdm:sourceSchema: schema ${body['xdm:sourceSchema']} does not exist`);
  });
  const { lookup } = await loadRegistry(d, sandbox);
  checkDescriptor(body, resolveSchema(schema, lookup), await descriptorsOf(d, sandbox, schema.$id), id);
  return descriptorDoc(body, id, schema.$id);
}

async function findDescriptor(d: ApiDeps, sandbox: string, id: string): Promise<DescriptorDoc> {
  const doc = await d.stores.descriptors.get(sandbox, id);
  if (!doc) throw notFound('Descriptor', id);
  return doc;
}

/** List items by Accept: `xdm-id+json` ids, `xdm-link+json` paths, otherwise (xdm+json) whole descriptors. */
const DESCRIPTOR_ITEMS: Record<string, (x: DescriptorDoc) => unknown> = { id: (x) => x.id, link: (x) => `/tenant/descriptors/${x.id}` };

function descriptorRoutes(app: Router) {
  const path = `${BASE}/tenant/descriptors`;
  const summary = 'identity (xdm:descriptorIdentity) or display (xdm:alternateDisplayInfo) descriptor';
  op(app, { method: 'post', path, tag, summary: `Create an ${summary} (at most ${DESCRIPTOR_LIMIT} per sandbox)`, body: descriptorInput, status: 201 }, async (c, { body }) => {
    const { d, sandbox } = scope(c);
    const count = await d.stores.descriptors.coll.countDocuments({ sandbox });
    if (count >= DESCRIPTOR_LIMIT) throw new ApiError(422, 'LIMIT_EXCEEDED', `descriptors: a sandbox holds at most ${DESCRIPTOR_LIMIT} descriptors (it has ${count}); delete some first`);
    const doc = await checkedDescriptor(d, sandbox, body, newHex(20));
    await d.stores.descriptors.insert(sandbox, doc);
    return c.json(bare(doc), 201);
  });
  op(app, { method: 'get', path, tag, summary: 'List descriptors grouped by @type; Accept application/vnd.adobe.xdm[-id|-link]+json (default: whole descriptors)' }, async (c) => {
    const { d, sandbox } = scope(c);
    const { items } = await d.stores.descriptors.list(sandbox, {}, { limit: DESCRIPTOR_LIMIT });
    const item = DESCRIPTOR_ITEMS[/xdm-(id|link)\+json/.exec(c.req.header('accept') ?? '')?.[1] ?? ''] ?? bare;
    const grouped: Record<string, unknown[]> = {};
    for (const x of items) (grouped[x['@type']] ??= []).push(item(x));
    return c.json(grouped);
  });
  op(app, { method: 'get', path: `${path}/{id}`, tag, summary: 'Get a descriptor' }, async (c, v) => c.json(bare(await findDescriptor(c.get('deps'), c.get('sandbox'), v.params.id))));
  op(app, { method: 'put', path: `${path}/{id}`, tag, summary: `Replace an ${summary}`, body: descriptorInput }, async (c, { body, params }) => {
    const { d, sandbox } = scope(c);
    const cur = await findDescriptor(d, sandbox, params.id);
    const doc = await checkedDescriptor(d, sandbox, body, cur.id);
    await d.stores.descriptors.put(sandbox, doc);
    return c.json(bare(doc));
  });
  op(app, { method: 'delete', path: `${path}/{id}`, tag, summary: 'Delete a descriptor', status: 204 }, async (c, v) => {
    if (!(await c.get('deps').stores.descriptors.delete(c.get('sandbox'), v.params.id))) throw notFound('Descriptor', v.params.id);
    return c.body(null, 204);
  });
}

export function schemaRegistryRoutes(app: Router) {
  op(app, { method: 'get', path: `${BASE}/stats`, tag, summary: 'Tenant id and counts' }, async (c) => {
    const { d, sandbox } = scope(c);
    const count = (coll: { countDocuments(filter: object): Promise<number> }, filter: object = {}) => coll.countDocuments({ ...filter, sandbox });
    const kind = (k: TenantKind) => count(d.stores.xdmComponents.coll, { 'meta:resourceType': k });
    const [schemas, classes, mixins, datatypes, descriptors, unions] = await Promise.all([
      count(d.stores.schemas.coll), kind('classes'), kind('mixins'), kind('datatypes'), count(d.stores.descriptors.coll), unionsByClass(d, sandbox),
    ]);
    const counts = { schemas, classes, mixins, datatypes, descriptors, unions: unions.size };
    return c.json({ imsOrg: d.tenantId, tenantId: d.tenantId, counts });
  });
  globalRoutes(app);
  schemaRoutes(app);
  componentRoutes(app, 'classes', 'classes', 'class');
  componentRoutes(app, 'fieldgroups', 'mixins', 'field group');
  componentRoutes(app, 'mixins', 'mixins', 'field group (legacy path)');
  componentRoutes(app, 'datatypes', 'datatypes', 'data type');
  descriptorRoutes(app);
  op(app, { method: 'get', path: `${BASE}/tenant/unions`, tag, summary: 'Union schema of profile-enabled schemas per class' }, async (c) => {
    const unions = await unionsByClass(c.get('deps'), c.get('sandbox'));
    return c.json({ results: [...unions.values()] });
  });
}
