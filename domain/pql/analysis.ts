import type { Expr } from './ast';

/** Whether a definition can be evaluated continuously (on each profile change), and if not why. */
export type StreamingEligibility = { eligible: true } | { eligible: false; reason: string };

/**
 * AEP's rule: streaming segmentation covers profile attributes and single incoming events (or
 * events within the last 24 hours); everything else is batch-only.
 * First slice: the current grammar has no event constructs, so every expression is eligible.
 */
export function streamingEligibility(_ast: Expr): StreamingEligibility {
  return { eligible: true };
}

/** True when evaluating the expression needs the profile's ExperienceEvents (so a job loads them). */
export function usesEvents(_ast: Expr): boolean {
  return false;
}
