import { pipeline } from 'node:stream';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { SourceFormat } from '../../domain/flow/model';
import { DomainError } from '../../domain/shared/errors';
import { readDelimited } from './delimited-source';
import { readJson } from './json-source';

export type { SourceFormat };

/** One row of a source file: its values, or why it could not be read. */
export interface SourceRow {
  /** 1-based data row (a header is not counted), in file order, bad rows included. */
  rowNumber: number;
  values?: Record<string, unknown>;
  /** The row as written in the file (for the row-error report). */
  raw: string;
  error?: string;
  /** Byte offset of the row in the (decompressed) file. */
  offset?: number;
}

/**
 * Streams the rows of one source file, never holding the file in memory. A malformed row is
 * yielded with an error instead of ending the file, so one bad row fails alone. A file that
 * cannot be read at all (corrupt gzip) throws a DomainError, which is permanent.
 */
export async function* readRecords(body: Readable, fmt: SourceFormat): AsyncGenerator<SourceRow> {
  const input = fmt.compression === 'gzip' ? pipeline(body, createGunzip(), () => undefined) : body;
  try {
    if (fmt.format === 'delimited') yield* readDelimited(input, fmt);
    else if (fmt.format === 'json') yield* readJson(input, fmt);
    else throw new DomainError('UNPROCESSABLE', `format "${fmt.format}" cannot be streamed; parquet is read by byte ranges (readParquet)`);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new DomainError('UNPROCESSABLE', `not a valid gzip file: ${(e as Error).message}`);
    throw e;
  } finally {
    body.destroy();
  }
}
