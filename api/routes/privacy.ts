import { z } from 'zod';
import { jobView, MAX_USERS_PER_REQUEST, privacyWorkflowId, REGULATIONS, resolveInclude, resolveUserIds } from '../../domain/privacy/model';
import type { PrivacyJob } from '../../domain/privacy/model';
import { sandboxNamespaces } from '../../infra/identity/namespaces';
import { uiLink } from '../context';
import { ApiError, notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { startPrivacyJob } from '../workflows';

const JOBS = '/data/core/privacy/jobs';
const tag = 'Privacy Service';

const userId = z.looseObject({
  namespace: z.string().min(1),
  value: z.string().min(1),
  type: z.enum(['standard', 'custom']).default('standard'),
  isDeletedClientSide: z.boolean().optional(),
});
const createBody = z.looseObject({
  companyContexts: z.array(z.looseObject({ namespace: z.string(), value: z.string() })).optional(),
  users: z.array(z.looseObject({ key: z.string().min(1), action: z.array(z.string()).min(1), userIDs: z.array(userId).min(1) })).min(1).max(MAX_USERS_PER_REQUEST),
  include: z.array(z.string()).optional(),
  regulation: z.string().min(1),
});

const ymd = (field: string, v: string | undefined, endOfDay = false) => {
  if (v === undefined) return undefined;
  const t = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
  if (!Number.isFinite(t)) throw new ApiError(400, 'VALIDATION', `${field}: expected a date as YYYY-MM-DD, got "${v}"`);
  return endOfDay ? t + 86_400_000 : t;
};

/**
 * Privacy Service (AEP's Privacy Service API): delete requests, one job per user, each a durable
 * workflow that deletes the person's identities, graph, profile, events and dataset records and
 * proves they are gone.
 */
export function privacyRoutes(app: Router) {
  op(app, { method: 'post', path: JOBS, tag, summary: 'Submit a privacy delete request: one job per user, each deleting that person\'s data everywhere', body: createBody }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const regulation = REGULATIONS.find((r) => r === body.regulation.toLowerCase());
    if (!regulation) throw unprocessable(`regulation: "${body.regulation}" is not a supported regulation; use one of ${REGULATIONS.join(', ')}`);
    const inc = resolveInclude(body.include);
    if ('error' in inc) throw unprocessable(inc.error);
    const namespaces = await sandboxNamespaces(d.stores, sandbox);
    const seen = new Map<string, number>();
    const users = body.users.map((u, i) => {
      for (const [j, a] of u.action.entries()) if (a.toLowerCase() !== 'delete') throw unprocessable(`users[${i}].action[${j}]: "${a}" is not supported; OpenXP runs "delete" jobs only`);
      if (seen.has(u.key)) throw unprocessable(`users[${i}].key: "${u.key}" is also the key of users[${seen.get(u.key)}]; each user of a request needs its own key`);
      seen.set(u.key, i);
      const ids = resolveUserIds(`users[${i}]`, u.userIDs, namespaces);
      if ('error' in ids) throw unprocessable(ids.error);
      return { key: u.key, ...ids };
    });

    const now = d.now();
    const requestId = d.newId();
    const jobs: PrivacyJob[] = users.map((u) => {
      const id = d.newId();
      const workflowId = privacyWorkflowId(sandbox, id);
      return {
        id, requestId, userKey: u.key, action: 'delete', regulation, include: inc.include, userIds: u.userIds, identityKeys: u.keys,
        status: 'processing', createdAt: now, updatedAt: now, workflow: { workflowId, uiUrl: uiLink(d, workflowId) },
      };
    });
    for (const job of jobs) {
      await d.stores.privacyJobs.insert(sandbox, job);
      try {
        await startPrivacyJob(d, sandbox, job.id);
      } catch (e) {
        await d.stores.privacyJobs.update(sandbox, job.id, { status: 'error', errors: [`could not start: ${(e as Error).message}`], updatedAt: d.now() });
        throw e;
      }
    }
    return c.json({ jobs: jobs.map((j) => ({ jobId: j.id, customer: { user: { key: j.userKey, action: [j.action] } } })), requestStatus: 1, totalRecords: jobs.length });
  });

  op(app, {
    method: 'get', path: JOBS, tag, summary: 'List privacy jobs, newest first (filter by regulation, status, fromDate/toDate; page from 0, size ≤ 1000)',
    query: z.object({
      regulation: z.string().optional(), status: z.enum(['processing', 'complete', 'error']).optional(),
      page: z.coerce.number().int().min(0).default(0), size: z.coerce.number().int().min(1).max(1000).default(100),
      fromDate: z.string().optional(), toDate: z.string().optional(),
    }),
  }, async (c, { query }) => {
    const from = ymd('fromDate', query.fromDate);
    const to = ymd('toDate', query.toDate, true);
    const filter = {
      ...(query.regulation ? { regulation: query.regulation.toLowerCase() } : {}),
      ...(query.status ? { status: query.status } : {}),
      ...(from !== undefined || to !== undefined ? { createdAt: { ...(from !== undefined ? { $gte: from } : {}), ...(to !== undefined ? { $lt: to } : {}) } } : {}),
    };
    const { items, total } = await c.get('deps').stores.privacyJobs.list(c.get('sandbox'), filter, { start: query.page * query.size, limit: query.size, sort: { createdAt: -1, _id: 1 } });
    return c.json({ items: items.map(jobView), totalRecords: total, page: query.page, size: query.size });
  });

  op(app, { method: 'get', path: `${JOBS}/{jobId}`, tag, summary: 'A privacy job: status per product, what it removed and the verification that nothing is left' }, async (c, { params }) => {
    const job = await c.get('deps').stores.privacyJobs.get(c.get('sandbox'), params.jobId);
    if (!job) throw notFound('Privacy job', params.jobId);
    return c.json(jobView(job));
  });
}
