import { DomainError } from '../shared/errors';

/**
 * Segments that read other segments (`inSegment`) form a graph; it must stay acyclic, and a job
 * evaluates a segment only after every segment it reads (AEP evaluates dependencies first).
 * `dependsOn(id)` gives the ids a segment reads (undefined when the segment does not exist).
 */
export type DependsOn = (id: string) => readonly string[] | undefined;

/**
 * The cycle that giving `id` the dependencies `deps` would close, as a path `id → … → id`, or
 * null. Other segments' dependencies come from `dependsOn`.
 */
export function findCycle(id: string, deps: readonly string[], dependsOn: DependsOn): string[] | null {
  const seen = new Set<string>();
  const walk = (at: string, path: string[]): string[] | null => {
    if (at === id) return [...path, at];
    if (seen.has(at)) return null;
    seen.add(at);
    for (const next of dependsOn(at) ?? []) {
      const found = walk(next, [...path, at]);
      if (found) return found;
    }
    return null;
  };
  for (const d of deps) {
    const found = walk(d, [id]);
    if (found) return found;
  }
  return null;
}

/**
 * The segments a job evaluates, in an order where each comes after everything it reads: the
 * requested ones plus, transitively, the segments they read (`dependency: true` for those not
 * requested). Depth-first post-order, requested order kept where the graph allows, so the plan is
 * deterministic. Throws when a dependency does not exist or the graph has a cycle.
 */
export function evaluationOrder(requested: readonly string[], dependsOn: DependsOn): { segmentId: string; dependency: boolean }[] {
  const asked = new Set(requested);
  const done = new Set<string>();
  const onPath = new Set<string>();
  const out: { segmentId: string; dependency: boolean }[] = [];
  const visit = (id: string, from?: string) => {
    if (done.has(id)) return;
    if (onPath.has(id)) throw new DomainError('UNPROCESSABLE', `segments: inSegment dependencies form a cycle through ${id}`, 'segmentId');
    const deps = dependsOn(id);
    if (!deps) throw new DomainError('UNPROCESSABLE', `segmentId: segment ${id}${from ? ` (read by ${from} through inSegment)` : ''} does not exist`, 'segmentId');
    onPath.add(id);
    for (const d of deps) visit(d, id);
    onPath.delete(id);
    done.add(id);
    out.push({ segmentId: id, dependency: !asked.has(id) });
  };
  for (const id of requested) visit(id);
  return out;
}

/** The segments that read `id` directly, among `all` (what a delete of `id` would break). */
export function dependents(id: string, all: Iterable<{ id: string; dependencies?: readonly string[] }>): string[] {
  return [...all].filter((s) => s.id !== id && (s.dependencies ?? []).includes(id)).map((s) => s.id);
}
