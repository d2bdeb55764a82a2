import * as pql from '../pql';
import type { Expr, PqlEvent } from '../pql';
import { stableKey } from '../shared/ids';
import { expressionAst } from './expression';
import { nextMembership } from './membership';
import type { Membership } from './membership';
import type { DataWatermark, JobSegment } from './model';

/**
 * One pass of a segment job over a set of profiles: every segment of the job evaluated for each
 * profile in dependency order (a segment read through `inSegment` is evaluated first and its fresh
 * result is what its readers see), membership changes computed with `nextMembership`. Pure: the
 * activity reads the profiles and events and writes what this returns.
 */
export interface PlannedSegment { segmentId: string; ast: Expr; usesEvents: boolean }
export type StatusCounts = { realized: number; existing: number; exited: number };

/** The job's segments, parsed, in the order the job stored them (dependencies first). */
export function planSegments(segments: JobSegment[]): PlannedSegment[] {
  return segments.filter((s) => s.segment).map((s) => {
    const ast = expressionAst(s.segment!.expression);
    return { segmentId: s.segmentId, ast, usesEvents: pql.usesEvents(ast) };
  });
}


/**
 * Which events a job needs: none when no segment reads events, else those from the earliest
 * instant any event-reading segment can look at (`since` null = all of them).
 */
export function eventNeeds(plan: PlannedSegment[], now: Date): { load: false } | { load: true; since: string | null } {
  const readers = plan.filter((p) => p.usesEvents);
  if (!readers.length) return { load: false };
  let since: string | null = null;
  for (const [i, r] of readers.entries()) {
    const w = pql.eventWindow(r.ast, now);
    if (w === null) return { load: true, since: null };
    since = i === 0 || w < since! ? w : since;
  }
  return { load: true, since };
}

/** AEP considers at most this many events per profile in segmentation (guardrails); the newest are kept. */
export const MAX_EVENTS_PER_PROFILE = 5000;

export interface EvalProfile {
  _id: string;
  lastModifiedAt?: number;
  entity: object;
  segmentMembership?: { ups?: Record<string, Membership> };
}
export interface EvalEvent { _id: string; timestamp: string; eventType?: string; data: Record<string, unknown> }

/** A stored event as PQL's `xEvent` sees it. */
export const toPqlEvent = (e: EvalEvent): PqlEvent => ({ ...e.data, _id: (e.data._id as string | undefined) ?? e._id, timestamp: e.timestamp, ...(e.eventType ?? e.data.eventType ? { eventType: (e.eventType ?? e.data.eventType) as string } : {}) });

/** A profile's events for evaluation: oldest first, at most MAX_EVENTS_PER_PROFILE (the newest). */
export function profileEvents(events: EvalEvent[]): PqlEvent[] {
  const sorted = [...events].sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a._id < b._id ? -1 : 1));
  return sorted.slice(Math.max(0, sorted.length - MAX_EVENTS_PER_PROFILE)).map(toPqlEvent);
}

export interface ProfileOutcome {
  /** Memberships that change (segment id → new membership); empty when nothing changes. */
  changes: Record<string, Membership>;
  /** Per segment: the status this job gave the profile, if it gave one (what the job counts). */
  statuses: Record<string, Membership['status'] | undefined>;
}

/** Evaluates every planned segment for one profile, dependencies first, with one pinned `now`. */
export function evaluateProfile(p: EvalProfile, events: PqlEvent[] | undefined, plan: PlannedSegment[], job: { jobId: string; now: string }): ProfileOutcome {
  const now = new Date(job.now);
  const fresh = new Map<string, boolean>();
  const ctx = { now, membership: (id: string) => fresh.get(id) };
  const stored = p.segmentMembership?.ups ?? {};
  const out: ProfileOutcome = { changes: {}, statuses: {} };
  const view = { entity: p.entity, segmentMembership: p.segmentMembership as { ups?: Record<string, { status: string }> }, ...(events ? { events } : {}) };
  for (const s of plan) {
    const qualifies = pql.evaluatePql(s.ast, view, ctx);
    fresh.set(s.segmentId, qualifies);
    const cur = stored[s.segmentId];
    const next = nextMembership(cur, qualifies, job.jobId, job.now);
    if (next !== cur && next) out.changes[s.segmentId] = next;
    // Qualifying profiles count as realized or existing (an `existing` one is left unwritten); exits only when this job made them.
    out.statuses[s.segmentId] = qualifies ? next!.status : next?.jobId === job.jobId ? next.status : undefined;
  }
  return out;
}

/** Running totals of a pass: status counts per segment and the data watermark. */
export class PassTotals {
  profiles = 0;
  events = 0;
  maxLastModifiedAt = 0;
  private lanes = [0, 0, 0, 0];
  readonly bySegment: Record<string, StatusCounts> = {};

  constructor(plan: PlannedSegment[]) {
    for (const s of plan) this.bySegment[s.segmentId] = { realized: 0, existing: 0, exited: 0 };
  }

  /** Counts one profile (and its events): order-free, so partitions and retries combine exactly. */
  add(p: EvalProfile, eventIds: string[], outcome: ProfileOutcome): void {
    this.profiles++;
    this.events += eventIds.length;
    this.maxLastModifiedAt = Math.max(this.maxLastModifiedAt, p.lastModifiedAt ?? 0);
    this.mix(stableKey(p._id, String(p.lastModifiedAt ?? 0)));
    for (const e of eventIds) this.mix(stableKey('event', e));
    for (const [seg, status] of Object.entries(outcome.statuses)) if (status) this.bySegment[seg][status]++;
  }

  private mix(hex: string): void {
    for (let i = 0; i < 4; i++) this.lanes[i] = (this.lanes[i] ^ parseInt(hex.slice(i * 8, i * 8 + 8), 16)) >>> 0;
  }

  watermark(): DataWatermark {
    return { profiles: this.profiles, events: this.events, maxLastModifiedAt: this.maxLastModifiedAt, hash: this.lanes.map((l) => l.toString(16).padStart(8, '0')).join('') };
  }
}

/** Combines partition watermarks (counts add, hashes XOR, newest change wins). */
export function combineWatermarks(parts: DataWatermark[]): DataWatermark {
  const lanes = [0, 0, 0, 0];
  for (const w of parts) for (let i = 0; i < 4; i++) lanes[i] = (lanes[i] ^ parseInt(w.hash.slice(i * 8, i * 8 + 8), 16)) >>> 0;
  return {
    profiles: parts.reduce((a, w) => a + w.profiles, 0),
    events: parts.reduce((a, w) => a + w.events, 0),
    maxLastModifiedAt: parts.reduce((a, w) => Math.max(a, w.maxLastModifiedAt), 0),
    hash: lanes.map((l) => l.toString(16).padStart(8, '0')).join(''),
  };
}
