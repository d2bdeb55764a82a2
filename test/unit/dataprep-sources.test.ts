import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { readRecords } from '../../activities/ingestion/sources';
import type { SourceFormat, SourceRow } from '../../activities/ingestion/sources';
import { JsonSplitter } from '../../activities/ingestion/json-source';
import { isDomainError } from '../../domain/shared/errors';

const CSV: SourceFormat = { format: 'delimited' };
const JSON_FMT: SourceFormat = { format: 'json' };

/** Reads bytes given as chunks (a byte stream, as S3 hands it over). */
async function read(chunks: (string | Buffer)[], fmt: SourceFormat): Promise<SourceRow[]> {
  const rows: SourceRow[] = [];
  for await (const r of readRecords(Readable.from(chunks.map((c) => Buffer.from(c))), fmt)) rows.push(r);
  return rows;
}
const brief = (rows: SourceRow[]) => rows.map((r) => (r.error ? { n: r.rowNumber, error: r.error, raw: r.raw } : { n: r.rowNumber, values: r.values }));

/** The same bytes cut at the given positions. */
const cut = (bytes: Buffer, at: number[]) => {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...points].map((p, i, xs) => bytes.subarray(p, xs[i + 1] ?? bytes.length)).filter((c) => c.length);
};

describe('delimited sources', () => {
  it('reads header, quotes, escaped quotes, embedded newlines, CRLF and a BOM', async () => {
    const rows = await read(['\uFEFFid,name,note\r\n1,"Lee, Ann","said ""hi""\nthen left"\r\n\r\n2,Bob,\r\n'], CSV);
    expect(brief(rows)).toEqual([
      { n: 1, values: { id: '1', name: 'Lee, Ann', note: 'said "hi"\nthen left' } },
      { n: 2, values: { id: '2', name: 'Bob', note: '' } },
    ]);
    expect(rows[0].raw).toBe('1,"Lee, Ann","said ""hi""\nthen left"');
    expect(rows.map((r) => r.offset)).toEqual([17, 57]); // byte offsets: after the BOM and header, then after the empty line
  });

  it('takes delimiter, quote and escape options; no header names columns _c0, _c1, …', async () => {
    expect(brief(await read(["a;'b;c';'it\\'s'\n"], { format: 'delimited', delimiter: ';', quote: "'", escape: '\\', header: false }))).toEqual([
      { n: 1, values: { _c0: 'a', _c1: 'b;c', _c2: "it's" } },
    ]);
    expect(brief(await read(['x\ty\n1\t2\n'], { format: 'delimited', delimiter: '\t' }))).toEqual([{ n: 1, values: { x: '1', y: '2' } }]);
    expect(brief(await read(['a¦b\n1¦2\n'], { format: 'delimited', delimiter: '¦' }))).toEqual([{ n: 1, values: { a: '1', b: '2' } }]);
  });

  it('a row with the wrong column count fails alone', async () => {
    expect(brief(await read(['a,b\n1,2\n3,4,5\n6\n7,8\n'], CSV))).toEqual([
      { n: 1, values: { a: '1', b: '2' } },
      { n: 2, error: 'expected 2 columns but found 3', raw: '3,4,5' },
      { n: 3, error: 'expected 2 columns but found 1', raw: '6' },
      { n: 4, values: { a: '7', b: '8' } },
    ]);
  });

  it('a bad quote fails its row alone, in file order', async () => {
    const good = (from: number) => Array.from({ length: 100 }, (_, i) => `${from + i},v${from + i}\n`).join('');
    const rows = await read([`id,v\n${good(1)}101,"bad"x\n${good(102)}`], CSV);
    expect(rows.map((r) => r.rowNumber)).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
    expect(rows.filter((r) => r.error).map((r) => [r.rowNumber, r.raw, r.error])).toEqual([[101, '101,"bad"x', 'unexpected text after the closing quote of column 2']]);
    expect(rows[101].values).toEqual({ id: '102', v: 'v102' });
  });

  it('an unclosed quote fails its line only; quoted fields may still span lines', async () => {
    const rows = await read(['a,b\n1,2\n3,"open\n4,"x"y\n5,"multi\nline"\n6,"never closed\n7,8\n'], CSV);
    expect(brief(rows)).toEqual([
      { n: 1, values: { a: '1', b: '2' } },
      { n: 2, error: 'a quoted field is not closed', raw: '3,"open' },
      { n: 3, error: 'unexpected text after the closing quote of column 2', raw: '4,"x"y' },
      { n: 4, values: { a: '5', b: 'multi\nline' } },
      { n: 5, error: 'a quoted field is not closed', raw: '6,"never closed' },
      { n: 6, values: { a: '7', b: '8' } },
    ]);
  });

  it('a quote that never closes gives up after 100 lines, not at the end of the file', async () => {
    const rows = await read([`a,b\n1,"x\n${'2,y\n'.repeat(150)}`], CSV);
    expect(rows).toHaveLength(151);
    expect(rows[0]).toMatchObject({ rowNumber: 1, error: 'a quoted field is not closed' });
    expect(rows.slice(1).every((r) => r.values?.b === 'y')).toBe(true);
  });

  it('a quote inside an unquoted field is text', async () => {
    expect(brief(await read(['name,height\nJo,5\'11"\n'], CSV))).toEqual([{ n: 1, values: { name: 'Jo', height: '5\'11"' } }]);
  });

  it('invalid UTF-8 fails that row only; valid multi-byte text survives chunk boundaries', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\nété,👍\n'), Buffer.from([0x78, 0xff, 0xfe, 0x2c, 0x31, 0x0a]), Buffer.from('ok,ü\n')]);
    const rows = await read(Array.from(bytes).map((b) => Buffer.from([b])), CSV);
    expect(brief(rows)).toEqual([
      { n: 1, values: { a: 'été', b: '👍' } },
      { n: 2, error: 'invalid UTF-8', raw: 'x\uFFFD\uFFFD,1' },
      { n: 3, values: { a: 'ok', b: 'ü' } },
    ]);
  });

  it('reads the same rows however the bytes are chunked (property)', async () => {
    const bytes = Buffer.from('id,name\n1,"a,""b"""\n2,"x\ny"\n3,4,5\n4,é👍\n5,"bad"q\n6,z');
    const whole = await read([bytes], CSV);
    expect(whole).toHaveLength(6);
    await fc.assert(fc.asyncProperty(fc.array(fc.nat(), { maxLength: 8 }), async (at) => {
      expect(await read(cut(bytes, at), CSV)).toEqual(whole);
    }), { numRuns: 60 });
  });
});

