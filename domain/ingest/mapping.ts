import { DomainError } from '../shared/errors';
import { setPath } from '../shared/paths';
import { parseIsoDateTime } from './dates';
import { compileExpression, readSource } from './expression';
import type { Evaluate, RowScope } from './expression';
import { isNil, isPlainObject, parseBool, parseNumber, show } from './values';

/** One Data Prep mapping, normalised from either AEP form (source/destination or sourceAttribute/destinationXdmPath). */
export interface Mapping {
  sourceType: 'ATTRIBUTE' | 'EXPRESSION';
  /** A source attribute (name or dotted path), or an expression for EXPRESSION mappings. */
  source: string;
  destination: string;
  /** Older AEP form: the destination value is also an identity in this namespace. */
  identity?: { namespaceCode: string; primary: boolean };
  /** The source compiled once: reads (ATTRIBUTE) or computes (EXPRESSION) the value of one row. */
  evaluate: Evaluate;
}

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'date-time' | 'object' | 'array' | 'map';

/** What a row is mapped with besides its values. */
export type MapContext = Omit<RowScope, 'row'>;

export interface RowIssue {
  code: string;
  message: string;
}

export const ROW_ERROR = {
  CORRUPT: 'INGEST-1401-400',
  TYPE_MISMATCH: 'INGEST-1402-400',
  REQUIRED_MISSING: 'INGEST-1555-400',
  SCHEMA: 'INGEST-1403-400',
  PARTIAL_SUMMARY: 'INGEST-1212-400',
} as const;

const XDM_PATH = /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * Normalises and compiles a mapping set. Throws DomainError VALIDATION for a malformed mapping,
 * including an expression that does not parse (naming `mappings[i].source` and the column).
 */
export function normalizeMappings(raw: unknown[]): Mapping[] {
  return raw.map((m, i) => {
    const r = (m ?? {}) as Record<string, unknown>;
    const source = r.source ?? r.sourceAttribute;
    const destination = r.destination ?? r.destinationXdmPath;
    const sourceType = r.sourceType ?? 'ATTRIBUTE';
    if (sourceType !== 'ATTRIBUTE' && sourceType !== 'EXPRESSION') {
      throw new DomainError('UNPROCESSABLE', `mappings[${i}].sourceType must be ATTRIBUTE or EXPRESSION (got ${show(sourceType)})`, `mappings[${i}].sourceType`);
    }
    if (typeof source !== 'string' || !source.trim()) throw new DomainError('VALIDATION', `mappings[${i}].source is required`, `mappings[${i}].source`);
    if (typeof destination !== 'string' || !XDM_PATH.test(destination) || destination.split('.').some((k) => FORBIDDEN_KEYS.has(k))) {
      throw new DomainError('VALIDATION', `mappings[${i}].destination must be a dotted XDM path`, `mappings[${i}].destination`);
    }
    const identity = r.identity === true && typeof r.namespaceCode === 'string'
      ? { namespaceCode: r.namespaceCode, primary: r.primaryIdentity === true }
      : undefined;
    const evaluate = sourceType === 'EXPRESSION' ? compileExpression(source, i) : (scope: RowScope) => readSource(scope.row, source);
    return { sourceType, source, destination, identity, evaluate };
  });
}

/** Whether a destination may be written without being a schema field. */
const freeDestination = (path: string) => path === '_id' || path === 'identityMap' || path.startsWith('identityMap.');

/**
 * Checks every destination against the schema's fields. Throws DomainError UNPROCESSABLE
 * naming each unknown destination (with the closest field when one is near).
 */
export function validateMappings(mappings: Pick<Mapping, 'destination'>[], fieldTypes: Map<string, FieldType>, schemaId = 'the target schema'): void {
  const problems = mappings.flatMap((m, i) => {
    if (freeDestination(m.destination) || fieldTypes.has(m.destination)) return [];
    const near = closest(m.destination, [...fieldTypes.keys()]);
    return [`mappings[${i}].destination: ${m.destination} is not a field of schema ${schemaId}${near ? ` (did you mean ${near}?)` : ''}`];
  });
  if (problems.length) throw new DomainError('UNPROCESSABLE', problems.join('; '), problems[0].split(':')[0]);
}

