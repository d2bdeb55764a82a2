import type { ZodType } from 'zod';
import { DomainError } from '../shared/errors';

/** Small helpers shared by the Schema Registry's domain functions: parse input, name the field. */

/** A zod issue path as a dotted field path: `allOf[0].$ref`. */
export const issuePath = (path: readonly PropertyKey[]): string =>
  path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');

/** Parses input or throws VALIDATION (400) naming the field and the rule. */
export function parseInput<T>(schema: ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issuePath(issue.path);
  throw new DomainError('VALIDATION', `${field || what}: ${issue.message}`, field || undefined);
}

export const unprocessable = (message: string, field?: string) => new DomainError('UNPROCESSABLE', message, field);

/** Refuses a replacement that changes identity keys (`$id`, `meta:altId`, …); absent keys keep their value. */
export function assertUnchanged<T extends object>(current: T, candidate: unknown, keys: readonly (keyof T & string)[]): void {
  const next = (candidate && typeof candidate === 'object' ? candidate : {}) as Record<string, unknown>;
  for (const key of keys) {
    if (next[key] !== undefined && next[key] !== current[key]) throw unprocessable(`${key}: cannot be changed (is '${String(current[key])}')`, key);
  }
}
