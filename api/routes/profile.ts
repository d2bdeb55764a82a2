import type { Context } from 'hono';
import { z } from 'zod';
import { identityKey, normalizeIdentity } from '../../domain/identity/namespaces';
import { parseFields, PROFILE_SCHEMA, projectFields, withinFields } from '../../domain/profile/model';
import type { MergePolicy } from '../../domain/profile/model';
import { defaultMergePolicyOf, getMergePolicy } from '../../infra/profile/merge-policies';
import { isTooManyIdentities, readProfile } from '../../infra/profile/read-profile';
import type { ProfileRef, ReadProfile } from '../../infra/profile/read-profile';
import type { ApiDeps, AppEnv } from '../context';
import { ApiError, notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { mergePolicyRoutes } from './merge-policies';
import { resolveNamespace } from './namespaces';

const UPS = '/data/core/ups';
const ENTITIES = `${UPS}/access/entities`;
const EVENT_SCHEMA = '_xdm.context.experienceevent';
const tag = 'Real-Time Customer Profile';
/** AEP: identities per bulk lookup. */
export const MAX_BULK_IDENTITIES = 100;

/** The identity asked for (normalised key) and its graph; null when the value can never be an identity. */
export async function identityRef(d: ApiDeps, sandbox: string, ns: string, id: string, field: string): Promise<ProfileRef | null> {
  const namespace = await resolveNamespace(d, sandbox, { ns }, field);
  const value = normalizeIdentity(namespace, id);
  if (value === null) return null;
  const key = identityKey(namespace.code, value);
  return { identityKey: key, graphId: (await d.stores.identities.graphsOf(sandbox, [key])).get(key) ?? null };
}

async function policyOf(d: ApiDeps, sandbox: string, id: string | undefined): Promise<MergePolicy> {
  if (!id) return defaultMergePolicyOf(d.stores, sandbox, d.now());
  const p = await getMergePolicy(d.stores, sandbox, id, d.now());
  if (!p) throw unprocessable(`mergePolicyId: merge policy "${id}" does not exist in this sandbox`);
  return p;
}

/** A profile as AEP shows it, with `fields` projected and, when asked, where each attribute came from. */
function present(p: ReadProfile, fields: string[] | undefined) {
  const entity = fields ? projectFields(p.entity, fields) : p.entity;
  if (p.attributes) {
    const attributes = Object.fromEntries(Object.entries(p.attributes)
      .filter(([path]) => !fields || withinFields(path, fields))
      .map(([path, s]) => [path, { datasetId: s.datasetId, batchId: s.batchId ?? null, recordKey: s.recordKey, timestamp: s.timestamp }]));
    entity._explain = { attributes };
  }
  return { entityId: p.entityId, sources: p.sources, entity, lastModifiedAt: new Date(p.lastModifiedAt).toISOString(), mergePolicy: p.mergePolicy };
}

const entityQuery = z.object({
  'schema.name': z.enum([PROFILE_SCHEMA, EVENT_SCHEMA]).default(PROFILE_SCHEMA),
  'relatedSchema.name': z.literal(PROFILE_SCHEMA).optional(),
  entityId: z.string().min(1).optional(), entityIdNS: z.string().min(1).optional(), relatedEntityId: z.string().min(1).optional(), relatedEntityIdNS: z.string().min(1).optional(),
  fields: z.string().optional(), mergePolicyId: z.string().min(1).optional(), explain: z.enum(['true', 'false']).optional(),
  startTime: z.string().optional(), endTime: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100),
  orderby: z.enum(['-timestamp', 'timestamp']).default('-timestamp'), start: z.string().optional(),
});

/** Epoch ms or an ISO date → the ISO form events are stored with. */
const isoTime = (v: string | undefined, field: string) => {
  if (v === undefined) return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw new ApiError(400, 'VALIDATION', `${field}: expected epoch milliseconds or an ISO date-time, got "${v}"`);
  return new Date(t).toISOString();
};
const cursor = {
  encode: (timestamp: string, id: string) => Buffer.from(JSON.stringify([timestamp, id])).toString('base64url'),
  decode: (s: string) => {
    try {
      const [timestamp, id] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
      if (typeof timestamp === 'string' && typeof id === 'string') return { timestamp, id };
    } catch { /* reported below */ }
    throw new ApiError(400, 'VALIDATION', 'start: not a cursor from a previous page (_page.next)');
  },
};

