import Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { ResolvedSchema, XdmField } from '../../domain/xdm';

/** Validates XDM records (as stored: no `xdm:` prefixes) against a resolved schema, with Ajv. */

export interface RecordValidationError {
  /** Dotted path of the offending value, e.g. `person.birthDate` or `loyalty.loyaltyID[0]`; '' for the record itself. */
  path: string;
  /** The JSON Schema keyword that failed ('type', 'format', 'required', 'enum', 'pattern', ...), or 'unknownField'. */
  rule: string;
  /** What is wrong, without the path. */
  message: string;
}

export type RecordValidationResult = { ok: true } | { ok: false; errors: RecordValidationError[] };
export type RecordValidator = (record: unknown) => RecordValidationResult;

export interface RecordValidatorOptions {
  /** Accept fields the schema does not define (default false: a mapping to a wrong path is an error). */
  allowUnknown?: boolean;
}

type SchemaInput = Pick<ResolvedSchema, 'properties' | 'required'>;

const OK: RecordValidationResult = { ok: true };
/** The keywords that constrain values; titles, descriptions and `meta:*` annotations are left out. */
const CONSTRAINTS = ['type', 'format', 'pattern', 'enum', 'minimum', 'maximum', 'minLength', 'maxLength'] as const;

export function createRecordValidator(resolved: SchemaInput, options: RecordValidatorOptions = {}): RecordValidator {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv, ['date', 'date-time', 'email', 'uri', 'ipv4', 'ipv6']);
  const closed = !options.allowUnknown;
  const root: XdmField = { type: 'object', properties: resolved.properties, ...(resolved.required ? { required: resolved.required } : {}) };
  const validate = ajv.compile(toAjvSchema(root, closed));
  return (record) => (validate(record) ? OK : { ok: false, errors: (validate.errors ?? []).map((e) => toError(e, record)) });
}

function toAjvSchema(field: XdmField, closed: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of CONSTRAINTS) if (field[key] !== undefined) out[key] = field[key];
  if (field.required?.length) out.required = field.required;
  if (field.properties) {
    out.properties = Object.fromEntries(Object.entries(field.properties).map(([k, f]) => [k, toAjvSchema(f, closed)]));
  }
  if (field.items) out.items = toAjvSchema(field.items, closed);
  // A map's keys are data (identityMap namespaces): only its values are constrained. An explicit
  // `additionalProperties: true` stays open; every other object the schema defines is closed.
  const extra = field.additionalProperties;
  if (typeof extra === 'object') out.additionalProperties = toAjvSchema(extra, closed);
  else if (extra === false || (closed && extra === undefined && field.properties && field['meta:xdmType'] !== 'map')) out.additionalProperties = false;
  return out;
}

function toError(e: ErrorObject, record: unknown): RecordValidationError {
  const at = pointerToPath(e.instancePath, record);
  const child = (key: unknown) => (at ? `${at}.${String(key)}` : String(key));
  switch (e.keyword) {
    case 'required':
      return { path: child(e.params.missingProperty), rule: 'required', message: 'is required' };
    case 'additionalProperties':
      return { path: child(e.params.additionalProperty), rule: 'unknownField', message: 'is not a field of the schema' };
    case 'enum':
      return { path: at, rule: 'enum', message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    default:
      return { path: at, rule: e.keyword, message: e.message ?? 'is invalid' };
  }
}

/** `/loyalty/loyaltyID/0` → `loyalty.loyaltyID[0]`: the record tells array indices from map keys. */
function pointerToPath(pointer: string, record: unknown): string {
  if (!pointer) return '';
  let path = '';
  let cur: unknown = record;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path = Array.isArray(cur) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  }
  return path;
}

/**
 * Compiled validators by schema `$id` + `version` (and the allowUnknown option), least recently
 * used dropped first. A schema change that keeps its version needs `invalidate($id)`.
 */
export class ValidatorCache {
  private readonly entries = new Map<string, RecordValidator>();

  constructor(private readonly maxEntries = 100) {}

  get(resolved: ResolvedSchema, options: RecordValidatorOptions = {}): RecordValidator {
    return this.getFor(resolved.$id, resolved.version, resolved, options);
  }

  /** The validator of schema `schemaId` at `version`, compiled from `resolved` on the first call only. */
  getFor(schemaId: string, version: string, resolved: SchemaInput, options: RecordValidatorOptions = {}): RecordValidator {
    const key = `${schemaId}@${version}${options.allowUnknown ? '+unknown' : ''}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const created = createRecordValidator(resolved, options);
    this.entries.set(key, created);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return created;
  }

  invalidate($id: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(`${$id}@`)) this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}

const shared = new ValidatorCache();

/**
 * The process-wide validator of a schema version: compiled once per `$id` + `version` (every
 * Schema Registry change bumps the version, so a cached validator never goes stale).
 */
export function getRecordValidator(schemaId: string, version: string, resolved: SchemaInput, options: RecordValidatorOptions = {}): RecordValidator {
  return shared.getFor(schemaId, version, resolved, options);
}
