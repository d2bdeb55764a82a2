import { DomainError } from '../shared/errors';
import { setPath } from '../shared/paths';

/** One Data Prep mapping, normalised from either AEP form (source/destination or sourceAttribute/destinationXdmPath). */
export interface Mapping {
  sourceType: 'ATTRIBUTE';
  source: string;
  destination: string;
  /** Older AEP form: the destination value is also an identity in this namespace. */
  identity?: { namespaceCode: string; primary: boolean };
}

export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'date-time' | 'object' | 'array' | 'map';

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

export function normalizeMappings(raw: unknown[]): Mapping[] {
  return raw.map((m, i) => {
    const r = m as Record<string, unknown>;
    const source = (r.source ?? r.sourceAttribute) as unknown;
    const destination = (r.destination ?? r.destinationXdmPath) as unknown;
    const sourceType = (r.sourceType ?? 'ATTRIBUTE') as string;
    if (sourceType !== 'ATTRIBUTE') {
      throw new DomainError('UNPROCESSABLE', `mappings[${i}].sourceType: only ATTRIBUTE mappings are supported so far (got ${sourceType})`, `mappings[${i}].sourceType`);
    }
    if (typeof source !== 'string' || !source) throw new DomainError('VALIDATION', `mappings[${i}].source is required`, `mappings[${i}].source`);
    if (typeof destination !== 'string' || !/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/.test(destination)) {
      throw new DomainError('VALIDATION', `mappings[${i}].destination must be a dotted XDM path`, `mappings[${i}].destination`);
    }
    const identity = r.identity === true && typeof r.namespaceCode === 'string'
      ? { namespaceCode: r.namespaceCode, primary: r.primaryIdentity === true }
      : undefined;
    return { sourceType: 'ATTRIBUTE', source, destination, identity };
  });
}

/** Converts one text value to the XDM type at its destination, or explains why it cannot. */
export function coerce(value: string, type: FieldType | undefined, path: string): { ok: true; value: unknown } | { ok: false; issue: RowIssue } {
  const bad = (rule: string): { ok: false; issue: RowIssue } =>
    ({ ok: false, issue: { code: ROW_ERROR.TYPE_MISMATCH, message: `${path}: "${value}" is not ${rule}` } });
  switch (type) {
    case 'number': {
      const n = Number(value);
      return value.trim() !== '' && Number.isFinite(n) ? { ok: true, value: n } : bad('a number');
    }
    case 'integer': {
      const n = Number(value);
      return Number.isInteger(n) && value.trim() !== '' ? { ok: true, value: n } : bad('an integer');
    }
    case 'boolean': {
      const v = value.trim().toLowerCase();
      if (v === 'true' || v === '1') return { ok: true, value: true };
      if (v === 'false' || v === '0') return { ok: true, value: false };
      return bad('a boolean (true/false)');
    }
    case 'date':
      return /^\d{4}-\d{2}-\d{2}$/.test(value.trim()) && !Number.isNaN(Date.parse(value.trim())) ? { ok: true, value: value.trim() } : bad('a date (YYYY-MM-DD)');
    case 'date-time': {
      const t = Date.parse(value.trim());
      return Number.isNaN(t) ? bad('a date-time (ISO 8601)') : { ok: true, value: new Date(t).toISOString() };
    }
    case 'array':
      return { ok: true, value: value.split('|').map((s) => s.trim()).filter(Boolean) };
    default:
      return { ok: true, value };
  }
}

/**
 * Applies mappings to one source row. Empty cells are omitted (absent, not null); every
 * conversion problem of the row is reported, so one look at the error explains the row.
 */
export function applyMappings(row: Record<string, string>, mappings: Mapping[], types: Map<string, FieldType>):
  { record: Record<string, unknown>; identities: { ns: string; id: string; primary: boolean }[]; issues: RowIssue[] } {
  const record: Record<string, unknown> = {};
  const identities: { ns: string; id: string; primary: boolean }[] = [];
  const issues: RowIssue[] = [];
  for (const m of mappings) {
    const raw = row[m.source]?.trim();
    if (raw === undefined || raw === '') continue;
    const c = coerce(raw, types.get(m.destination), m.destination);
    if (!c.ok) {
      issues.push(c.issue);
      continue;
    }
    setPath(record, m.destination, c.value);
    if (m.identity) identities.push({ ns: m.identity.namespaceCode, id: String(c.value), primary: m.identity.primary });
  }
  return { record, identities, issues };
}
