/**
 * In-memory PQL evaluation against one profile. This file is the reference semantics;
 * to-mongo.ts must produce filters that select exactly the profiles this returns true for
 * (a differential property test checks that), which is why the rules mirror MongoDB's:
 *
 * - A missing field, or a path that passes through a non-object (including an array: paths
 *   through arrays are out of scope in this slice), reads as null.
 * - Any comparison involving null is false, except `= null` (true when null or missing) and
 *   `!= null` (true when present and not null). So `x != "US"` is false when x is missing.
 * - Values of different types are never equal nor ordered (MongoDB's type brackets): numbers
 *   only against numbers, strings against strings, booleans against booleans (false < true).
 *   `!=` between two present values of different types is therefore true.
 * - Strings order by Unicode code point (MongoDB's binary UTF-8 order), not UTF-16 units.
 * - Dates are ISO-8601 strings in profiles; date literals are `YYYY-MM-DD` strings and compare
 *   as strings, so against a date-time `ts >= date(2024, 3, 14)` means "from that day on (UTC)".
 * - `x in L` is true when x equals some item (a null item matches a null or missing x);
 *   `x notIn L` is false for a null or missing x, otherwise true when no item equals x.
 * - String methods are false unless the value is a string, negated ones included.
 * - A field or literal used as a condition is true only when it is the boolean `true`.
 * - `inSegment(id)` is true when the profile's membership status for id is realized or existing.
 */
import { assertNever, matchesRegex, type Expr, type ScalarLiteral, type StringTest } from './ast';

/** An ExperienceEvent as PQL sees it (`xEvent`): its XDM fields, with `_id` and `timestamp` (ISO). */
export type PqlEvent = { _id: string; timestamp: string; eventType?: string } & Record<string, unknown>;
export interface PqlProfile {
  entity: object;
  segmentMembership?: { ups?: Record<string, { status: string }> };
  /** The profile's events (only loaded when the expression uses them). */
  events?: PqlEvent[];
}
/**
 * `now` is fixed per evaluation (a job's start time) so a re-run gives the same membership.
 * `membership(id)`, when it answers, overrides the stored membership for inSegment (a job
 * evaluating dependent segments in one pass passes this pass's results).
 */
export interface PqlContext { now: Date; membership?: (segmentId: string) => boolean | undefined }

type Bracket = 'number' | 'string' | 'boolean';
const bracket = (v: unknown): Bracket | undefined => {
  const t = typeof v;
  return t === 'number' || t === 'string' || t === 'boolean' ? t : undefined;
};

