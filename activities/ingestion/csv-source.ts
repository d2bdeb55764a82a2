import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface SourceRow {
  rowNumber: number; // 1-based data row (header excluded)
  values?: Record<string, string>;
  raw: string;
  error?: string;
}

/**
 * Streams a delimited file row by row (never the whole file in memory). A malformed row is
 * yielded with an error instead of ending the file, so one bad row fails alone.
 */
export async function* readDelimited(body: Readable, opts: { delimiter?: string; gzip?: boolean }): AsyncGenerator<SourceRow> {
  const parser = parse({ delimiter: opts.delimiter ?? ',', raw: true, info: true, skip_empty_lines: true, relax_column_count: true, skip_records_with_error: true, bom: true });
  const skipped: SourceRow[] = [];
  let header: string[] | undefined;
  let n = 0;
  parser.on('skip', (err: Error & { raw?: string; lines?: number }) => {
    n++;
    skipped.push({ rowNumber: n, raw: String(err.raw ?? ''), error: err.message });
  });
  (opts.gzip ? body.pipe(createGunzip()) : body).pipe(parser);
  for await (const item of parser as AsyncIterable<{ record: string[]; raw: string }>) {
    while (skipped.length) yield skipped.shift()!;
    if (!header) {
      header = item.record.map((h) => h.trim());
      continue;
    }
    n++;
    const raw = item.raw.replace(/\r?\n$/, '');
    if (item.record.length !== header.length) {
      yield { rowNumber: n, raw, error: `expected ${header.length} columns but found ${item.record.length}` };
      continue;
    }
    const values: Record<string, string> = {};
    header.forEach((h, i) => (values[h] = item.record[i]));
    yield { rowNumber: n, values, raw };
  }
  while (skipped.length) yield skipped.shift()!;
}
