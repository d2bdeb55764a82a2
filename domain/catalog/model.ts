import type { SourceFormat } from '../flow/model';

/** Stored shapes of the AEP-style resources. Timestamps are epoch milliseconds as AEP's Catalog returns them. */
export interface Dataset {
  id: string;
  name: string;
  description?: string;
  schemaRef: { id: string; contentType: string };
  tags: Record<string, string[]>;
  created: number;
  updated: number;
  version: string;
}

export type BatchStatus = 'loading' | 'staging' | 'processing' | 'success' | 'failed' | 'aborted';

export interface BatchMetrics {
  inputByteSize: number;
  inputFileCount: number;
  inputRecordCount: number;
  outputRecordCount: number;
  failedRecordCount: number;
}

export interface Batch {
  id: string;
  status: BatchStatus;
  relatedObjects: { type: 'dataSet' | 'flow' | 'run'; id: string }[];
  inputFormat: { format: string; isMultiLineJson?: boolean; delimiter?: string; quote?: string; escape?: string; header?: boolean };
  metrics: BatchMetrics;
  errors: { code: string; description: string; recordCount?: number }[];
  tags: Record<string, string[]>;
  created: number;
  updated: number;
  completed?: number;
  /** Batch ingestion API: how the uploaded files are read (from `inputFormat`). */
  sourceFormat?: SourceFormat;
  /** Batch ingestion API, CSV: the mapping set that reads dotted XDM-path columns into typed fields. */
  mappingId?: string;
}

export interface RowError {
  batchId: string;
  datasetId: string;
  _filename: string;
  rowNumber: number;
  _corrupt_record: string;
  _errors: { code: string; message: string }[];
}

export const isProfileEnabled = (d: Dataset) => (d.tags.unifiedProfile ?? []).includes('enabled:true');
