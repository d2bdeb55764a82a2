import { isUtf8 } from 'node:buffer';
import type { SourceFormat } from '../../domain/flow/model';
import { DomainError } from '../../domain/shared/errors';
import type { SourceRow } from './sources';

/*
 * Delimited files, read line by line. Hand-written rather than csv-parse: after a quote error
 * csv-parse stays inside the quoted field, so one stray quote swallows every row after it, and a
 * fresh csv-parse per row costs ~80 µs. Here a record is the fewest lines that parse; one that
 * never closes its quote (within MAX_RECORD_LINES / MAX_RECORD_BYTES, or before the end of the
 * file), or that fails across several lines, fails its first line only, and reading resumes at
 * the next line. Text is handled as latin1 (one char per byte) until a row is known to be valid
 * UTF-8, so an invalid byte fails its row instead of being replaced silently.
 */

const MAX_RECORD_LINES = 100;
const MAX_RECORD_BYTES = 1 << 20;
const BOM = '\xEF\xBB\xBF';
const NON_ASCII = /[^\x00-\x7f]/;

interface Line { text: string; offset: number }
interface Dialect { delimiter: string; quote: string; escape: string }
type Parsed = { fields: string[] } | { error: string } | 'incomplete';
interface CsvRecord { text: string; offset: number; fields?: string[]; error?: string }

/** UTF-8 text as the latin1 string of its bytes. */
const latin1 = (utf8: string) => Buffer.from(utf8, 'utf8').toString('latin1');
/** The UTF-8 text a latin1 string of bytes encodes (ASCII needs no work). */
const utf8 = (bytes: string) => (NON_ASCII.test(bytes) ? Buffer.from(bytes, 'latin1').toString('utf8') : bytes);

function dialect(fmt: SourceFormat): Dialect {
  const d = { delimiter: latin1(fmt.delimiter || ','), quote: latin1(fmt.quote || '"'), escape: latin1(fmt.escape || fmt.quote || '"') };
  if (d.quote.length !== 1 || d.escape.length !== 1) throw new DomainError('UNPROCESSABLE', 'the quote and escape characters must be single ASCII characters');
  if (d.delimiter.includes(d.quote)) throw new DomainError('UNPROCESSABLE', 'the column delimiter cannot contain the quote character');
  return d;
}

/** Cuts a byte stream into lines (without `\n` or a leading byte order mark), each with its byte offset. */
class LineSplitter {
  private carry: Buffer[] = [];
  private offset = 0;

  push(chunk: Buffer): Line[] {
    const out: Line[] = [];
    let from = this.offset === 0 && !this.carry.length && chunk.toString('latin1', 0, 3) === BOM ? 3 : 0;
    this.offset += from;
    for (let nl = chunk.indexOf(0x0a, from); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const bytes = this.carry.length ? Buffer.concat([...this.carry, chunk.subarray(from, nl)]) : chunk.subarray(from, nl);
      this.carry = [];
      out.push({ text: bytes.toString('latin1'), offset: this.offset });
      this.offset += bytes.length + 1;
      from = nl + 1;
    }
    if (from < chunk.length) this.carry.push(chunk.subarray(from));
    return out;
  }

  end(): Line[] {
    return this.carry.length ? [{ text: Buffer.concat(this.carry).toString('latin1'), offset: this.offset }] : [];
  }
}

/** A quoted field from just after its opening quote: its value and the index after its closing quote. */
function quotedField(s: string, from: number, d: Dialect): { value: string; end: number } | 'incomplete' {
  let value = '';
  for (let i = from; ;) {
    const q = s.indexOf(d.quote, i);
    const e = d.escape === d.quote ? -1 : s.indexOf(d.escape, i);
    if (e >= 0 && (q < 0 || e < q)) {
      const next = s[e + 1];
      if (next === undefined) return 'incomplete';
      const escapes = next === d.quote || next === d.escape;
      value += s.slice(i, e) + (escapes ? next : d.escape + next);
      i = e + 2;
    } else if (q < 0) return 'incomplete';
    else if (d.escape === d.quote && s[q + 1] === d.quote) {
      value += s.slice(i, q + 1);
      i = q + 2;
    } else return { value: value + s.slice(i, q), end: q + 1 };
  }
}

