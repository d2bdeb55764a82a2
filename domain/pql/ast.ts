/**
 * PQL abstract syntax tree, plus the lexical rules (identifiers, reserved words, date and regex
 * literals) that the parser, the pql/json reader and the renderer must agree on.
 *
 * Every node is a plain JSON-able object with a `kind` discriminant, so later slices (events,
 * aggregates, `occurs`, `chain`, `let`, maps) add node kinds without reshaping these ones.
 * Binary `and`/`or` (not n-ary) keep text rendering and parsing a bijection.
 */

export interface StringLiteral { readonly kind: 'literal'; readonly type: 'string'; readonly value: string }
/** A safe integer (|n| ≤ 2^53-1); larger literals are rejected rather than silently rounded. */
export interface IntegerLiteral { readonly kind: 'literal'; readonly type: 'integer'; readonly value: number }
/** A finite double, never -0 (normalised so text and json round-trip exactly). */
export interface DecimalLiteral { readonly kind: 'literal'; readonly type: 'decimal'; readonly value: number }
export interface BooleanLiteral { readonly kind: 'literal'; readonly type: 'boolean'; readonly value: boolean }
export interface NullLiteral { readonly kind: 'literal'; readonly type: 'null'; readonly value: null }
/** `date(2024, 3, 14)`; value is the ISO calendar date `2024-03-14` (profiles store dates as ISO strings). */
export interface DateLiteral { readonly kind: 'literal'; readonly type: 'date'; readonly value: string }
export type ScalarLiteral = StringLiteral | IntegerLiteral | DecimalLiteral | BooleanLiteral | NullLiteral | DateLiteral;
export interface ListLiteral { readonly kind: 'literal'; readonly type: 'list'; readonly items: readonly ScalarLiteral[] }
export type Literal = ScalarLiteral | ListLiteral;

/** A dotted path from the profile root (pql/json: fieldLookup chain over parameterReference 1). */
export interface FieldRef { readonly kind: 'field'; readonly path: readonly string[] }

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export interface Compare { readonly kind: 'compare'; readonly op: CompareOp; readonly left: Expr; readonly right: Expr }
export interface And { readonly kind: 'and'; readonly left: Expr; readonly right: Expr }
export interface Or { readonly kind: 'or'; readonly left: Expr; readonly right: Expr }
export interface Not { readonly kind: 'not'; readonly operand: Expr }
/** `x in [..]` / `x notIn [..]`; notIn is false for a null or missing x (not the negation of in). */
export interface InList { readonly kind: 'in'; readonly op: 'in' | 'notIn'; readonly value: Expr; readonly list: ListLiteral }

export const CASE_FLAG_FNS = [
  'startsWith', 'endsWith', 'contains', 'doesNotStartWith', 'doesNotEndWith', 'doesNotContain', 'equals', 'notEqualTo',
] as const;
export const STRING_FNS = [...CASE_FLAG_FNS, 'like', 'matches'] as const;
export type StringFn = (typeof STRING_FNS)[number];
/** A string method call; `caseSensitive` is always true for `like` and `matches` (which take no flag). */
export interface StringTest {
  readonly kind: 'stringTest';
  readonly fn: StringFn;
  readonly target: Expr;
  readonly pattern: string;
  readonly caseSensitive: boolean;
}
export interface NullTest { readonly kind: 'nullTest'; readonly fn: 'isNull' | 'isNotNull'; readonly target: Expr }
export interface InSegment { readonly kind: 'inSegment'; readonly segmentId: string }

export type Expr = Literal | FieldRef | Compare | And | Or | Not | InList | StringTest | NullTest | InSegment;

export function assertNever(x: never): never {
  throw new Error(`unhandled PQL node ${JSON.stringify(x)}`);
}

/** Direct sub-expressions, so generic walks need not change when node kinds are added. */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'literal': return e.type === 'list' ? [...e.items] : [];
    case 'field': case 'inSegment': return [];
    case 'compare': case 'and': case 'or': return [e.left, e.right];
    case 'not': return [e.operand];
    case 'in': return [e.value, e.list];
    case 'stringTest': case 'nullTest': return [e.target];
    default: return assertNever(e);
  }
}

/**
 * Deepest nesting accepted from pql/text or pql/json. Every consumer recurses over the tree, so
 * an unbounded depth would let one request overflow the stack (a 500, not a 400).
 */
export const MAX_DEPTH = 256;

/** Depth of the tree (a lone literal or field is 1), computed without recursion. */
export function depthOf(root: Expr): number {
  let max = 0;
  const stack: [Expr, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [e, d] = stack.pop()!;
    if (d > max) max = d;
    for (const c of children(e)) stack.push([c, d + 1]);
  }
  return max;
}

function collect<T>(e: Expr, pick: (n: Expr) => T | undefined, out = new Set<T>()): Set<T> {
  const v = pick(e);
  if (v !== undefined) out.add(v);
  for (const c of children(e)) collect(c, pick, out);
  return out;
}
/** Dotted profile paths the expression reads (for schema checks and Mongo projections). */
export const pqlFieldPaths = (e: Expr): string[] => [...collect(e, (n) => (n.kind === 'field' ? n.path.join('.') : undefined))];
/** Segment ids referenced through inSegment (a segment-of-segments dependency). */
export const pqlSegmentIds = (e: Expr): string[] => [...collect(e, (n) => (n.kind === 'inSegment' ? n.segmentId : undefined))];

// ---- lexical rules shared by parser, pql/json reader and renderer ----

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Words with grammar meaning now, plus ones later slices need; none may start a field path. */
export const RESERVED = new Set([
  'and', 'or', 'not', 'in', 'notIn', 'true', 'false', 'null', 'date', 'inSegment',
  'xEvent', 'now', 'today', 'yesterday', 'tomorrow', 'exists', 'forall', 'select', 'let', 'chain',
]);

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** `YYYY-MM-DD`, or an explanation of why (year, month, day) is not a calendar date. */
export function isoDate(year: number, month: number, day: number): { iso: string } | { error: string } {
  if (!Number.isInteger(year) || year < 1 || year > 9999) return { error: `a year between 1 and 9999 but found ${year}` };
  if (!Number.isInteger(month) || month < 1 || month > 12) return { error: `a month between 1 and 12 but found ${month}` };
  const max = daysInMonth(year, month);
  if (!Number.isInteger(day) || day < 1 || day > max) return { error: `a day between 1 and ${max} but found ${day}` };
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return { iso: `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}` };
}

/** Inverse of isoDate for the canonical form only; anything else is not a date literal. */
export function parseIsoDate(s: string): [number, number, number] | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const parts: [number, number, number] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const r = isoDate(...parts);
  return 'iso' in r && r.iso === s ? parts : undefined;
}

/**
 * `matches` takes a regex in the subset JS (`u` flag), PCRE (MongoDB) and RE2 (FerretDB) share;
 * a leading `(?i)` (Java/AEP style) becomes the `i` option because JS has no inline flags.
 */
export function matchesRegex(pattern: string): { source: string; options: '' | 'i' } | { error: string } {
  const ci = pattern.startsWith('(?i)');
  const source = ci ? pattern.slice(4) : pattern;
  try {
    new RegExp(source, 'u');
  } catch (e) {
    return { error: (e as Error).message };
  }
  return { source, options: ci ? 'i' : '' };
}