/** A profile's ExperienceEvents, one page at a time; `_page.next` continues after the last event returned. */
async function eventsPage(c: Context<AppEnv>, query: z.infer<typeof entityQuery>) {
  const d = c.get('deps');
  const sandbox = c.get('sandbox');
  if (!query.relatedEntityId || !query.relatedEntityIdNS) throw unprocessable('relatedEntityId and relatedEntityIdNS: an event lookup names the profile by one of its identities');
  const graphId = (await identityRef(d, sandbox, query.relatedEntityIdNS, query.relatedEntityId, 'relatedEntityIdNS'))?.graphId ?? null;
  const opts = { startTime: isoTime(query.startTime, 'startTime'), endTime: isoTime(query.endTime, 'endTime'), ascending: query.orderby === 'timestamp', after: query.start ? cursor.decode(query.start) : undefined };
  const rows = graphId ? await d.stores.profiles.eventsPage(sandbox, graphId, { ...opts, limit: query.limit + 1 }) : [];
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const next = rows.length > query.limit ? cursor.encode(last.timestamp, last._id) : '';
  const url = new URL(c.req.url);
  url.searchParams.set('start', next);
  const fields = parseFields(query.fields);
  return c.json({
    _page: { orderby: query.orderby, start: query.start ?? '', count: page.length, next },
    children: page.map((e) => ({
      relatedEntityId: graphId, entityId: e._id.slice(`${sandbox}|${e.datasetId}|`.length), timestamp: Date.parse(e.timestamp), entity: fields ? projectFields(e.data, fields) : e.data,
    })),
    _links: { next: { href: next ? `${ENTITIES}?${url.searchParams}` : '' } },
  });
}

export function profileRoutes(app: Router) {
  op(app, {
    method: 'get', path: ENTITIES, tag, query: entityQuery,
    summary: 'Look up a merged profile by any identity (fields, mergePolicyId, explain=true), or with schema.name=_xdm.context.experienceevent and relatedEntityId/relatedEntityIdNS its events, paged',
  }, async (c, { query }) => {
    if (query['schema.name'] === EVENT_SCHEMA) return eventsPage(c, query);
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    if (!query.entityId || !query.entityIdNS) throw unprocessable('entityId and entityIdNS: a profile lookup names one of its identities');
    const policy = await policyOf(d, sandbox, query.mergePolicyId);
    const ref = await identityRef(d, sandbox, query.entityIdNS, query.entityId, 'entityIdNS');
    const p = ref && (await readProfile(d.stores, sandbox, ref, policy, { explain: query.explain === 'true' }));
    if (!p) throw notFound('Profile for identity', `${query.entityIdNS}:${query.entityId}`);
    return c.json({ [p.entityId]: present(p, parseFields(query.fields)) });
  });

  op(app, {
    method: 'post', path: ENTITIES, tag, summary: `Look up many profiles at once (at most ${MAX_BULK_IDENTITIES} identities; those without a profile are left out)`,
    body: z.object({
      schema: z.object({ name: z.string() }).default({ name: PROFILE_SCHEMA }),
      identities: z.array(z.object({ entityId: z.string().min(1), entityIdNS: z.object({ code: z.string().min(1) }) })).min(1),
      fields: z.union([z.string(), z.array(z.string())]).optional(),
      mergePolicyId: z.string().min(1).optional(),
      explain: z.boolean().optional(),
    }),
  }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    if (body.schema.name !== PROFILE_SCHEMA) throw unprocessable(`schema.name: bulk lookup serves ${PROFILE_SCHEMA} only (got "${body.schema.name}")`);
    if (body.identities.length > MAX_BULK_IDENTITIES) throw unprocessable(`identities: at most ${MAX_BULK_IDENTITIES} identities per request (got ${body.identities.length})`);
    const policy = await policyOf(d, sandbox, body.mergePolicyId);
    const fields = parseFields(body.fields);
    const out: Record<string, unknown> = {};
    for (const [i, x] of body.identities.entries()) {
      const ref = await identityRef(d, sandbox, x.entityIdNS.code, x.entityId, `identities[${i}].entityIdNS.code`);
      if (!ref?.graphId || (policy.identityGraph.type === 'pdg' && ref.graphId in out)) continue;
      const p = await readProfile(d.stores, sandbox, ref, policy, { explain: body.explain }).catch((e) => {
        if (isTooManyIdentities(e)) return null; // left out like an unknown identity, as AEP does
        throw e;
      });
      if (p) out[p.entityId] = present(p, fields);
    }
    return c.json(out);
  });

  op(app, {
    method: 'delete', path: ENTITIES, tag, summary: "Delete a profile: its fragments, events and merged profile (not its identity links; a privacy job removes both)",
    query: z.object({ 'schema.name': z.string().default(PROFILE_SCHEMA), entityId: z.string().min(1), entityIdNS: z.string().min(1) }),
  }, async (c, { query }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    if (query['schema.name'] !== PROFILE_SCHEMA) throw unprocessable(`schema.name: only ${PROFILE_SCHEMA} entities can be deleted here (got "${query['schema.name']}")`);
    const graphId = (await identityRef(d, sandbox, query.entityIdNS, query.entityId, 'entityIdNS'))?.graphId ?? null;
    const deleted = graphId ? await d.stores.profiles.deleteGraphData(sandbox, graphId) : { fragments: 0, events: 0, profiles: 0 };
    if (!deleted.fragments && !deleted.events && !deleted.profiles) throw notFound('Profile for identity', `${query.entityIdNS}:${query.entityId}`);
    return c.json({ entityId: graphId, deleted });
  });

  mergePolicyRoutes(app);
}
