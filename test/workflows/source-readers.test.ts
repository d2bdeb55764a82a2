import { gzipSync } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import { readRecords } from '../../activities/ingestion/sources';
import type { SourceFormat, SourceRow } from '../../activities/ingestion/sources';
import { sourceFormatOf } from '../../domain/flow/model';
import { createS3Client, ensureBucket, openObject, uploadStream } from '../../infra/s3/client';
import { testConfig } from '../helpers/env';

/** The source readers on objects of the stack's real S3 store, as an ingestion run reads them. */
describe('source readers on S3', () => {
  let s3: S3Client;
  const bucket = `source-readers-${process.pid}`;

  beforeAll(async () => {
    s3 = createS3Client(testConfig().s3);
    await ensureBucket(s3, bucket);
  });
  afterAll(() => s3.destroy());

  async function readObject(key: string, body: string | Buffer, data: { format: SourceFormat['format']; properties?: Record<string, unknown> }) {
    await uploadStream(s3, bucket, key, body, 'application/octet-stream');
    const rows: SourceRow[] = [];
    for await (const r of readRecords(await openObject(s3, bucket, key), sourceFormatOf(data, key))) rows.push(r);
    return rows;
  }
  const brief = (rows: SourceRow[]) => rows.map((r) => (r.error ? { n: r.rowNumber, error: r.error } : { n: r.rowNumber, values: r.values }));

  it('a gzip CSV (compression from the .gz key)', async () => {
    const text = `email,first\n${Array.from({ length: 5000 }, (_, i) => `u${i}@example.com,F${i}\n`).join('')}`;
    const rows = await readObject('in/people.csv.gz', gzipSync(text), { format: 'delimited' });
    expect(rows).toHaveLength(5000);
    expect(rows.every((r, i) => r.rowNumber === i + 1 && r.values?.email === `u${i}@example.com`)).toBe(true);
  });

  it('a gzip CSV (compression from the source connection), with a custom delimiter', async () => {
    const rows = await readObject('in/semi.csv.gzip', gzipSync('a;b\n1;2\n'), { format: 'delimited', properties: { compressionType: 'gzip', columnDelimiter: ';' } });
    expect(brief(rows)).toEqual([{ n: 1, values: { a: '1', b: '2' } }]);
  });

  it('a malformed CSV: unbalanced quotes, wrong column counts and invalid UTF-8 fail their rows only', async () => {
    const body = Buffer.concat([
      Buffer.from('id,name\n1,Ann\n2,"Bob\n3,Cy,extra\n4,"Di"x\n'),
      Buffer.from([0x35, 0x2c, 0x45, 0xff, 0x76, 0x0a]), // 5,E\xffv
      Buffer.from('6,"Multi\nline"\n7,Zoë\n'),
    ]);
    expect(brief(await readObject('in/bad.csv', body, { format: 'delimited' }))).toEqual([
      { n: 1, values: { id: '1', name: 'Ann' } },
      { n: 2, error: 'a quoted field is not closed' },
      { n: 3, error: 'expected 2 columns but found 3' },
      { n: 4, error: 'unexpected text after the closing quote of column 2' },
      { n: 5, error: 'invalid UTF-8' },
      { n: 6, values: { id: '6', name: 'Multi\nline' } },
      { n: 7, values: { id: '7', name: 'Zoë' } },
    ]);
  });

  it('NDJSON, with a line that is not JSON', async () => {
    const rows = await readObject('in/events.json', '{"a":{"b":1}}\nnot json\n{"c":[1,2]}\n', { format: 'json' });
    expect(brief(rows)).toEqual([
      { n: 1, values: { a: { b: 1 } } },
      { n: 2, error: expect.stringContaining('invalid JSON') },
      { n: 3, values: { c: [1, 2] } },
    ]);
  });

  it('a gzip JSON array', async () => {
    const items = Array.from({ length: 3000 }, (_, i) => ({ id: i, person: { name: { firstName: `F${i}` } } }));
    const rows = await readObject('in/people.json.gz', gzipSync(JSON.stringify(items, null, 2)), { format: 'json' });
    expect(rows.map((r) => r.values)).toEqual(items);
  });

  it('a multi-line JSON file of concatenated objects', async () => {
    const rows = await readObject('in/multi.json', '{\n "a": 1\n}\n{\n "b": 2\n}\n', { format: 'json', properties: { isMultiLineJson: true } });
    expect(brief(rows)).toEqual([{ n: 1, values: { a: 1 } }, { n: 2, values: { b: 2 } }]);
  });
});
