/** What ingesting rows produced: counts per outcome and failed rows per error code. Pure, shared by activities and workflows. */
export interface FileResult {
  bytes: number;
  input: number;
  output: number;
  failed: number;
  /** Valid rows whose record was already in the dataset (same content): nothing to write. */
  skipped: number;
  graphsMerged: number;
  /** Identity links not made because of a linking rule. */
  linksRefused?: number;
  /** Identities linked to too many others within one chunk of a batch: not ingested. */
  identitiesRejected?: number;
  /** Identities removed from graphs that went over the limit. */
  identitiesRemoved?: number;
  errorCounts: Record<string, number>;
}

export const emptyResult = (): FileResult => ({ bytes: 0, input: 0, output: 0, failed: 0, skipped: 0, graphsMerged: 0, errorCounts: {} });

/** Adds two results (the files of a run, or the executions of a continued workflow). */
export function addResults(a: FileResult, b: FileResult): FileResult {
  const errorCounts = { ...a.errorCounts };
  for (const [c, n] of Object.entries(b.errorCounts)) errorCounts[c] = (errorCounts[c] ?? 0) + n;
  return { bytes: a.bytes + b.bytes, input: a.input + b.input, output: a.output + b.output, failed: a.failed + b.failed, skipped: a.skipped + b.skipped, graphsMerged: a.graphsMerged + b.graphsMerged, linksRefused: (a.linksRefused ?? 0) + (b.linksRefused ?? 0), identitiesRejected: (a.identitiesRejected ?? 0) + (b.identitiesRejected ?? 0), identitiesRemoved: (a.identitiesRemoved ?? 0) + (b.identitiesRemoved ?? 0), errorCounts };
}