describe('JSON sources', () => {
  it('streams the elements of a JSON array, whatever they contain', async () => {
    const text = ' [ {"a":1,"s":"x], {y}, \\"q\\""} ,\n{"b":{"c":[1,{"d":null}]},"u":"é👍"},{}]  ';
    const rows = await read([text], JSON_FMT);
    expect(brief(rows)).toEqual([
      { n: 1, values: { a: 1, s: 'x], {y}, "q"' } },
      { n: 2, values: { b: { c: [1, { d: null }] }, u: 'é👍' } },
      { n: 3, values: {} },
    ]);
    expect(rows[0]).toMatchObject({ raw: '{"a":1,"s":"x], {y}, \\"q\\""}', offset: 3 });
  });

  it('a bad array element fails alone', async () => {
    expect(brief(await read(['[{"a":1}, 2, {bad}, , [3], null, {"z":true}]'], JSON_FMT))).toEqual([
      { n: 1, values: { a: 1 } },
      { n: 2, error: 'a record must be a JSON object, not a number', raw: '2' },
      { n: 3, error: expect.stringContaining('invalid JSON'), raw: '{bad}' },
      { n: 4, error: 'empty element in the JSON array', raw: '' },
      { n: 5, error: 'a record must be a JSON object, not an array', raw: '[3]' },
      { n: 6, error: 'a record must be a JSON object, not null', raw: 'null' },
      { n: 7, values: { z: true } },
    ]);
    expect(await read(['[ ]'], JSON_FMT)).toEqual([]);
    expect(brief(await read(['[{"a":1},{"b":'], JSON_FMT))).toEqual([
      { n: 1, values: { a: 1 } },
      { n: 2, error: 'the JSON array is not closed', raw: '{"b":' },
    ]);
  });

  it('reads NDJSON line by line: a line that is not JSON fails alone', async () => {
    const rows = await read(['{"a":1}\r\n\n  \nnot json\n{"b":"x\\ny"}\n{"c":[1,\n{"d":2}'], JSON_FMT);
    expect(brief(rows)).toEqual([
      { n: 1, values: { a: 1 } },
      { n: 2, error: expect.stringContaining('invalid JSON'), raw: 'not json' },
      { n: 3, values: { b: 'x\ny' } },
      { n: 4, error: expect.stringContaining('invalid JSON'), raw: '{"c":[1,' },
      { n: 5, values: { d: 2 } },
    ]);
  });

  it('reads multi-line JSON values when the source says so', async () => {
    const text = '{\n  "a": 1,\n  "n": {"x": "}"}\n}\n{"b": 2} {"c": 3}\n';
    expect(brief(await read([text], { format: 'json', multiLineJson: true }))).toEqual([
      { n: 1, values: { a: 1, n: { x: '}' } } },
      { n: 2, values: { b: 2 } },
      { n: 3, values: { c: 3 } },
    ]);
  });

  it('invalid UTF-8 in a record fails that record; a BOM is skipped', async () => {
    const bytes = Buffer.concat([Buffer.from('\uFEFF[{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"},{"b":"ü"}]')]);
    expect(brief(await read([bytes], JSON_FMT))).toEqual([
      { n: 1, error: 'invalid UTF-8', raw: '{"a":"\uFFFD("}' },
      { n: 2, values: { b: 'ü' } },
    ]);
  });

  it('reads the same records however the bytes are chunked (property)', async () => {
    const array = Buffer.from('[{"a":"x,]}\\"","b":[1,{"c":2}]}, {"é":"👍"}, bad, {"z":null}]');
    const ndjson = Buffer.from('{"a":1}\n{"b":"}{"}\nnope\n{"c":"\\\\"}');
    for (const bytes of [array, ndjson]) {
      const whole = await read([bytes], JSON_FMT);
      expect(whole).toHaveLength(4);
      await fc.assert(fc.asyncProperty(fc.array(fc.nat(), { maxLength: 8 }), async (at) => {
        expect(await read(cut(bytes, at), JSON_FMT)).toEqual(whole);
      }), { numRuns: 60 });
    }
  });

  it('the splitter keeps one record in memory, not the file', () => {
    const s = new JsonSplitter();
    expect(s.push(Buffer.from('[{"a":1},{"b"'))).toHaveLength(1);
    expect(s.push(Buffer.from(':2}]')).map((p) => p.bytes.toString())).toEqual(['{"b":2}']);
    expect(s.end()).toEqual([]);
  });
});

