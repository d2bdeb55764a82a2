import { z } from 'zod';
import type { SegmentSchedule } from '../../domain/segment/model';
import { quartzToCalendars } from '../../domain/segment/quartz-cron';
import { applyPatch } from '../../domain/shared/json-patch';
import type { PatchOp } from '../../domain/shared/json-patch';
import type { ApiDeps } from '../context';
import { notFound, unprocessable } from '../errors';
import { op } from '../openapi';
import type { Router } from '../openapi';
import { syncSegmentSchedule } from '../workflows';

/**
 * `/config/schedules` (AEP Segmentation Service): a Quartz cron schedule of batch segmentation,
 * backed by a Temporal Schedule `segment-schedule/{sandbox}/{id}` (visible in the Temporal Web UI,
 * paused while `state` is inactive). Each run creates a segment job with
 * `properties: {scheduleId, runId}`. AEP allows batch segmentation at most once per 24 hours;
 * OpenXP takes any cron, down to seconds.
 */
const BASE = '/data/core/ups/config/schedules';
const tag = 'Segmentation schedules';
const TYPES = ['batch_segmentation', 'export'] as const;

const scheduleBody = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  type: z.enum(TYPES),
  properties: z.looseObject({ segments: z.array(z.string().min(1)).min(1) }),
  schedule: z.string().min(1),
  state: z.enum(['active', 'inactive']).default('inactive'),
});
type ScheduleBody = z.infer<typeof scheduleBody>;
const PATCHABLE = ['/state', '/schedule', '/name', '/description'];

export const segmentScheduleId = (sandbox: string, id: string) => `segment-schedule/${sandbox}/${id}`;

/** The rules beyond the body's shape: a convertible cron, a supported type, existing segments. */
async function checkSchedule(d: ApiDeps, sandbox: string, s: ScheduleBody): Promise<void> {
  quartzToCalendars(s.schedule);
  if (s.type === 'export') throw unprocessable('type: "export" schedules are not supported yet; schedule "batch_segmentation" and start exports with POST /data/core/ups/export/jobs');
  for (const [i, id] of s.properties.segments.entries()) {
    if (id !== '*' && !(await d.stores.segmentDefinitions.get(sandbox, id))) throw unprocessable(`properties.segments[${i}]: segment definition ${id} does not exist`);
  }
}

export function scheduleRoutes(app: Router) {
  op(app, { method: 'post', path: BASE, tag, summary: 'Create a schedule (Quartz cron, UTC) backed by a Temporal Schedule', body: scheduleBody }, async (c, { body }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    await checkSchedule(d, sandbox, body);
    const id = d.newId();
    const epoch = Math.floor(d.now() / 1000);
    const s: SegmentSchedule = { id, ...body, sandbox: { sandboxName: sandbox }, temporalScheduleId: segmentScheduleId(sandbox, id), createEpoch: epoch, updateEpoch: epoch };
    await d.stores.segmentSchedules.insert(sandbox, s);
    try {
      await syncSegmentSchedule(d, sandbox, s);
    } catch (e) {
      await d.stores.segmentSchedules.delete(sandbox, id);
      throw e;
    }
    return c.json(s);
  });
  op(app, { method: 'get', path: BASE, tag, summary: 'List schedules', query: z.object({ start: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }) }, async (c, { query }) => {
    const { items, total } = await c.get('deps').stores.segmentSchedules.list(c.get('sandbox'), {}, { start: query.start, limit: query.limit, sort: { createEpoch: 1, _id: 1 } });
    return c.json({ _page: { totalCount: total, pageSize: items.length }, children: items, _links: {} });
  });
  op(app, { method: 'get', path: `${BASE}/{id}`, tag, summary: 'Get a schedule, with its next run times (OpenXP extension)' }, async (c, v) => {
    const d = c.get('deps');
    const s = await d.stores.segmentSchedules.get(c.get('sandbox'), v.params.id);
    if (!s) throw notFound('Schedule', v.params.id);
    const info = await d.temporal.schedule.getHandle(s.temporalScheduleId).describe().catch(() => null);
    return c.json({ ...s, ...(info ? { nextRunTimes: info.info.nextActionTimes.slice(0, 5).map((t) => t.toISOString()) } : {}) });
  });
  op(app, { method: 'patch', path: `${BASE}/{id}`, tag, summary: 'Update a schedule: JSON Patch on /state, /schedule (also /name, /description)', status: 204, body: z.array(z.object({ op: z.enum(['add', 'replace']), path: z.string(), value: z.unknown() })).min(1) }, async (c, { body, params }) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const s = await d.stores.segmentSchedules.get(sandbox, params.id);
    if (!s) throw notFound('Schedule', params.id);
    body.forEach((o, i) => {
      if (!PATCHABLE.includes(o.path)) throw unprocessable(`[${i}].path: ${o.path} cannot be changed; patch one of ${PATCHABLE.join(', ')}`);
    });
    const patched = applyPatch(s, body as PatchOp[]);
    const parsed = scheduleBody.safeParse(patched);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw unprocessable(`${issue.path.join('.')}: ${issue.message}`);
    }
    await checkSchedule(d, sandbox, parsed.data);
    const next: SegmentSchedule = { ...s, ...parsed.data, updateEpoch: Math.floor(d.now() / 1000) };
    await syncSegmentSchedule(d, sandbox, next);
    await d.stores.segmentSchedules.put(sandbox, next);
    return c.body(null, 204);
  });
  op(app, { method: 'delete', path: `${BASE}/{id}`, tag, summary: 'Delete a schedule and its Temporal Schedule (jobs it started stay)', status: 204 }, async (c, v) => {
    const d = c.get('deps');
    const sandbox = c.get('sandbox');
    const s = await d.stores.segmentSchedules.get(sandbox, v.params.id);
    if (!s) throw notFound('Schedule', v.params.id);
    await syncSegmentSchedule(d, sandbox, s, { deleted: true });
    await d.stores.segmentSchedules.delete(sandbox, s.id);
    return c.body(null, 204);
  });
}
