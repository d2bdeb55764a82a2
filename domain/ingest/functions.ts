/**
 * Data Prep functions (AEP calculated fields). Functions propagate null: lower(null) is null.
 * A value a function cannot work with throws FunctionError, which fails that row, not the run.
 */
import { compileDateFormat, parseIsoDateTime } from './dates';
import { sha256Hex, uuidFrom } from './sha256';
import { isNil, isPlainObject, parseBool, parseNumber, show } from './values';

export class FunctionError extends Error {
  override name = 'FunctionError';
}

/** What a call sees of its row besides its arguments. */
export interface CallEnv {
  /** The run's start time (epoch ms): now() never reads the clock. */
  now: number;
  /** Row key + mapping index + call site: what uuid() derives from. */
  seed: string;
}

type Eager = (args: unknown[], env: CallEnv) => unknown;
type Lazy = (args: (() => unknown)[], env: CallEnv) => unknown;
export type FunctionDef = { min: number; max: number } & ({ eager: Eager } | { lazy: Lazy });

const fail = (msg: string): never => {
  throw new FunctionError(msg);
};

/** A string argument: numbers and booleans are written out, null stays null. */
function text(fn: string, v: unknown): string | null {
  if (isNil(v)) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(`${fn}: expects a string, got ${show(v)}`);
}

function integer(fn: string, v: unknown): number {
  const n = parseNumber(v);
  return n !== null && Number.isInteger(n) ? n : fail(`${fn}: expects an integer, got ${show(v)}`);
}

/** One string in, one value out; null in, null out. */
const stringFn = (name: string, f: (s: string) => unknown): FunctionDef => ({
  min: 1, max: 1, eager: ([v]) => { const s = text(name, v); return s === null ? null : f(s); },
});

/** A condition as a boolean; a value that is not one fails the row instead of guessing. */
export function truthy(v: unknown, what = 'condition'): boolean {
  if (isNil(v)) return false;
  const b = parseBool(v);
  return b ?? fail(`${what} is not a boolean: ${show(v)}`);
}

function toNumber(fn: string, v: unknown, int: boolean): number | null {
  if (isNil(v) || v === '') return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = parseNumber(v);
  if (n === null) return fail(`${fn}: ${show(v)} is not a number`);
  return int ? Math.trunc(n) : n;
}

function toDate(args: unknown[]): string | null {
  const [value, format, fallback] = args;
  if (isNil(value) || value === '') return isNil(fallback) ? null : toDate([fallback, format]);
  if (isNil(format)) return parseIsoDateTime(value) ?? fail(`date: ${show(value)} is not an ISO 8601 date`);
  const pattern = text('date', format)!;
  let parse: (s: string) => string | null;
  try {
    parse = compileDateFormat(pattern);
  } catch (e) {
    return fail(`date: ${(e as Error).message}`);
  }
  return parse(text('date', value)!) ?? fail(`date: ${show(value)} does not match the format "${pattern}"`);
}

function length(v: unknown): number | null {
  if (isNil(v)) return null;
  if (Array.isArray(v)) return v.length;
  if (isPlainObject(v)) return Object.keys(v).length;
  return [...text('len', v)!].length;
}

const isEmpty = (v: unknown) => isNil(v) || v === '' || (Array.isArray(v) && !v.length) || (isPlainObject(v) && !Object.keys(v).length);

const replace: FunctionDef = {
  min: 3, max: 3, eager: ([s, find, repl]) => {
    const str = text('replacestr', s);
    const f = text('replacestr', find);
    return str === null || !f ? str : str.split(f).join(text('replacestr', repl) ?? '');
  },
};
const toInteger: FunctionDef = { min: 1, max: 1, eager: ([v]) => toNumber('to_integer', v, true) };
const toFloat: FunctionDef = { min: 1, max: 1, eager: ([v]) => toNumber('to_float', v, false) };
const toBool: FunctionDef = {
  min: 1, max: 1, eager: ([v]) => (isNil(v) || v === '' ? null : parseBool(v) ?? fail(`to_bool: ${show(v)} is not a boolean`)),
};
const len: FunctionDef = { min: 1, max: 1, eager: ([v]) => length(v) };
const uuid: FunctionDef = { min: 0, max: 0, eager: (_, env) => uuidFrom(env.seed) };