/** Splits one record into fields (RFC 4180 quoting; a quote inside an unquoted field is text). */
function parseRecord(s: string, d: Dialect): Parsed {
  const fields: string[] = [];
  for (let i = 0; ;) {
    if (s[i] === d.quote) {
      const f = quotedField(s, i + 1, d);
      if (f === 'incomplete') return f;
      if (f.end < s.length && !s.startsWith(d.delimiter, f.end)) return { error: `unexpected text after the closing quote of column ${fields.length + 1}` };
      fields.push(f.value);
      i = f.end;
    } else {
      const next = s.indexOf(d.delimiter, i);
      fields.push(s.slice(i, next < 0 ? s.length : next));
      i = next < 0 ? s.length : next;
    }
    if (i >= s.length) return { fields };
    i += d.delimiter.length;
  }
}

const stripCr = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s);

/** Groups lines into records: the fewest lines that parse, with resynchronisation on bad quoting. */
class RecordAssembler {
  private pending: Line[] = [];

  constructor(private readonly d: Dialect) {}

  push(line: Line): CsvRecord[] {
    this.pending.push(line);
    return this.drain(false);
  }

  end(): CsvRecord[] {
    return this.drain(true);
  }

  private drain(atEnd: boolean): CsvRecord[] {
    const out: CsvRecord[] = [];
    while (this.pending.length) {
      const { parsed, count, text } = this.shortest();
      if (count === 1 && text === '') this.pending.shift();
      else if (parsed === 'incomplete') {
        if (!atEnd && this.pending.length < MAX_RECORD_LINES && text.length < MAX_RECORD_BYTES) break;
        out.push(this.failFirstLine());
      } else if ('error' in parsed && count > 1) out.push(this.failFirstLine());
      else {
        out.push({ text, offset: this.pending[0].offset, ...parsed });
        this.pending.splice(0, count);
      }
    }
    return out;
  }

  /** The first lines of `pending` that make a whole record, or all of them if none do. */
  private shortest(): { parsed: Parsed; count: number; text: string } {
    let text = '';
    for (let count = 1; ; count++) {
      text = count === 1 ? this.pending[0].text : `${text}\n${this.pending[count - 1].text}`;
      const parsed = parseRecord(stripCr(text), this.d);
      if (parsed !== 'incomplete' || count === this.pending.length) return { parsed, count, text: stripCr(text) };
    }
  }

  /** The quote opened on the first line never closes well: that line fails, reading resumes after it. */
  private failFirstLine(): CsvRecord {
    const first = this.pending.shift()!;
    return { text: stripCr(first.text), offset: first.offset, error: 'a quoted field is not closed' };
  }
}

/** Streams a delimited file: a header row (or `_c0, _c1, …` names), then one row per record. */
export async function* readDelimited(input: AsyncIterable<Buffer | string>, fmt: SourceFormat): AsyncGenerator<SourceRow> {
  const lines = new LineSplitter();
  const records = new RecordAssembler(dialect(fmt));
  let columns: string[] | undefined;
  let n = 0;
  /** The row of a record; the first good record may be the header instead. */
  const row = (rec: CsvRecord): SourceRow | undefined => {
    if (!columns && rec.fields) {
      columns = fmt.header === false ? rec.fields.map((_, i) => `_c${i}`) : rec.fields.map((f) => utf8(f).trim());
      if (fmt.header !== false) return undefined;
    }
    return toRow(++n, rec, columns);
  };
  const recordsOf = function* (chunk: Buffer | null): Generator<CsvRecord> {
    for (const line of chunk ? lines.push(chunk) : lines.end()) yield* records.push(line);
    if (!chunk) yield* records.end();
  };
  for await (const chunk of input) {
    for (const rec of recordsOf(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      const r = row(rec);
      if (r) yield r;
    }
  }
  for (const rec of recordsOf(null)) {
    const r = row(rec);
    if (r) yield r;
  }
}

function toRow(rowNumber: number, rec: CsvRecord, columns: string[] | undefined): SourceRow {
  const ascii = !NON_ASCII.test(rec.text);
  const raw = ascii ? rec.text : utf8(rec.text);
  if (rec.error) return { rowNumber, raw, offset: rec.offset, error: rec.error };
  if (!ascii && !isUtf8(Buffer.from(rec.text, 'latin1'))) return { rowNumber, raw, offset: rec.offset, error: 'invalid UTF-8' };
  const fields = rec.fields!;
  if (fields.length !== columns!.length) return { rowNumber, raw, offset: rec.offset, error: `expected ${columns!.length} columns but found ${fields.length}` };
  // Plain assignment for speed (Object.fromEntries is slower); a "__proto__" column is dropped: assigning a string to it is a no-op.
  const values: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) values[columns![i]] = ascii ? fields[i] : utf8(fields[i]);
  return { rowNumber, raw, offset: rec.offset, values };
}
