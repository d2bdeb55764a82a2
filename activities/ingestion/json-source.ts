import { isUtf8 } from 'node:buffer';
import type { SourceFormat } from '../../domain/flow/model';
import type { SourceRow } from './sources';

/** One record's bytes as found in the file, or why there is no record where one was expected. */
export interface JsonPiece { bytes: Buffer; offset: number; error?: string }

const [LBRACE, RBRACE, LBRACKET, RBRACKET, QUOTE, BACKSLASH, COMMA, NL] = [0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c, 0x2c, 0x0a];
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
enum End { No, Before, After }
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Cuts a JSON byte stream into records without parsing them: the elements of a top-level array
 * (`[` first), else NDJSON lines, or, for multi-line JSON, whole top-level values. Each record is
 * then parsed alone (JSON.parse), so a bad record fails alone and memory holds one record at a
 * time. It scans bytes: UTF-8 multi-byte sequences never contain ASCII bytes, so the structural
 * characters it looks for are never part of another character.
 */
export class JsonSplitter {
  private mode: 'detect' | 'array' | 'lines' | 'values' = 'detect';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: Buffer[] = [];
  /** Absolute offset where the current record starts; -1 between records. */
  private start = -1;
  /** Absolute offset of the chunk being scanned. */
  private base = 0;
  private out: JsonPiece[] = [];

  constructor(private readonly multiLine = false) {}

  push(chunk: Buffer): JsonPiece[] {
    let from = 0;
    const skip = this.base === 0 && chunk.subarray(0, 3).equals(BOM) ? 3 : 0;
    for (let i = skip; i < chunk.length; i++) {
      const b = chunk[i];
      if (this.start < 0) {
        if (isSpace(b) || !this.opens(b, i)) continue;
        this.start = this.base + i;
        from = i;
      }
      const end = this.scan(b);
      if (end !== End.No) this.emit(chunk.subarray(from, end === End.After ? i + 1 : i));
    }
    if (this.start >= 0) this.parts.push(chunk.subarray(from));
    this.base += chunk.length;
    return this.take();
  }

  end(): JsonPiece[] {
    const unclosed = this.mode === 'array' ? 'the JSON array is not closed' : undefined;
    if (this.start >= 0) this.emit(Buffer.alloc(0), unclosed);
    else if (unclosed) this.out.push({ bytes: Buffer.alloc(0), offset: this.base, error: unclosed });
    return this.take();
  }

  /** Between records: whether byte b starts one (else it was punctuation, consumed here). */
  private opens(b: number, i: number): boolean {
    if (this.mode === 'detect') {
      this.mode = b === LBRACKET ? 'array' : this.multiLine ? 'values' : 'lines';
      return this.mode !== 'array';
    }
    if (this.mode !== 'array') return true;
    if (b === RBRACKET) this.mode = 'detect';
    else if (b === COMMA) this.out.push({ bytes: Buffer.alloc(0), offset: this.base + i, error: 'empty element in the JSON array' });
    return b !== RBRACKET && b !== COMMA;
  }

  /** Inside a record: whether byte b ends it, and whether b belongs to it. */
  private scan(b: number): End {
    if (this.mode === 'lines' && b === NL) return End.Before;
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (b === BACKSLASH) this.escaped = true;
      else if (b === QUOTE) this.inString = false;
      return End.No;
    }
    if (b === QUOTE) this.inString = true;
    else if (b === LBRACE || b === LBRACKET) this.depth++;
    else if (b === RBRACE || b === RBRACKET) {
      if (this.depth === 0 && this.mode === 'array' && b === RBRACKET) {
        this.mode = 'detect';
        return End.Before;
      }
      this.depth = Math.max(0, this.depth - 1);
      if (this.depth === 0 && this.mode === 'values') return End.After;
    } else if (this.depth === 0 && ((b === COMMA && this.mode === 'array') || (b === NL && this.mode === 'values'))) return End.Before;
    return End.No;
  }

  private emit(last: Buffer, error?: string): void {
    this.parts.push(last);
    const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    this.out.push({ bytes, offset: this.start, error });
    this.parts = [];
    this.start = -1;
    this.depth = 0;
    this.inString = this.escaped = false;
  }

  private take(): JsonPiece[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`);

/** A record piece as a source row: a JSON object, or the reason it is not one. */
function toRow(rowNumber: number, p: JsonPiece): SourceRow {
  const raw = p.bytes.toString('utf8').trim();
  const row = { rowNumber, raw, offset: p.offset };
  if (p.error) return { ...row, error: p.error };
  if (!isUtf8(p.bytes)) return { ...row, error: 'invalid UTF-8' };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    return { ...row, error: `invalid JSON: ${(e as Error).message}` };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ...row, error: `a record must be a JSON object, not ${kind(value)}` };
  return { ...row, values: value as Record<string, unknown> };
}

/** Streams the records of a JSON file: array elements, NDJSON lines or multi-line values. */
export async function* readJson(input: AsyncIterable<Buffer | string>, fmt: Pick<SourceFormat, 'multiLineJson'>): AsyncGenerator<SourceRow> {
  const splitter = new JsonSplitter(fmt.multiLineJson === true);
  let n = 0;
  for await (const chunk of input) {
    for (const p of splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) yield toRow(++n, p);
  }
  for (const p of splitter.end()) yield toRow(++n, p);
}
