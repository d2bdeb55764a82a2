import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { readRecords } from '../../activities/ingestion/sources';
import type { SourceFormat } from '../../activities/ingestion/sources';

/** Resident memory may grow by less than this while a file streams through (a whole file would not fit). */
const MAX_RSS_GROWTH = 150 * 1024 * 1024;

/** Text produced on demand, in batches of lines: the file never exists in memory as a whole. */
function generated(head: string, count: number, line: (i: number) => string, tail = ''): Readable {
  return Readable.from((function* () {
    yield head;
    for (let i = 0; i < count; i += 1000) {
      let batch = '';
      for (let j = i; j < Math.min(count, i + 1000); j++) batch += line(j);
      yield batch;
    }
    yield tail;
  })());
}

/** Reads every row, sampling the resident set size; returns the row count and the peak growth. */
async function readMeasured(body: Readable, fmt: SourceFormat, check: (values: Record<string, unknown>, i: number) => boolean) {
  const before = process.memoryUsage().rss;
  let peak = before;
  let rows = 0;
  let bad = 0;
  for await (const r of readRecords(body, fmt)) {
    if (r.error || !check(r.values!, rows)) bad++;
    if (++rows % 20_000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  }
  return { rows, bad, growth: Math.max(peak, process.memoryUsage().rss) - before };
}

describe('source readers stream: memory stays flat however large the file', () => {
  it('a 1,000,000-row gzip CSV', async () => {
    const csv = generated('id,email,first,last,age,joined\n', 1_000_000, (i) => `${i},user${i}@example.com,First${i},"Last, ${i}",${i % 90},2021-03-04\n`);
    const gz = csv.pipe(createGzip({ level: 1 }));
    const r = await readMeasured(gz, { format: 'delimited', compression: 'gzip' }, (v, i) => v.id === String(i) && v.last === `Last, ${i}`);
    expect(r).toMatchObject({ rows: 1_000_000, bad: 0 });
    expect(r.growth).toBeLessThan(MAX_RSS_GROWTH);
  }, 300_000);

  it('a JSON array of 200,000 objects', async () => {
    const json = generated('[', 200_000, (i) => `${i ? ',' : ''}\n{"id":${i},"person":{"name":{"firstName":"F${i}","lastName":"L${i}"}},"tags":["a","b"],"note":"x, ] } \\" y"}`, ']');
    const r = await readMeasured(json, { format: 'json' }, (v, i) => v.id === i && (v.person as { name: { lastName: string } }).name.lastName === `L${i}`);
    expect(r).toMatchObject({ rows: 200_000, bad: 0 });
    expect(r.growth).toBeLessThan(MAX_RSS_GROWTH);
  }, 300_000);
});
