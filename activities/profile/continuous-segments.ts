import { evaluatePql, usesEvents } from '../../domain/pql';
import type { Expr, PqlEvent } from '../../domain/pql';
import { expressionAst } from '../../domain/segment/expression';
import { nextMembership } from '../../domain/segment/membership';
import type { Membership } from '../../domain/segment/membership';
import type { ProfileDoc } from '../../infra/mongo/profile.repo';
import type { Stores } from '../../infra/mongo/stores';

/** A definition evaluated on every profile change (`evaluationInfo.continuous.enabled`). */
export interface ContinuousSegment { id: string; ast: Expr; events: boolean }

/** Streaming segmentation looks at events of the last 24 hours at most (AEP's rule). */
export const STREAMING_EVENT_WINDOW_MS = 24 * 3600_000;
const parsed = new Map<string, ContinuousSegment | null>();

/**
 * The sandbox's continuous definitions, read on every write (one small query) so a definition
 * applies from the next record on, in every worker process; parsed ASTs are cached by content.
 */
export async function continuousSegments(stores: Stores, sandbox: string): Promise<ContinuousSegment[]> {
  const { items } = await stores.segmentDefinitions.list(sandbox, { 'evaluationInfo.continuous.enabled': true }, { limit: 1000 });
  const segments: ContinuousSegment[] = [];
  for (const d of items) {
    const key = `${d.id}\u0000${d.expression.format}\u0000${d.expression.value}`;
    if (!parsed.has(key)) {
      try {
        const ast = expressionAst(d.expression);
        parsed.set(key, { id: d.id, ast, events: usesEvents(ast) });
      } catch {
        parsed.set(key, null); // a definition that no longer parses is left to batch jobs, which report it
      }
    }
    const seg = parsed.get(key);
    if (seg) segments.push(seg);
  }
  return segments;
}

/**
 * Memberships of one changed profile after evaluating the continuous segments on it, as changes
 * (realized / existing / exited), tagged with `evaluation` so a retried write recognises its own.
 */
export function evaluateContinuous(segments: ContinuousSegment[], profile: { entity: object; segmentMembership?: ProfileDoc['segmentMembership'] }, events: PqlEvent[], now: number, evaluation: string): ProfileDoc['segmentMembership'] {
  if (!segments.length) return profile.segmentMembership;
  const at = new Date(now);
  const ups: Record<string, Membership> = { ...(profile.segmentMembership?.ups ?? {}) };
  const fresh: Record<string, boolean> = {};
  const ctx = { now: at, membership: (id: string) => fresh[id] };
  for (const s of segments) {
    const qualifies = evaluatePql(s.ast, { entity: profile.entity, segmentMembership: { ups }, events: s.events ? events : undefined }, ctx);
    fresh[s.id] = qualifies;
    const next = nextMembership(ups[s.id], qualifies, evaluation, at.toISOString());
    if (next) ups[s.id] = next;
  }
  return { ...(profile.segmentMembership ?? {}), ups };
}
