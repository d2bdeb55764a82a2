/**
 * Previews and estimates (`/preview`, `/estimate`): the stored preview, and the audience size
 * from a simple random sample of profiles. Pure.
 *
 * With `k` of `n` sampled profiles qualifying out of a population of `N`, the estimate is
 * `round(N·k/n)` and its 95 % interval is the Wilson score interval for the proportion, computed
 * with the effective sample size `n·(N−1)/(N−n)` — the finite-population correction for sampling
 * without replacement — then scaled to counts and clamped to what the sample proves: at least the
 * `k` qualifying profiles seen, at most `N` minus the `n − k` seen not qualifying. Wilson rather
 * than the normal approximation because it stays inside [0, 1] and behaves for k near 0 or n
 * (small audiences are common). When the sample is the whole population the answer is exact.
 */

/** z of a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

export interface SizeEstimate {
  estimatedSize: number;
  /** Bounds of the 95 % interval on the count (equal to the estimate when exact). */
  low: number;
  high: number;
  exact: boolean;
}

export function estimateAudience(qualifying: number, sampled: number, population: number): SizeEstimate {
  if (sampled <= 0 || population <= 0) return { estimatedSize: 0, low: 0, high: 0, exact: population <= 0 };
  if (sampled >= population) return { estimatedSize: qualifying, low: qualifying, high: qualifying, exact: true };
  const p = qualifying / sampled;
  const nEff = (sampled * (population - 1)) / (population - sampled);
  const z2 = Z95 * Z95;
  const denom = 1 + z2 / nEff;
  const center = (p + z2 / (2 * nEff)) / denom;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / nEff + z2 / (4 * nEff * nEff))) / denom;
  const min = qualifying;
  const max = population - (sampled - qualifying);
  return {
    estimatedSize: Math.round(p * population),
    low: Math.max(min, Math.floor((center - half) * population)),
    high: Math.min(max, Math.ceil((center + half) * population)),
    exact: false,
  };
}

/** Scales per-namespace counts among the sampled qualifying profiles to the population. */
export function scaleCounts(counts: Record<string, number>, sampled: number, population: number): Record<string, number> {
  const f = sampled >= population || sampled === 0 ? 1 : population / sampled;
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Math.round(v * f)]));
}

export type PreviewState = 'RUNNING' | 'RESULT_READY' | 'FAILED';

/** A preview as stored: what was asked, and what the sample showed. Short-lived (see PREVIEW_TTL_MS). */
export interface Preview {
  id: string;
  state: PreviewState;
  predicateExpression: string;
  predicateType: 'pql/text' | 'pql/json';
  predicateModel: string;
  graphType: 'pdg';
  mergePolicyId: string;
  /** The `now` the expression was evaluated with (ISO). */
  now: string;
  createdAt: number;
  /** Profiles of the sandbox when sampled, profiles read (the sample), how they were drawn. */
  totalRows?: number;
  profilesRead?: number;
  sampling?: 'all' | '$sample' | 'reservoir';
  /** `_id`s of the sampled profiles that qualify (what GET /preview pages through). */
  qualifyingIds?: string[];
  /** Qualifying sampled profiles with an identity in each namespace. */
  namespaceCounts?: Record<string, number>;
  error?: string;
}

/** How long a preview is kept: older ones answer 404 and are removed. */
export const PREVIEW_TTL_MS = 60 * 60 * 1000;
/** A preview still RUNNING after this long was lost (its API process stopped): it reads as FAILED. */
export const PREVIEW_LOST_MS = 10 * 60 * 1000;
/** Profiles read per preview unless asked otherwise (OpenXP extension `sampleSize`). */
export const DEFAULT_SAMPLE_SIZE = 5000;
