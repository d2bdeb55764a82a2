import { z } from 'zod';
import { findNamespace, identityKey, normalizeIdentity, STANDARD_NAMESPACES } from '../../domain/identity/namespaces';
import { defaultMergePolicy } from '../../domain/profile/model';
import type { ApiDeps } from '../context';
import { notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';

const UPS = '/data/core/ups';

/** The graph an identity belongs to, or null. `ns` is a namespace code (case-insensitive). */
export async function graphOf(d: ApiDeps, sandbox: string, ns: string, id: string, field: string): Promise<string | null> {
  const namespace = findNamespace(STANDARD_NAMESPACES, ns);
  if (!namespace) throw unprocessable(`${field}: unknown identity namespace "${ns}"`);
  const value = normalizeIdentity(namespace, id);
  if (value === null) return null;
  return (await d.stores.identities.graphsOf(sandbox, [identityKey(namespace.code, value)])).values().next().value ?? null;
}

/** The sandbox's default merge policy, created on first use. */
export async function ensureDefaultMergePolicy(d: ApiDeps, sandbox: string) {
  const existing = await d.stores.mergePolicies.find(sandbox, { default: true, 'schema.name': '_xdm.context.profile' });
  if (existing) return existing;
  return d.stores.mergePolicies.put(sandbox, defaultMergePolicy(`${sandbox}-default-timestamp-ordered`, d.now()));
}

export function profileRoutes(app: Router) {
  op(app, {
    method: 'get', path: `${UPS}/access/entities`, tag: 'Real-Time Customer Profile',
    summary: 'Look up a merged profile by any identity, or (schema.name=_xdm.context.experienceevent with relatedEntityId/relatedEntityIdNS) its events, newest first',
    query: z.object({
      'schema.name': z.enum(['_xdm.context.profile', '_xdm.context.experienceevent']).default('_xdm.context.profile'),
      entityId: z.string().min(1).optional(), entityIdNS: z.string().min(1).optional(), relatedEntityId: z.string().min(1).optional(), relatedEntityIdNS: z.string().min(1).optional(),
      fields: z.string().optional(), mergePolicyId: z.string().optional(), startTime: z.string().optional(), endTime: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  }, async (c, { query }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    if (query['schema.name'] === '_xdm.context.experienceevent') {
      if (!query.relatedEntityId || !query.relatedEntityIdNS) throw unprocessable('relatedEntityId and relatedEntityIdNS: an event lookup names the profile by one of its identities');
      const graphId = await graphOf(d, sandbox, query.relatedEntityIdNS, query.relatedEntityId, 'relatedEntityId');
      const toIso = (v?: string) => (v === undefined ? undefined : /^\d+$/.test(v) ? new Date(Number(v)).toISOString() : v);
      const events = graphId ? await d.stores.profiles.eventsOf(sandbox, graphId, { limit: query.limit, startTime: toIso(query.startTime), endTime: toIso(query.endTime) }) : [];
      return c.json({ _page: { count: events.length }, children: events.map((e) => ({ relatedEntityId: graphId, entityId: e._id.split('|').pop(), timestamp: Date.parse(e.timestamp), entity: e.data })) });
    }
    if (!query.entityId || !query.entityIdNS) throw unprocessable('entityId and entityIdNS: a profile lookup names one of its identities');
    if (query.mergePolicyId) {
      const mp = await ensureDefaultMergePolicy(d, sandbox);
      if (query.mergePolicyId !== mp.id) throw unprocessable(`mergePolicyId: only the default merge policy (${mp.id}) is materialised so far`);
    }
    const graphId = await graphOf(d, sandbox, query.entityIdNS, query.entityId, 'entityId');
    const profile = graphId ? await d.stores.profiles.getProfile(sandbox, graphId) : null;
    if (!profile) throw notFound('Profile for identity', `${query.entityIdNS}:${query.entityId}`);
    let entity: Record<string, unknown> = { ...profile.entity, segmentMembership: profile.segmentMembership ?? {} };
    if (query.fields) {
      const keep = new Set(query.fields.split(',').map((f) => f.trim().split('.')[0]));
      entity = Object.fromEntries(Object.entries(entity).filter(([k]) => keep.has(k)));
    }
    return c.json({ [profile.graphId]: { entityId: profile.graphId, sources: profile.sources, entity, lastModifiedAt: new Date(profile.lastModifiedAt).toISOString() } });
  });

  op(app, { method: 'get', path: `${UPS}/config/mergePolicies`, tag: 'Real-Time Customer Profile', summary: 'List merge policies' }, async (c) => {
    const d = c.get('deps');
    await ensureDefaultMergePolicy(d, c.get('sandbox'));
    const { items, total } = await d.stores.mergePolicies.list(c.get('sandbox'));
    return c.json({ _page: { totalCount: total, pageSize: items.length }, children: items });
  });
}
