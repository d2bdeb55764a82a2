import { DomainError } from '../shared/errors';
import { evaluationOrder } from './dependencies';
import type { JobInputs, JobSegment, SegmentDefinition, SegmentJob } from './model';

/** Every definition of a sandbox by id (what a job is planned from). */
export type DefinitionIndex = ReadonlyMap<string, SegmentDefinition>;

/**
 * The segments a job evaluates for a request: `*` = every batch-enabled definition, otherwise the
 * ids given (each must exist). Segments they read through inSegment are added (dependencies
 * first), so every reader sees this job's result for them, as AEP evaluates dependencies first.
 */
export function planJobSegments(requested: readonly string[], defs: DefinitionIndex): JobSegment[] {
  let ids: string[];
  if (requested.includes('*')) {
    ids = [...defs.values()].filter((d) => d.evaluationInfo?.batch?.enabled !== false).sort((a, b) => a.creationTime - b.creationTime || a.id.localeCompare(b.id)).map((d) => d.id);
  } else {
    ids = [...new Set(requested)];
    ids.forEach((id, i) => {
      if (!defs.has(id)) throw new DomainError('UNPROCESSABLE', `[${i}].segmentId: segment ${id} does not exist`, `[${i}].segmentId`);
    });
  }
  if (!ids.length) throw new DomainError('UNPROCESSABLE', 'segmentId: there are no batch-enabled segment definitions to evaluate', 'segmentId');
  return evaluationOrder(ids, (id) => defs.get(id)?.dependencies ?? undefined).map(({ segmentId, dependency }) => {
    const d = defs.get(segmentId)!;
    return {
      segmentId,
      segment: { id: d.id, expression: d.expression, mergePolicyId: d.mergePolicyId, expressionHash: d.expressionHash },
      ...(dependency ? { dependency: true } : {}),
    };
  });
}

/** A new job document, status NEW, with its inputs pinned. */
export function newSegmentJob(a: {
  id: string; segments: JobSegment[]; now: number; inputsNow?: string; mergePolicy: { id: string; version: number };
  workflow: SegmentJob['workflow']; properties?: SegmentJob['properties']; rerunOf?: string;
}): SegmentJob {
  const inputs: JobInputs = {
    now: a.inputsNow ?? new Date(a.now).toISOString(),
    mergePolicy: a.mergePolicy,
    segments: a.segments.map((s) => ({ segmentId: s.segmentId, expressionHash: s.segment?.expressionHash ?? '' })),
    ...(a.rerunOf ? { rerunOf: a.rerunOf } : {}),
  };
  return {
    id: a.id, status: 'NEW', segments: a.segments, metrics: {}, properties: a.properties ?? {}, inputs,
    workflow: a.workflow, errors: [], creationTime: a.now, updateTime: a.now,
  };
}

export const TERMINAL: readonly SegmentJob['status'][] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
