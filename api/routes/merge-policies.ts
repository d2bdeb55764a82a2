import { z } from 'zod';
import type { MergePolicyInput } from '../../domain/profile/model';
import { createMergePolicy, deleteMergePolicy, getMergePolicy, listMergePolicies, patchMergePolicy, replaceMergePolicy } from '../../infra/profile/merge-policies';
import { ApiError, notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';

const PATH = '/data/core/ups/config/mergePolicies';
const tag = 'Real-Time Customer Profile';

/** What a client sends; `id`, `version` and `updateEpoch` are accepted (AEP echoes them back) but the platform sets them. */
const policyBody = z.object({
  id: z.string().optional(),
  name: z.string().min(1),
  imsOrgId: z.string().optional(),
  schema: z.object({ name: z.string().min(1) }),
  identityGraph: z.object({ type: z.enum(['none', 'pdg']) }),
  attributeMerge: z.object({ type: z.enum(['timestampOrdered', 'dataSetPrecedence']), order: z.array(z.string().min(1)).optional() }),
  default: z.boolean().default(false),
  version: z.number().optional(),
  updateEpoch: z.number().optional(),
});
type PolicyBody = z.infer<typeof policyBody>;

const input = (b: PolicyBody): MergePolicyInput => ({
  name: b.name, schema: { name: b.schema.name }, identityGraph: b.identityGraph, attributeMerge: b.attributeMerge, default: b.default, ...(b.imsOrgId ? { imsOrgId: b.imsOrgId } : {}),
});

/** A patched policy is checked like a body, but a bad result is a 422 (the patch itself was well-formed). */
const parsePatched = (doc: unknown): MergePolicyInput => {
  const r = policyBody.safeParse(doc);
  if (r.success) return input(r.data);
  const issue = r.error.issues[0];
  throw unprocessable(`${issue.path.map(String).join('.') || 'body'}: ${issue.message} after applying the patch`);
};

const patchBody = z.array(z.object({ op: z.enum(['add', 'remove', 'replace', 'test']), path: z.string(), value: z.unknown().optional() })).min(1);

/** Merge policies (`/config/mergePolicies`): AEP's CRUD with its guardrails (see infra/profile/merge-policies.ts). */
export function mergePolicyRoutes(app: Router) {
  op(app, {
    method: 'get', path: PATH, tag, summary: 'List merge policies (the sandbox default is created on first use)',
    query: z.object({ start: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(100).default(20), default: z.enum(['true', 'false']).optional() }),
  }, async (c, { query }) => {
    const d = c.get('deps');
    const { items, total } = await listMergePolicies(d.stores, c.get('sandbox'), { start: query.start, limit: query.limit, default: query.default === undefined ? undefined : query.default === 'true' }, d.now());
    const more = query.start + items.length < total;
    const url = new URL(c.req.url);
    url.searchParams.set('start', String(query.start + items.length));
    return c.json({
      _page: { totalCount: total, pageSize: items.length, next: more ? String(query.start + items.length) : '' },
      children: items,
      _links: { next: { href: more ? `${PATH}?${url.searchParams}` : '' } },
    });
  });

  op(app, { method: 'get', path: `${PATH}/{id}`, tag, summary: 'Get a merge policy' }, async (c, { params }) => {
    const d = c.get('deps');
    const p = await getMergePolicy(d.stores, c.get('sandbox'), params.id, d.now());
    if (!p) throw notFound('Merge policy', params.id);
    return c.json(p);
  });

  op(app, { method: 'post', path: PATH, tag, summary: 'Create a merge policy (at most 5 per sandbox; default:true makes it the default)', body: policyBody }, async (c, { body }) => {
    const d = c.get('deps');
    return c.json(await createMergePolicy(d.stores, c.get('sandbox'), input(body), d.newId(), d.now()));
  });

  op(app, { method: 'put', path: `${PATH}/{id}`, tag, summary: 'Replace a merge policy (version +1)', body: policyBody }, async (c, { body, params }) => {
    if (body.id !== undefined && body.id !== params.id) throw new ApiError(400, 'VALIDATION', `id: the body names ${body.id} but the path names ${params.id}`);
    const d = c.get('deps');
    return c.json(await replaceMergePolicy(d.stores, c.get('sandbox'), params.id, input(body), d.now()));
  });

  op(app, { method: 'patch', path: `${PATH}/{id}`, tag, summary: 'Change a merge policy with JSON Patch (version +1)', body: patchBody }, async (c, { body, params }) => {
    const d = c.get('deps');
    return c.json(await patchMergePolicy(d.stores, c.get('sandbox'), params.id, body, parsePatched, d.now()));
  });

  op(app, { method: 'delete', path: `${PATH}/{id}`, tag, summary: 'Delete a merge policy (not the default)' }, async (c, { params }) => {
    const d = c.get('deps');
    await deleteMergePolicy(d.stores, c.get('sandbox'), params.id, d.now());
    return c.body(null, 200);
  });
}
