import { z } from 'zod';
import { checkPql, evaluatePql, pqlSegmentIds, usesEvents } from '../../domain/pql';
import type { Expr } from '../../domain/pql';
import { PROFILE_SCHEMA } from '../../domain/profile/model';
import { namespacesOf } from '../../domain/segment/export';
import { expressionAst } from '../../domain/segment/expression';
import { eventNeeds, profileEvents } from '../../domain/segment/evaluate-partition';
import type { EvalEvent } from '../../domain/segment/evaluate-partition';
import { DEFAULT_SAMPLE_SIZE, estimateAudience, PREVIEW_LOST_MS, PREVIEW_TTL_MS, scaleCounts } from '../../domain/segment/preview';
import type { Preview } from '../../domain/segment/preview';
import { DomainError, isDomainError } from '../../domain/shared/errors';
import { fieldPaths, PROFILE_CLASS_ID, EXPERIENCE_EVENT_CLASS_ID } from '../../domain/xdm';
import { findByIds } from '../../infra/mongo/bulk';
import type { ProfileDoc } from '../../infra/mongo/profile.repo';
import { defaultMergePolicyOf, getMergePolicy } from '../../infra/profile/merge-policies';
import type { ApiDeps } from '../context';
import { notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { unionsByClass } from './schemaregistry';

const UPS = '/data/core/ups';
const tag = 'Segmentation';
/** How long POST waits for the result before answering RUNNING (the client then polls GET). */
const ANSWER_WITHIN_MS = 2000;

const previewBody = z.looseObject({
  predicateExpression: z.string().min(1),
  predicateType: z.enum(['pql/text', 'pql/json']).default('pql/text'),
  predicateModel: z.string().default(PROFILE_SCHEMA),
  graphType: z.enum(['pdg', 'none']).default('pdg'),
  mergePolicyId: z.string().min(1).optional(),
  /** OpenXP extension: profiles to read (default and maximum 5000). */
  sampleSize: z.number().int().min(1).max(DEFAULT_SAMPLE_SIZE).optional(),
});

/** Parses and type-checks a predicate against the sandbox's profile union schema, as segment definitions are; errors name `predicateExpression`. */
async function checkedPredicate(d: ApiDeps, sandbox: string, value: string, format: 'pql/text' | 'pql/json'): Promise<Expr> {
  try {
    const ast = expressionAst({ type: 'PQL', format, value });
    const unions = await unionsByClass(d, sandbox);
    const fields = (cls: string) => fieldPaths(unions.get(cls) ?? { properties: {} }, { arrayItems: true });
    checkPql(ast, fields(PROFILE_CLASS_ID), fields(EXPERIENCE_EVENT_CLASS_ID));
    for (const id of pqlSegmentIds(ast)) if (!(await d.stores.segmentDefinitions.get(sandbox, id))) throw unprocessable(`predicateExpression: inSegment("${id}") names a segment that does not exist`);
    return ast;
  } catch (e) {
    if (isDomainError(e)) throw new DomainError(e.code, `predicateExpression: ${e.message.replace(/^expression(\.value)?: /, '')}`, 'predicateExpression');
    throw e;
  }
}

/**
 * A simple random sample of a sandbox's profiles, at most `size`: all of them when there are no
 * more (exact answers); else MongoDB's `$sample`; else (servers without `$sample`, such as
 * FerretDB 1.x) one streamed read with reservoir sampling (Algorithm R).
 */
async function sampleProfiles(d: ApiDeps, sandbox: string, size: number): Promise<{ docs: ProfileDoc[]; population: number; method: NonNullable<Preview['sampling']> }> {
  const coll = d.stores.profiles.profiles;
  const population = await coll.countDocuments({ sandbox });
  if (population <= size) {
    const docs = await coll.find({ sandbox }).toArray();
    return { docs, population: docs.length, method: 'all' };
  }
  try {
    const docs = await coll.aggregate<ProfileDoc>([{ $match: { sandbox } }, { $sample: { size } }]).toArray();
    return { docs: [...new Map(docs.map((p) => [p._id, p])).values()], population, method: '$sample' };
  } catch {
    const reservoir: ProfileDoc[] = [];
    let seen = 0;
    for await (const p of coll.find({ sandbox })) {
      seen++;
      if (reservoir.length < size) reservoir.push(p);
      else {
        const j = Math.floor(Math.random() * seen);
        if (j < size) reservoir[j] = p;
      }
    }
    return { docs: reservoir, population: Math.max(population, seen), method: 'reservoir' };
  }
}

/** Events of some profiles that the expression can look at (up to `now`), by graph. */
async function eventsOf(d: ApiDeps, sandbox: string, graphIds: string[], ast: Expr, now: string): Promise<Map<string, EvalEvent[]>> {
  const need = eventNeeds([{ segmentId: 'preview', ast, usesEvents: true }], new Date(now));
  const since = need.load ? need.since : null;
  const out = new Map<string, EvalEvent[]>();
  for (let i = 0; i < graphIds.length; i += 1000) {
    const q = { sandbox, graphId: { $in: graphIds.slice(i, i + 1000) }, timestamp: { ...(since ? { $gte: since } : {}), $lte: now } };
    for await (const e of d.stores.profiles.events.find(q, { projection: { graphId: 1, timestamp: 1, eventType: 1, data: 1 } })) {
      const list = out.get(e.graphId);
      if (list) list.push(e);
      else out.set(e.graphId, [e]);
    }
  }
  return out;
}

/** Samples, evaluates and stores the result (RESULT_READY, or FAILED with the reason). */
async function computePreview(d: ApiDeps, sandbox: string, preview: Preview, ast: Expr, sampleSize: number): Promise<void> {
  try {
    const { docs, population, method } = await sampleProfiles(d, sandbox, sampleSize);
    const events = usesEvents(ast) ? await eventsOf(d, sandbox, docs.map((p) => p.graphId), ast, preview.now) : undefined;
    const ctx = { now: new Date(preview.now) };
    const qualifying: string[] = [];
    const namespaceCounts: Record<string, number> = {};
    for (const p of docs) {
      const view = { entity: p.entity, segmentMembership: p.segmentMembership, ...(events ? { events: profileEvents(events.get(p.graphId) ?? []) } : {}) };
      if (!evaluatePql(ast, view, ctx)) continue;
      qualifying.push(p._id);
      for (const ns of namespacesOf(p.entity.identityMap)) namespaceCounts[ns] = (namespaceCounts[ns] ?? 0) + 1;
    }
    qualifying.sort();
    await d.stores.previews.update(sandbox, preview.id, { state: 'RESULT_READY', totalRows: population, profilesRead: docs.length, sampling: method, qualifyingIds: qualifying, namespaceCounts });
  } catch (e) {
    await d.stores.previews.update(sandbox, preview.id, { state: 'FAILED', error: e instanceof Error ? e.message : String(e) }).catch(() => undefined);
  }
}

/** A preview that is not expired (expired ones are removed), with a lost computation reported as FAILED. */
async function livePreview(d: ApiDeps, sandbox: string, id: string): Promise<Preview> {
  const p = await d.stores.previews.get(sandbox, id);
  const age = p ? d.now() - p.createdAt : 0;
  if (!p || age > PREVIEW_TTL_MS) {
    if (p) await d.stores.previews.delete(sandbox, id);
    throw notFound('Preview', `${id} (previews are kept for ${PREVIEW_TTL_MS / 60_000} minutes)`);
  }
  if (p.state === 'RUNNING' && age > PREVIEW_LOST_MS) return { ...p, state: 'FAILED', error: 'the preview computation was lost (its API process stopped); create a new preview' };
  return p;
}

const sleep = (ms: number) => new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref());

