import { z } from 'zod';
import { DEFAULT_LINKING_RULES } from '../../domain/identity/graph';
import { findNamespace, identityKey, normalizeIdentity, parseIdentityKey } from '../../domain/identity/namespaces';
import type { Namespace } from '../../domain/identity/namespaces';
import { linkingRulesOf, setLinkingRules } from '../../infra/identity/linking-rules';
import { sandboxNamespaces } from '../../infra/identity/namespaces';
import type { ApiDeps } from '../context';
import { ApiError, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { resolveNamespace } from './namespaces';

const IDENTITY = '/data/core/identity';
const tag = 'Identity Service';
/** AEP: identities per bulk cluster request. */
export const MAX_CLUSTER_IDENTITIES = 1000;

/** An identity's XID: an opaque, stable id for `<namespace>:<value>` (base64url of it). */
export const xidOf = (key: string) => Buffer.from(key).toString('base64url');
const keyOfXid = (xid: string) => Buffer.from(xid, 'base64url').toString();

interface Ref { key: string; ns: Namespace; id: string }

/** Resolves (namespace, value) to the identity's normalised key; 422 names the field when the value can never be an identity. */
async function identityOf(d: ApiDeps, sandbox: string, by: { ns?: string; nsId?: number | string }, id: string, field: string): Promise<Ref> {
  const ns = await resolveNamespace(d, sandbox, by, by.ns !== undefined ? 'ns' : 'nsId');
  const value = normalizeIdentity(ns, id);
  if (value === null) throw unprocessable(`${field}: "${id}" is not a valid ${ns.code} identity (blocked, malformed or too long)`);
  return { key: identityKey(ns.code, value), ns, id: value };
}

const member = (key: string, all: Namespace[]) => {
  const { ns, id } = parseIdentityKey(key);
  return { xid: xidOf(key), nsid: findNamespace(all, ns)?.id, namespace: ns, id };
};

/** Members of each identity's graph (`None`: the identity alone), as AEP's cluster responses list them. */
async function clusters(d: ApiDeps, sandbox: string, keys: string[], graphType: 'None' | 'Private Graph') {
  const all = await sandboxNamespaces(d.stores, sandbox);
  const graphOf = graphType === 'None' ? new Map<string, string>() : await d.stores.identities.graphsOf(sandbox, keys);
  const graphs = new Map((await d.stores.graphs.getMany(sandbox, [...new Set(graphOf.values())])).map((g) => [g.id, g]));
  return keys.map((k) => {
    const g = graphs.get(graphOf.get(k) ?? '');
    const members = g ? g.members.map((m) => m.k).sort() : [k];
    return { key: k, graphId: g?.id, members: members.map((m) => member(m, all)) };
  });
}

const lookupQuery = z.object({ ns: z.string().optional(), nsId: z.coerce.number().int().optional(), id: z.string().min(1) });
const requireNs = (q: { ns?: string; nsId?: number }) => {
  if (q.ns === undefined && q.nsId === undefined) throw new ApiError(400, 'VALIDATION', 'ns or nsId: one of them must name a known namespace');
};

/** The identity a lookup query names (ns or nsId, and id) and its graph, if it has one. */
async function lookedUp(d: ApiDeps, sandbox: string, query: z.infer<typeof lookupQuery>) {
  requireNs(query);
  const ref = await identityOf(d, sandbox, query, query.id, 'id');
  return { ref, graphId: (await d.stores.identities.graphsOf(sandbox, [ref.key])).get(ref.key) };
}

const rulesBody = z.object({
  graphLimit: z.number().int().min(2).max(1000).optional(),
  uniqueNamespaces: z.array(z.string().min(1)).max(20).optional(),
  namespacePriority: z.array(z.string().min(1)).max(100).optional(),
  batchLinkLimit: z.number().int().min(2).max(100_000).optional(),
}).strict();

/** Identity Service: graph members (one or in bulk), graph history and links, linking rules. */
export function identityGraphRoutes(app: Router) {
  op(app, {
    method: 'get', path: `${IDENTITY}/identity/cluster/members`, tag, summary: 'Identities in the same graph as one identity (`graph-type=None`: the identity alone)',
    query: lookupQuery.extend({ 'graph-type': z.enum(['None', 'Private Graph']).default('Private Graph') }),
  }, async (c, { query }) => {
    const d = c.get('deps');
    requireNs(query);
    const ref = await identityOf(d, c.get('sandbox'), query, query.id, 'id');
    const [cluster] = await clusters(d, c.get('sandbox'), [ref.key], query['graph-type']);
    return c.json({ members: cluster.members });
  });

  op(app, {
    method: 'post', path: `${IDENTITY}/identity/clusters/members`, tag, summary: `Members of the graphs of up to ${MAX_CLUSTER_IDENTITIES} identities`,
    body: z.object({
      compositeXids: z.array(z.object({ nsid: z.coerce.number().int().optional(), ns: z.string().optional(), id: z.string().min(1) })).optional(),
      xids: z.array(z.string().min(1)).optional(),
      'graph-type': z.enum(['None', 'Private Graph']).default('Private Graph'),
    }),
  }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const n = (body.compositeXids?.length ?? 0) + (body.xids?.length ?? 0);
    if (!n) throw new ApiError(400, 'VALIDATION', 'compositeXids or xids: give at least one identity');
    if (n > MAX_CLUSTER_IDENTITIES) throw new ApiError(400, 'VALIDATION', `compositeXids/xids: ${n} identities requested; at most ${MAX_CLUSTER_IDENTITIES} per request`);
    const refs: { asked: unknown; key: string }[] = [];
    for (const [i, x] of (body.compositeXids ?? []).entries()) {
      if (x.ns === undefined && x.nsid === undefined) throw new ApiError(400, 'VALIDATION', `compositeXids[${i}].nsid: required`);
      refs.push({ asked: { nsid: x.nsid, ...(x.ns ? { ns: x.ns } : {}), id: x.id }, key: (await identityOf(d, sandbox, { ns: x.ns, nsId: x.nsid }, x.id, `compositeXids[${i}].id`)).key });
    }
    for (const [i, xid] of (body.xids ?? []).entries()) {
      const key = keyOfXid(xid);
      if (!key.includes(':')) throw new ApiError(400, 'VALIDATION', `xids[${i}]: "${xid}" is not an XID this service issued`);
      refs.push({ asked: xid, key });
    }
    const found = await clusters(d, sandbox, refs.map((r) => r.key), body['graph-type']);
    return c.json({ clusters: refs.map((r, i) => ({ [typeof r.asked === 'string' ? 'xid' : 'compositeXid']: r.asked, members: found[i].members })) });
  });

  op(app, {
    method: 'get', path: `${IDENTITY}/identity/cluster/history`, tag, summary: "History of an identity's graph: merges, splits, identities removed over the limit, links refused by a rule",
    query: lookupQuery,
  }, async (c, { query }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const { ref, graphId } = await lookedUp(d, sandbox, query);
    const entries = graphId ? await d.stores.graphs.historyOf(sandbox, [graphId]) : [];
    // Also what happened to the identity itself in other graphs: removed over a limit, or rejected in a batch.
    const own = await d.stores.graphs.history.find({ sandbox, $or: [{ type: 'rejected', identity: ref.key }, { type: 'removed', identities: ref.key }] } as never).sort({ at: 1 }).limit(100).toArray();
    const history = [...new Map([...entries, ...own].map((e) => [e._id, e])).values()].sort((a, b) => a.at - b.at || a._id.localeCompare(b._id)).map(({ _id, sandbox: _s, ...e }) => ({ ...e, timestamp: new Date(e.at).toISOString() }));
    return c.json({ xid: xidOf(ref.key), graphId: graphId ?? null, history });
  });

  op(app, {
    method: 'get', path: `${IDENTITY}/identity/cluster/links`, tag, summary: "OpenXP: the links of an identity's graph, each with the records (dataset, batch, record identity) that made it",
    query: lookupQuery,
  }, async (c, { query }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const { ref, graphId } = await lookedUp(d, sandbox, query);
    const [g] = graphId ? await d.stores.graphs.getMany(sandbox, [graphId]) : [];
    const all = await sandboxNamespaces(d.stores, sandbox);
    return c.json({
      graphId: g?.id ?? null,
      members: (g?.members ?? [{ k: ref.key, ts: 0, type: ref.ns.idType }]).map((m) => ({ ...member(m.k, all), type: m.type, ...(m.ts ? { firstSeen: new Date(m.ts).toISOString() } : {}) })),
      links: (g?.edges ?? []).map((e) => ({ from: member(e.a, all), to: member(e.b, all), firstLinked: new Date(e.ts).toISOString(), records: e.src })),
    });
  });

  op(app, { method: 'get', path: `${IDENTITY}/config/linkingRules`, tag, summary: 'OpenXP: the sandbox\'s identity linking rules (graph limit, unique namespaces, namespace priority, batch link limit)' }, async (c) => {
    return c.json(await linkingRulesOf(c.get('deps').stores, c.get('sandbox'), { fresh: true }));
  });

  op(app, {
    method: 'put', path: `${IDENTITY}/config/linkingRules`, tag, summary: 'OpenXP: sets the linking rules; they apply to links made from now on (existing graphs are not re-split)',
    body: rulesBody,
  }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const all = await sandboxNamespaces(d.stores, sandbox);
    for (const field of ['uniqueNamespaces', 'namespacePriority'] as const) {
      for (const [i, code] of (body[field] ?? []).entries()) if (!findNamespace(all, code)) throw unprocessable(`${field}[${i}]: unknown identity namespace "${code}"`);
    }
    const rules = { ...DEFAULT_LINKING_RULES, ...(await linkingRulesOf(d.stores, sandbox, { fresh: true })), ...body };
    await setLinkingRules(d.stores, sandbox, rules, d.now());
    return c.json(rules);
  });
}