describe('compression and formats', () => {
  it('gunzips when the format says gzip', async () => {
    const gz = gzipSync('a,b\n1,2\n');
    expect(brief(await read([gz.subarray(0, 5), gz.subarray(5)], { format: 'delimited', compression: 'gzip' }))).toEqual([{ n: 1, values: { a: '1', b: '2' } }]);
    expect(brief(await read([gzipSync('[{"a":1}]')], { format: 'json', compression: 'gzip' }))).toEqual([{ n: 1, values: { a: 1 } }]);
  });

  it('a file that is not gzip is a permanent DomainError', async () => {
    const err = await read(['a,b\n1,2\n'], { format: 'delimited', compression: 'gzip' }).catch((e) => e);
    expect(isDomainError(err)).toBe(true);
    expect(err.message).toMatch(/^not a valid gzip file/);
  });

  it('parquet is not a stream format', async () => {
    const err = await read(['PAR1'], { format: 'parquet' }).catch((e) => e);
    expect(isDomainError(err)).toBe(true);
  });

  it('stopping early releases the source', async () => {
    const body = Readable.from((function* () {
      for (let i = 0; ; i++) yield Buffer.from(i === 0 ? 'a\n' : `${i}\n`);
    })());
    for await (const r of readRecords(body, CSV)) if (r.rowNumber === 3) break;
    expect(body.destroyed).toBe(true);
  });
});
