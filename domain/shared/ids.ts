/**
 * Workflow and schedule ids built from business keys, so starting the same thing twice is
 * refused by Temporal (→ 409) instead of running twice.
 */
export const workflowIds = {
  ingestionRun: (sandbox: string, flowId: string, runId: string) => `ingest/${sandbox}/${flowId}/${runId}`,
  segmentJob: (sandbox: string, jobId: string) => `segment-job/${sandbox}/${jobId}`,
  exportJob: (sandbox: string, jobId: string) => `export-job/${sandbox}/${jobId}`,
  activationRun: (sandbox: string, flowId: string, runId: string) => `activation/${sandbox}/${flowId}/${runId}`,
  batchIngestion: (sandbox: string, batchId: string) => `batch/${sandbox}/${batchId}`,
};

export const scheduleIds = {
  dataflow: (sandbox: string, flowId: string) => `dataflow/${sandbox}/${flowId}`,
};

/** Deterministic 32-hex key from parts (FNV-1a, 128 bits as 4 lanes); pure and sandbox-safe. */
export function stableKey(...parts: string[]): string {
  const input = parts.join('\u0000');
  const seeds = [0x811c9dc5, 0x01000193, 0x050c5d1f, 0x2b8e3d45];
  return seeds
    .map((seed, lane) => {
      let h = (seed ^ (lane * 0x9e3779b1)) >>> 0;
      for (let i = 0; i < input.length; i++) {
        h ^= input.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
      }
      return h.toString(16).padStart(8, '0');
    })
    .join('');
}

/** Where the files of a batch of the batch ingestion API wait in the landing bucket until COMPLETE. */
export const landingPrefix = (sandbox: string, batchId: string) => `batches/${sandbox}/${batchId}/`;