/** Every function by its lower-case name, aliases included. */
export const FUNCTIONS: Record<string, FunctionDef> = {
  lower: stringFn('lower', (s) => s.toLowerCase()),
  upper: stringFn('upper', (s) => s.toUpperCase()),
  trim: stringFn('trim', (s) => s.trim()),
  ltrim: stringFn('ltrim', (s) => s.trimStart()),
  rtrim: stringFn('rtrim', (s) => s.trimEnd()),
  sha256: stringFn('sha256', sha256Hex),
  concat: { min: 1, max: Infinity, eager: (args) => (args.every(isNil) ? null : args.map((a) => text('concat', a) ?? '').join('')) },
  split: {
    min: 2, max: 2, eager: ([s, sep]) => {
      const str = text('split', s);
      return str === null ? null : str === '' ? [] : str.split(text('split', sep) ?? fail('split: the separator is null'));
    },
  },
  substr: {
    min: 2, max: 3, eager: ([s, start, count]) => {
      const str = text('substr', s);
      if (str === null) return null;
      const from = integer('substr', start);
      if (from < 0) fail(`substr: the start index must be 0 or more, got ${from}`);
      const n = isNil(count) ? str.length : integer('substr', count);
      return n < 0 ? fail(`substr: the length must be 0 or more, got ${n}`) : str.substring(from, from + n);
    },
  },
  replace, replacestr: replace,
  iif: { min: 3, max: 3, lazy: ([cond, a, b]) => (truthy(cond(), 'iif: the condition') ? a() : b()) },
  coalesce: {
    min: 1, max: Infinity, lazy: (args) => {
      for (const a of args) {
        const v = a();
        if (!isNil(v)) return v;
      }
      return null;
    },
  },
  to_integer: toInteger, to_bigint: toInteger,
  to_float: toFloat, to_decimal: toFloat, to_double: toFloat,
  to_bool: toBool, to_boolean: toBool,
  to_string: { min: 1, max: 1, eager: ([v]) => (isPlainObject(v) || Array.isArray(v) ? JSON.stringify(v) : text('to_string', v)) },
  date: { min: 1, max: 3, eager: toDate },
  now: { min: 0, max: 0, eager: (_, env) => new Date(env.now).toISOString() },
  uuid, guid: uuid,
  len, length: len,
  is_empty: { min: 1, max: 1, eager: ([v]) => isEmpty(v) },
  is_null: { min: 1, max: 1, eager: ([v]) => isNil(v) },
  is_not_null: { min: 1, max: 1, eager: ([v]) => !isNil(v) },
};

/** Operands of a comparison: a number against a numeric string compares as numbers. */
function comparable(a: unknown, b: unknown): [unknown, unknown] {
  if (typeof a === 'number' && typeof b === 'string') return [a, parseNumber(b) ?? b];
  if (typeof a === 'string' && typeof b === 'number') return [parseNumber(a) ?? a, b];
  if (typeof a === 'boolean' && typeof b === 'string') return [a, parseBool(b) ?? b];
  if (typeof a === 'string' && typeof b === 'boolean') return [parseBool(a) ?? a, b];
  return [a, b];
}

/** `==` and friends; null equals only null, and ordering against null is false. */
export function compare(op: string, left: unknown, right: unknown): boolean {
  const [a, b] = comparable(isNil(left) ? null : left, isNil(right) ? null : right);
  if (op === '==' || op === '!=') {
    const eq = a === b || (typeof a === 'object' && a !== null && JSON.stringify(a) === JSON.stringify(b));
    return op === '==' ? eq : !eq;
  }
  if (a === null || b === null || typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) {
    return a === null || b === null ? false : fail(`cannot compare ${show(left)} ${op} ${show(right)}`);
  }
  const x = a as number | string;
  const y = b as number | string;
  return op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
}