/** The field within edit distance 2 of a mistyped path, if there is exactly one nearest. */
function closest(path: string, fields: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const f of fields) {
    if (Math.abs(f.length - path.length) >= bestDistance) continue;
    const d = editDistance(path, f);
    if (d < bestDistance) [best, bestDistance] = [f, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

type Coerced = { ok: true; value: unknown } | { ok: false; issue: RowIssue };

/** Converts one source or computed value to the XDM type at its destination, or explains why it cannot. */
export function coerce(value: unknown, type: FieldType | undefined, path: string): Coerced {
  const ok = (v: unknown): Coerced => ({ ok: true, value: v });
  const bad = (rule: string): Coerced => ({ ok: false, issue: { code: ROW_ERROR.TYPE_MISMATCH, message: `${path}: ${show(value)} is not ${rule}` } });
  const num = parseNumber(value);
  const str = typeof value === 'string' ? value.trim() : value;
  switch (type) {
    case 'string':
      return typeof value === 'string' ? ok(value) : typeof value === 'number' || typeof value === 'boolean' ? ok(String(value)) : bad('a string');
    case 'number':
      return num !== null ? ok(num) : bad('a number');
    case 'integer':
      return num !== null && Number.isInteger(num) ? ok(num) : bad('an integer');
    case 'boolean': {
      const b = parseBool(value);
      return b !== null ? ok(b) : bad('a boolean (true/false)');
    }
    case 'date': {
      const iso = parseIsoDateTime(str);
      return iso ? ok((typeof str === 'string' ? str : iso).slice(0, 10)) : bad('a date (YYYY-MM-DD)');
    }
    case 'date-time': {
      const iso = parseIsoDateTime(str);
      return iso ? ok(iso) : bad('a date-time (ISO 8601)');
    }
    case 'array':
      if (Array.isArray(value)) return ok(value);
      return typeof value === 'string' ? ok(value.split('|').map((s) => s.trim()).filter(Boolean)) : bad('an array');
    case 'object':
    case 'map':
      return isPlainObject(value) ? ok(value) : bad(type === 'map' ? 'a map' : 'an object');
    default:
      return ok(value);
  }
}

export interface MappedRow {
  record: Record<string, unknown>;
  identities: { ns: string; id: string; primary: boolean }[];
  issues: RowIssue[];
}

/**
 * Applies mappings to one source row (flat CSV strings or nested JSON values). Absent and empty
 * values are omitted (absent, not null); a type mismatch or a failing function is a row issue,
 * and every issue of the row is reported, so one look at the error explains the row.
 * Without mappings the row is the record as it is (XDM-shaped JSON); validation judges it.
 */
export function applyMappings(row: Record<string, unknown>, mappings: Mapping[], types: Map<string, FieldType>, ctx: MapContext): MappedRow {
  if (!mappings.length) return { record: row, identities: [], issues: [] };
  const out: MappedRow = { record: {}, identities: [], issues: [] };
  const scope: RowScope = { row, ...ctx };
  mappings.forEach((m, i) => {
    let value: unknown;
    try {
      value = m.evaluate(scope);
    } catch (e) {
      out.issues.push({ code: ROW_ERROR.TYPE_MISMATCH, message: `${m.destination}: mappings[${i}] failed: ${(e as Error).message}` });
      return;
    }
    if (isNil(value) || value === '') return;
    const c = coerce(value, types.get(m.destination), m.destination);
    if (!c.ok) return void out.issues.push(c.issue);
    setPath(out.record, m.destination, c.value);
    if (m.identity) out.identities.push({ ns: m.identity.namespaceCode, id: String(c.value), primary: m.identity.primary });
  });
  return out;
}
