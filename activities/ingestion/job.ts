import type { SourceFormat } from '../../domain/flow/model';

/** One ingestion into one dataset batch, whether a dataflow run or a batch of the batch ingestion API. */
export interface IngestJob {
  sandbox: string;
  batchId: string;
  datasetId: string;
  startedAt: number;
  /** The dataflow run this job belongs to (run metrics are kept up to date while it runs). */
  runId?: string;
  flowId?: string;
  mappingId?: string;
  /** Base connection whose credentials read the files; the platform's own store when absent. */
  connectionId?: string;
  partialPercent: number;
}

export interface IngestFile {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  lastModified: number;
  format: SourceFormat;
  /** Position of the file in its run (for live progress). */
  index: number;
}

export type { FileResult } from '../../domain/ingest/result';
import type { FileResult } from '../../domain/ingest/result';

export interface FileCursor { row: number; result: FileResult }