/** Code-point order, which is what MongoDB's byte-wise UTF-8 comparison amounts to. */
export function compareStrings(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Sign of a - b, or undefined when a and b are not of one comparable type. */
export function orderValues(a: unknown, b: unknown): number | undefined {
  const t = bracket(a);
  if (t === undefined || t !== bracket(b)) return undefined;
  if (t === 'string') return Math.sign(compareStrings(a as string, b as string));
  return Math.sign(Number(a) - Number(b));
}

const ACTIVE = new Set(['realized', 'existing']);

/** The regex each (non-trivial) string test runs, shared with to-mongo.ts so both fold case alike. */
export function stringTestRegex(t: StringTest): { source: string; options: '' | 'i'; negated: boolean } {
  const lit = t.pattern.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  const options = t.caseSensitive ? '' : 'i';
  switch (t.fn) {
    case 'startsWith': case 'doesNotStartWith': return { source: `^${lit}`, options, negated: t.fn !== 'startsWith' };
    case 'endsWith': case 'doesNotEndWith': return { source: `${lit}$`, options, negated: t.fn !== 'endsWith' };
    case 'contains': case 'doesNotContain': return { source: lit, options, negated: t.fn !== 'contains' };
    case 'equals': case 'notEqualTo': return { source: `^${lit}$`, options, negated: t.fn !== 'equals' };
    case 'like': {
      // [\s\S] rather than "." so % and _ also span newlines without needing the s option.
      const body = [...t.pattern].map((c) => (c === '%' ? '[\\s\\S]*' : c === '_' ? '[\\s\\S]' : c.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')));
      return { source: `^${body.join('')}$`, options: '', negated: false };
    }
    case 'matches': {
      const re = matchesRegex(t.pattern);
      if ('error' in re) throw new Error(`invalid regex in matches(): ${re.error}`);
      return { ...re, negated: false };
    }
    default: return assertNever(t.fn);
  }
}

// Segment jobs evaluate one AST over many profiles; compile each node's regex once.
const compiled = new WeakMap<StringTest, { re: RegExp; negated: boolean }>();
function regexFor(t: StringTest): { re: RegExp; negated: boolean } {
  let hit = compiled.get(t);
  if (!hit) {
    const { source, options, negated } = stringTestRegex(t);
    hit = { re: new RegExp(source, `${options}u`), negated };
    compiled.set(t, hit);
  }
  return hit;
}

const literalValue = (l: ScalarLiteral): unknown => l.value;
const sameValue = (a: unknown, b: unknown): boolean => a !== null && b !== null && orderValues(a, b) === 0;
const isNullLiteral = (e: Expr) => e.kind === 'literal' && e.type === 'null';

function lookup(root: unknown, path: readonly string[]): unknown {
  let cur = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, key)) return null;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur === undefined ? null : cur;
}

class Evaluator {
  constructor(private readonly profile: PqlProfile) {}

  value(e: Expr): unknown {
    switch (e.kind) {
      case 'literal': return e.type === 'list' ? e.items.map(literalValue) : literalValue(e);
      case 'field': return lookup(this.profile.entity, e.path);
      default: return this.test(e);
    }
  }

  test(e: Expr): boolean {
    switch (e.kind) {
      case 'literal': case 'field': return this.value(e) === true;
      case 'and': return this.test(e.left) && this.test(e.right);
      case 'or': return this.test(e.left) || this.test(e.right);
      case 'not': return !this.test(e.operand);
      case 'compare': {
        const a = this.value(e.left);
        const b = this.value(e.right);
        if (e.op === '=') return isNullLiteral(e.left) || isNullLiteral(e.right) ? a === null && b === null : sameValue(a, b);
        if (e.op === '!=') return isNullLiteral(e.left) || isNullLiteral(e.right) ? a !== null || b !== null : a !== null && b !== null && !sameValue(a, b);
        const o = orderValues(a, b);
        if (o === undefined) return false;
        return e.op === '<' ? o < 0 : e.op === '<=' ? o <= 0 : e.op === '>' ? o > 0 : o >= 0;
      }
      case 'in': {
        const v = this.value(e.value);
        const hit = e.list.items.some((it) => (it.type === 'null' ? v === null : sameValue(v, it.value)));
        return e.op === 'in' ? hit : v !== null && !hit;
      }
      case 'stringTest': {
        const v = this.value(e.target);
        if (typeof v !== 'string') return false;
        // Exact case-sensitive equality skips regex: `$` would also accept a trailing newline in PCRE.
        if (e.caseSensitive && e.fn === 'equals') return v === e.pattern;
        if (e.caseSensitive && e.fn === 'notEqualTo') return v !== e.pattern;
        const { re, negated } = regexFor(e);
        return re.test(v) !== negated;
      }
      case 'nullTest': {
        const isNull = this.value(e.target) === null;
        return e.fn === 'isNull' ? isNull : !isNull;
      }
      case 'inSegment': {
        const ups = this.profile.segmentMembership?.ups;
        return !!ups && Object.hasOwn(ups, e.segmentId) && ACTIVE.has(ups[e.segmentId]?.status);
      }
      default: return assertNever(e);
    }
  }
}

/** True when the profile qualifies for the expression; pure, and deterministic for one ctx.now. */
export function evaluatePql(ast: Expr, profile: PqlProfile, _ctx: PqlContext): boolean {
  return new Evaluator(profile).test(ast);
}
