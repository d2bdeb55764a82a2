import { checkPql, pqlSegmentIds, renderPql, streamingEligibility } from '../pql';
import type { Expr } from '../pql';
import { DomainError } from '../shared/errors';
import type { XdmType } from '../xdm/types';
import { findCycle } from './dependencies';
import { expressionAst } from './expression';
import type { SegmentDefinition } from './model';

/** Guardrails (AEP defaults): definitions per sandbox evaluated in batch, and continuously (streaming). */
export const MAX_BATCH_SEGMENTS = 4000;
export const MAX_STREAMING_SEGMENTS = 500;

/** What a definition is checked against: the sandbox's union fields and its other definitions. */
export interface DefinitionContext {
  profileFields: ReadonlyMap<string, XdmType>;
  eventFields: ReadonlyMap<string, XdmType>;
  /** Every other definition of the sandbox (the one being updated excluded). */
  others: ReadonlyMap<string, Pick<SegmentDefinition, 'id' | 'name' | 'dependencies' | 'evaluationInfo'>>;
}

export interface CheckedDefinition {
  ast: Expr;
  /** The expression rendered canonically (pql/text): what `expressionHash` hashes. */
  canonical: string;
  dependencies: string[];
}

const unprocessable = (field: string, rule: string) => new DomainError('UNPROCESSABLE', `${field}: ${rule}`, field);

/**
 * The checks of a definition on create and on update: the expression parses (400 with the
 * position) and type-checks against the profile and ExperienceEvent unions (422 naming the
 * field); every `inSegment` names an existing definition and none closes a cycle; continuous
 * evaluation only for streaming-eligible expressions (422 with the reason); the sandbox's
 * batch and streaming guardrails.
 */
export function checkDefinition(id: string, def: Pick<SegmentDefinition, 'expression' | 'evaluationInfo'>, ctx: DefinitionContext): CheckedDefinition {
  const ast = expressionAst(def.expression);
  checkPql(ast, ctx.profileFields, ctx.eventFields);
  const dependencies = [...new Set(pqlSegmentIds(ast))];
  for (const dep of dependencies) {
    if (dep === id) throw unprocessable('expression', `inSegment("${dep}") makes the segment depend on itself`);
    if (!ctx.others.has(dep)) throw unprocessable('expression', `inSegment("${dep}") names a segment that does not exist`);
  }
  const cycle = findCycle(id, dependencies, (s) => ctx.others.get(s)?.dependencies);
  if (cycle) throw unprocessable('expression', `inSegment would create a cycle: ${cycle.join(' → ')}`);
  if (def.evaluationInfo.continuous.enabled) {
    const e = streamingEligibility(ast);
    if (!e.eligible) throw unprocessable('evaluationInfo.continuous.enabled', `the expression cannot be evaluated continuously (streaming): ${e.reason}; use batch evaluation`);
    const streaming = [...ctx.others.values()].filter((o) => o.evaluationInfo?.continuous?.enabled).length;
    if (streaming >= MAX_STREAMING_SEGMENTS) throw unprocessable('evaluationInfo.continuous.enabled', `a sandbox holds at most ${MAX_STREAMING_SEGMENTS} streaming segment definitions (guardrail reached)`);
  }
  if (def.evaluationInfo.batch.enabled) {
    const batch = [...ctx.others.values()].filter((o) => o.evaluationInfo?.batch?.enabled !== false).length;
    if (batch >= MAX_BATCH_SEGMENTS) throw unprocessable('evaluationInfo.batch.enabled', `a sandbox holds at most ${MAX_BATCH_SEGMENTS} batch segment definitions (guardrail reached)`);
  }
  return { ast, canonical: renderPql(ast), dependencies };
}

/** Fields of a definition a client cannot set (PATCH refuses or ignores them). */
export const READ_ONLY_DEFINITION_FIELDS = ['id', 'creationTime', 'updateTime', 'updateEpoch', 'expressionHash', 'dependencies', 'imsOrgId', 'sandbox'] as const;
