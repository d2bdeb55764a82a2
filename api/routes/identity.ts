import { z } from 'zod';
import { sandboxNamespaces } from '../../infra/identity/namespaces';
import { ApiError } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { resolveNamespace } from './namespaces';
import { graphOf } from './profile';

const IDENTITY = '/data/core/identity';

/** Identity Service: the identity graph as AEP's API shows it. */
export function identityRoutes(app: Router) {
  op(app, {
    method: 'get', path: `${IDENTITY}/identity/cluster/members`, tag: 'Identity Service', summary: 'Identities in the same graph as one identity',
    query: z.object({ ns: z.string().optional(), nsId: z.coerce.number().int().optional(), id: z.string().min(1), 'graph-type': z.enum(['None', 'Private Graph']).default('Private Graph') }),
  }, async (c, { query }) => {
    const d = c.get('deps');
    if (query.ns === undefined && query.nsId === undefined) throw new ApiError(400, 'VALIDATION', 'ns or nsId: one of them must name a known namespace');
    const ns = await resolveNamespace(d, c.get('sandbox'), query, query.ns !== undefined ? 'ns' : 'nsId');
    const graphId = await graphOf(d, c.get('sandbox'), ns.code, query.id, 'id');
    const self = { xid: '', nsid: ns.id, namespace: ns.code, id: query.id };
    if (!graphId || query['graph-type'] === 'None') return c.json({ members: [self] });
    const members = await d.stores.identities.members(c.get('sandbox'), [graphId]);
    const all = await sandboxNamespaces(d.stores, c.get('sandbox'));
    return c.json({ members: members.map((m) => ({ nsid: all.find((n) => n.code === m.ns)?.id, namespace: m.ns, id: m.id })) });
  });
}
