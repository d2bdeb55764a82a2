import { z } from 'zod';
import type { Namespace } from '../../domain/identity/namespaces';
import { createCustomNamespace, getNamespace, sandboxNamespaces, updateCustomNamespace } from '../../infra/identity/namespaces';
import type { ApiDeps } from '../context';
import { ApiError, notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';

const BASE = '/data/core/idnamespace/identities';
const tag = 'Identity Service';

const createBody = z.object({
  name: z.string().min(1).max(255),
  code: z.string(),
  description: z.string().max(1000).optional(),
  idType: z.string(),
});
/** Clients often PUT back what they read: code and idType may be sent, but only unchanged. */
const updateBody = z.looseObject({ name: z.string().max(255).optional(), description: z.string().max(1000).optional(), code: z.string().optional(), idType: z.string().optional() });

/**
 * The namespace a request names by code (`ns`, case-insensitive) or numeric id (`nsId`) among the
 * sandbox's standard and custom ones; otherwise a 422 naming `field`. Code wins when both are given.
 */
export async function resolveNamespace(d: ApiDeps, sandbox: string, by: { ns?: string; nsId?: number | string }, field: string): Promise<Namespace> {
  const key = by.ns ?? (by.nsId === undefined ? undefined : String(by.nsId));
  if (key === undefined || key === '') throw unprocessable(`${field}: name an identity namespace by its code or its numeric id`);
  const ns = await getNamespace(d.stores, sandbox, by.ns !== undefined ? by.ns : Number(key));
  if (!ns) throw unprocessable(`${field}: unknown identity namespace "${key}" (neither a standard namespace nor a custom one of sandbox ${sandbox})`);
  return ns;
}

async function byIdOrCode(d: ApiDeps, sandbox: string, id: string): Promise<Namespace> {
  const ns = await getNamespace(d.stores, sandbox, id);
  if (!ns) throw notFound('Identity namespace', id);
  return ns;
}

/** Identity Service namespaces: AEP's standard ones plus the sandbox's custom ones; never deleted. */
export function namespaceRoutes(app: Router) {
  op(app, { method: 'get', path: BASE, tag, summary: 'List identity namespaces (standard and the sandbox\'s custom ones)' }, async (c) =>
    c.json(await sandboxNamespaces(c.get('deps').stores, c.get('sandbox'))));

  op(app, { method: 'get', path: `${BASE}/{id}`, tag, summary: 'Get an identity namespace by numeric id or code' }, async (c, { params }) =>
    c.json(await byIdOrCode(c.get('deps'), c.get('sandbox'), params.id)));

  op(app, { method: 'post', path: BASE, tag, summary: 'Create a custom identity namespace', body: createBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    return c.json(await createCustomNamespace(d.stores, c.get('sandbox'), body, d.now()), 201);
  });

  op(app, { method: 'put', path: `${BASE}/{id}`, tag, summary: 'Update a custom namespace\'s name and description (code and idType are immutable)', body: updateBody }, async (c, { body, params }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const ns = await byIdOrCode(d, sandbox, params.id);
    if (body.code !== undefined && body.code.toLowerCase() !== ns.code.toLowerCase()) throw unprocessable(`code: a namespace's code cannot change (it is "${ns.code}"); create a new namespace instead`);
    if (body.idType !== undefined && body.idType.toLowerCase() !== ns.idType.toLowerCase()) throw unprocessable(`idType: a namespace's identity type cannot change (it is ${ns.idType}); create a new namespace instead`);
    return c.json(await updateCustomNamespace(d.stores, sandbox, ns, { name: body.name, description: body.description }, d.now()));
  });

  op(app, { method: 'delete', path: `${BASE}/{id}`, tag, summary: 'Refused: identity namespaces cannot be deleted', status: 400 }, async (c, { params }) => {
    const ns = await byIdOrCode(c.get('deps'), c.get('sandbox'), params.id);
    throw new ApiError(400, 'VALIDATION', `id: namespace ${ns.id} (${ns.code}) cannot be deleted; namespaces qualify stored identities, so they are permanent (as in AEP)`);
  });
}
