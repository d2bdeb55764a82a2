import { z } from 'zod';
import { explainPql, usesEvents } from '../../domain/pql';
import { expressionAst } from '../../domain/segment/expression';
import { eventNeeds, profileEvents } from '../../domain/segment/evaluate-partition';
import type { EvalEvent } from '../../domain/segment/evaluate-partition';
import type { Membership } from '../../domain/segment/membership';
import type { SegmentJob } from '../../domain/segment/model';
import { notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { identityRef } from './profile';

const UPS = '/data/core/ups';
/** Events read for one explanation at most (AEP's per-profile segmentation guardrail is lower). */
const MAX_EVENTS = 10_000;

/**
 * OpenXP extension: why a profile does or does not qualify for a segment in a given segment job.
 * The segment's expression as the job pinned it is evaluated with the job's `now` against the
 * profile and its events as stored now; the answer is the expression tree with each clause's
 * value (and, for event clauses, the events that satisfied them), plus the membership the job
 * recorded for the profile. When the profile changed after the job (`profileChangedSinceJob`),
 * the tree explains today's data under the job's clock, which may differ from what the job saw.
 */
export function explainRoutes(app: Router) {
  op(app, {
    method: 'get', path: `${UPS}/segment/jobs/{jobId}/explain`, tag: 'Segmentation',
    summary: 'Explain why a profile (entityId, entityIdNS) does or does not qualify for a segment of a job: the expression tree with each clause\'s value (OpenXP extension)',
    query: z.object({ segmentId: z.string().min(1), entityId: z.string().min(1), entityIdNS: z.string().min(1) }),
  }, async (c, { params, query }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const job = (await d.stores.segmentJobs.get(sandbox, params.jobId)) as SegmentJob | null;
    if (!job) throw notFound('Segment job', params.jobId);
    const seg = job.segments.find((s) => s.segmentId === query.segmentId);
    if (!seg) throw unprocessable(`segmentId: segment ${query.segmentId} was not evaluated by segment job ${job.id} (it evaluated ${job.segments.map((s) => s.segmentId).join(', ') || 'nothing'})`);
    const expression = seg.segment?.expression ?? (await d.stores.segmentDefinitions.get(sandbox, query.segmentId))?.expression;
    if (!expression) throw unprocessable(`segmentId: the expression segment job ${job.id} evaluated for ${query.segmentId} is no longer known`);
    const ref = await identityRef(d, sandbox, query.entityIdNS, query.entityId, 'entityIdNS');
    const profile = ref?.graphId ? await d.stores.profiles.getProfile(sandbox, ref.graphId) : null;
    if (!profile) throw notFound('Profile for identity', `${query.entityIdNS}:${query.entityId}`);

    const now = job.inputs?.now ?? new Date(job.creationTime).toISOString();
    const ast = expressionAst(expression);
    let events: EvalEvent[] | undefined;
    if (usesEvents(ast)) {
      const need = eventNeeds([{ segmentId: query.segmentId, ast, usesEvents: true }], new Date(now));
      const since = need.load ? need.since : null;
      events = await d.stores.profiles.events
        .find({ sandbox, graphId: profile.graphId, timestamp: { ...(since ? { $gte: since } : {}), $lte: now } }, { projection: { graphId: 1, timestamp: 1, eventType: 1, data: 1 } })
        .sort({ timestamp: -1 }).limit(MAX_EVENTS).toArray();
    }
    const view = { entity: profile.entity, segmentMembership: profile.segmentMembership, ...(events ? { events: profileEvents(events) } : {}) };
    const tree = explainPql(ast, view, { now: new Date(now) });
    const stored = profile.segmentMembership?.ups?.[query.segmentId] as Membership | undefined;
    const jobEnd = job.metrics.totalTime?.endTimeInMs ?? job.updateTime;
    return c.json({
      segmentId: query.segmentId, jobId: job.id, jobStatus: job.status, now, entityId: profile.graphId,
      qualifies: tree.value === true,
      // The status this job wrote, when the stored membership is still the job's.
      membership: stored?.jobId === job.id ? { status: stored.status, lastQualificationTime: stored.lastQualificationTime } : null,
      currentMembership: stored ? { status: stored.status, lastQualificationTime: stored.lastQualificationTime, jobId: stored.jobId ?? null } : null,
      profileLastModifiedAt: new Date(profile.lastModifiedAt).toISOString(),
      profileChangedSinceJob: profile.lastModifiedAt > jobEnd,
      ...(events ? { eventsRead: events.length } : {}),
      tree,
    });
  });
}