/** `/preview` and `/estimate`: a sample of qualifying profiles and the estimated audience size, from a random sample of profiles. */
export function previewRoutes(app: Router) {
  op(app, { method: 'post', path: `${UPS}/preview`, tag, summary: 'Start a preview of a PQL predicate: a sample of qualifying profiles and an estimate of the audience size', body: previewBody, status: 201 }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    if (body.predicateModel !== PROFILE_SCHEMA) throw unprocessable(`predicateModel: previews evaluate ${PROFILE_SCHEMA} (got "${body.predicateModel}")`);
    if (body.graphType !== 'pdg') throw unprocessable('graphType: only "pdg" (stitched profiles) previews are supported');
    const ast = await checkedPredicate(d, sandbox, body.predicateExpression, body.predicateType);
    const policy = body.mergePolicyId ? await getMergePolicy(d.stores, sandbox, body.mergePolicyId, d.now()) : await defaultMergePolicyOf(d.stores, sandbox, d.now());
    if (!policy) throw unprocessable(`mergePolicyId: merge policy ${body.mergePolicyId} does not exist in this sandbox`);
    const now = d.now();
    // Expired previews of the sandbox go when a new one comes (no TTL indexes on FerretDB).
    await d.stores.previews.coll.deleteMany({ sandbox, createdAt: { $lt: now - PREVIEW_TTL_MS } });
    const preview: Preview = {
      id: d.newId(), state: 'RUNNING', predicateExpression: body.predicateExpression, predicateType: body.predicateType, predicateModel: body.predicateModel,
      graphType: 'pdg', mergePolicyId: policy.id, now: new Date(now).toISOString(), createdAt: now,
    };
    await d.stores.previews.insert(sandbox, preview);
    const done = computePreview(d, sandbox, preview, ast, body.sampleSize ?? DEFAULT_SAMPLE_SIZE).then(() => 'done' as const);
    const state = (await Promise.race([done, sleep(ANSWER_WITHIN_MS)])) === 'done' ? (await d.stores.previews.get(sandbox, preview.id))?.state ?? 'RUNNING' : 'RUNNING';
    return c.json({ state, previewId: preview.id, previewQueryId: preview.id, previewExecutionId: 0 }, 201);
  });

  op(app, {
    method: 'get', path: `${UPS}/preview/{previewId}`, tag, summary: 'Qualifying profiles of a preview\'s sample, paged (offset, limit)',
    query: z.object({ offset: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(100).default(10) }),
  }, async (c, { params, query }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const p = await livePreview(d, sandbox, params.previewId);
    if (p.state !== 'RESULT_READY') return c.json({ state: p.state, results: [], ...(p.error ? { error: p.error } : {}), _links: { next: '' } });
    const ids = (p.qualifyingIds ?? []).slice(query.offset, query.offset + query.limit);
    const byId = new Map((await findByIds(d.stores.profiles.profiles, ids, d.stores.writeMode)).map((x) => [x._id, x]));
    const results = ids.flatMap((id) => {
      const x = byId.get(id);
      return x ? [{ [x.graphId]: { ...x.entity, ...(x.segmentMembership ? { segmentMembership: x.segmentMembership } : {}) } }] : [];
    });
    const nextOffset = query.offset + ids.length;
    const next = nextOffset < (p.qualifyingIds ?? []).length ? `${UPS}/preview/${p.id}?offset=${nextOffset}&limit=${query.limit}` : '';
    return c.json({ state: p.state, results, offset: query.offset, pageSize: results.length, totalQualifyingInSample: p.qualifyingIds?.length ?? 0, _links: { next } });
  });

  op(app, { method: 'get', path: `${UPS}/estimate/{previewId}`, tag, summary: 'Estimated audience size of a preview with its 95% interval (exact when the sample is every profile)' }, async (c, { params }) => {
    const d = c.get('deps');
    const p = await livePreview(d, c.get('sandbox'), params.previewId);
    const links = { _links: { preview: `${UPS}/preview/${p.id}` } };
    if (p.state !== 'RESULT_READY') return c.json({ state: p.state, previewId: p.id, ...(p.error ? { error: p.error } : {}), ...links });
    const read = p.profilesRead ?? 0;
    const total = p.totalRows ?? 0;
    const est = estimateAudience(p.qualifyingIds?.length ?? 0, read, total);
    return c.json({
      state: p.state, previewId: p.id, estimatedSize: est.estimatedSize, confidenceInterval: '95%', estimatedSizeInterval: { low: est.low, high: est.high }, exact: est.exact,
      estimatedNamespaceDistribution: Object.entries(scaleCounts(p.namespaceCounts ?? {}, read, total)).map(([namespaceCode, estimatedSize]) => ({ namespaceCode, estimatedSize })),
      profilesRead: read, totalRows: total, sampling: p.sampling, ...links,
    });
  });
}
