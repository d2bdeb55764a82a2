/**
 * PQL abstract syntax tree, plus the lexical rules (identifiers, reserved words, date and regex
 * literals) that the parser, the pql/json reader and the renderer must agree on.
 *
 * Every node is a plain JSON-able object with a `kind` discriminant. Binary `and`/`or` (not
 * n-ary) keep text rendering and parsing a bijection.
 *
 * Scopes. A `field` is a dotted path from the *implicit object*: the profile at the top level,
 * and the current element inside element-scoped arguments (the argument of `filter`, `map`,
 * `topN`/`bottomN`'s value, `sum`/`average`/`min`/`max`, a chain step's `WHAT` and the chain's
 * time field), so `xEvent.sum(commerce.order.priceTotal)` reads each event's field. A `var` is
 * a name bound by `exists`/`select`/`forall`/`let`/an aggregate's `over`/a chain step, plus a
 * member path (`E.commerce.order.priceTotal`). A bound name shadows a profile field of that name.
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

/** A dotted path from the implicit object (pql/json: fieldLookup chain over parameterReference 1). */
export interface FieldRef { readonly kind: 'field'; readonly path: readonly string[] }
/** A bound variable and a member path below it (path may be empty). */
export interface VarRef { readonly kind: 'var'; readonly name: string; readonly path: readonly string[] }
/** `xEvent`: the profile's ExperienceEvents. */
export interface XEventRef { readonly kind: 'xEvent' }
export type TimeName = 'now' | 'today' | 'yesterday' | 'tomorrow';
/** `now` (the pinned instant), `today`/`yesterday`/`tomorrow` (UTC calendar days). */
export interface TimeRef { readonly kind: 'time'; readonly name: TimeName }

export const TIME_UNITS = ['millisecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'year', 'decade', 'century', 'millennium'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];
export const UNIT_PLURALS: Record<TimeUnit, string> = {
  millisecond: 'milliseconds', second: 'seconds', minute: 'minutes', hour: 'hours', day: 'days', week: 'weeks',
  month: 'months', year: 'years', decade: 'decades', century: 'centuries', millennium: 'millennia',
};
/** `this week`, `last month`, `next year`: a calendar period relative to now (only as an occurs time). */
export interface Period { readonly kind: 'period'; readonly which: 'this' | 'last' | 'next'; readonly unit: TimeUnit }

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';
export const COMPARE_OPS: readonly CompareOp[] = ['=', '!=', '<', '<=', '>', '>='];
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

/**
 * Function and method calls. `target` is the receiver of a method (`a.includes(1)`), null for a
 * global function (`currentMonth()`). Argument shapes are fixed per function by CALLS.
 */
export interface ArgSpec {
  /** 'expr': any expression; 'scoped': evaluated per element (element is the implicit object); 'string'/'int': a literal. */
  readonly type: 'expr' | 'scoped' | 'string' | 'int';
  readonly optional?: boolean;
}
const E: ArgSpec = { type: 'expr' };
const SCOPED: ArgSpec = { type: 'scoped' };
export const CALLS = {
  regexGroup: { method: true, args: [{ type: 'string' }, { type: 'int' }] },
  intersects: { method: true, args: [E] },
  intersection: { method: true, args: [E] },
  subsetOf: { method: true, args: [E] },
  supersetOf: { method: true, args: [E] },
  includes: { method: true, args: [E] },
  distinct: { method: true, args: [] },
  filter: { method: true, args: [SCOPED] },
  map: { method: true, args: [SCOPED] },
  topN: { method: true, args: [SCOPED, { type: 'int' }] },
  bottomN: { method: true, args: [SCOPED, { type: 'int' }] },
  head: { method: true, args: [] },
  count: { method: true, args: [] },
  sum: { method: true, args: [{ type: 'scoped', optional: true }] },
  average: { method: true, args: [{ type: 'scoped', optional: true }] },
  min: { method: true, args: [{ type: 'scoped', optional: true }] },
  max: { method: true, args: [{ type: 'scoped', optional: true }] },
  get: { method: true, args: [E] },
  keys: { method: true, args: [] },
  values: { method: true, args: [] },
  getMonth: { method: true, args: [] },
  getYear: { method: true, args: [] },
  getDayOfMonth: { method: true, args: [] },
  currentMonth: { method: false, args: [] },
  currentYear: { method: false, args: [] },
  currentDayOfMonth: { method: false, args: [] },
} as const satisfies Record<string, { method: boolean; args: readonly ArgSpec[] }>;
export type CallFn = keyof typeof CALLS;
export const CALL_FNS = Object.keys(CALLS) as CallFn[];
export const METHOD_NAMES: readonly string[] = [...STRING_FNS, 'isNull', 'isNotNull', ...CALL_FNS.filter((f) => CALLS[f].method)];
export const GLOBAL_FNS: readonly string[] = CALL_FNS.filter((f) => !CALLS[f].method);
export interface Call { readonly kind: 'call'; readonly fn: CallFn; readonly target: Expr | null; readonly args: readonly Expr[] }

/** `NAME from SOURCE where COND` (where optional). */
export interface Binding { readonly name: string; readonly source: Expr; readonly where?: Expr }
/**
 * `exists E from xEvent where (…), I from E.productListItems where …` is true when some E
 * (and, for it, some I, …) satisfies every where; `select …` is the same search as a value:
 * the list of first-variable elements that have a full match (true as a condition when non-empty).
 */
export interface Quantifier { readonly kind: 'quantifier'; readonly q: 'exists' | 'select'; readonly bindings: readonly Binding[] }
/** `forall V from EXPR : COND`: true when every element satisfies COND (vacuously true when empty). */
export interface Forall { readonly kind: 'forall'; readonly name: string; readonly source: Expr; readonly cond: Expr }
export const AGGREGATE_FNS = ['count', 'sum', 'average', 'min', 'max'] as const;
export type AggregateFn = (typeof AGGREGATE_FNS)[number];
/** `sum X.commerce.order.priceTotal over X from xEvent where …`. */
export interface Aggregate { readonly kind: 'aggregate'; readonly fn: AggregateFn; readonly value: Expr; readonly binding: Binding }
/** `let S = (…), T = (…) in (…)`: each value may use earlier names. */
export interface Let { readonly kind: 'let'; readonly bindings: readonly { readonly name: string; readonly value: Expr }[]; readonly body: Expr }

/** The part of `occurs` after the keyword (also a chain step's WHEN). */
export type When =
  | { readonly test: 'on'; readonly time: Expr }
  | { readonly test: 'before' | 'after'; readonly time: Expr }
  | { readonly test: 'between'; readonly time: Expr; readonly until: Expr }
  | {
    readonly test: 'distance'; readonly op: CompareOp; readonly amount: number; readonly unit: TimeUnit;
    readonly direction: 'before' | 'after' | 'from'; readonly time: Expr;
  };
export interface Occurs { readonly kind: 'occurs'; readonly target: Expr; readonly when: When }
export interface ChainStep { readonly name: string; readonly what: Expr; readonly when?: When }
/** `chain(xEvent, timestamp, [A: WHAT(…) WHEN(…), B: …])`: events matching each step, in time order. */
export interface Chain { readonly kind: 'chain'; readonly source: Expr; readonly timeField: readonly string[]; readonly steps: readonly ChainStep[] }

export type Expr =
  | Literal | FieldRef | VarRef | XEventRef | TimeRef | Period | Compare | And | Or | Not | InList | StringTest | NullTest
  | InSegment | Call | Quantifier | Forall | Aggregate | Let | Occurs | Chain;

export function assertNever(x: never): never {
  throw new Error(`unhandled PQL node ${JSON.stringify(x)}`);
}

const whenTimes = (w: When): Expr[] => (w.test === 'between' ? [w.time, w.until] : [w.time]);

/** Direct sub-expressions, so generic walks need not change when node kinds are added. */
export function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'literal': return e.type === 'list' ? [...e.items] : [];
    case 'field': case 'inSegment': case 'var': case 'xEvent': case 'time': case 'period': return [];
    case 'compare': case 'and': case 'or': return [e.left, e.right];
    case 'not': return [e.operand];
    case 'in': return [e.value, e.list];
    case 'stringTest': case 'nullTest': return [e.target];
    case 'call': return e.target ? [e.target, ...e.args] : [...e.args];
    case 'quantifier': return e.bindings.flatMap((b) => (b.where ? [b.source, b.where] : [b.source]));
    case 'forall': return [e.source, e.cond];
    case 'aggregate': return [e.value, e.binding.source, ...(e.binding.where ? [e.binding.where] : [])];
    case 'let': return [...e.bindings.map((b) => b.value), e.body];
    case 'occurs': return [e.target, ...whenTimes(e.when)];
    case 'chain': return [e.source, ...e.steps.flatMap((s) => [s.what, ...(s.when ? whenTimes(s.when) : [])])];
    default: return assertNever(e);
  }
}

/**
 * Sub-expressions with whether each is evaluated against the same implicit object as its parent
 * (false for element-scoped arguments: their fields are element fields, not profile fields).
 */
export function scopedChildren(e: Expr): [Expr, boolean][] {
  if (e.kind === 'call') {
    const specs: readonly ArgSpec[] = CALLS[e.fn].args;
    return [...(e.target ? [[e.target, true] as [Expr, boolean]] : []), ...e.args.map((a, k): [Expr, boolean] => [a, specs[k]?.type !== 'scoped'])];
  }
  if (e.kind === 'chain') {
    return [[e.source, true], ...e.steps.flatMap((s): [Expr, boolean][] => [[s.what, false], ...(s.when ? whenTimes(s.when).map((t): [Expr, boolean] => [t, true]) : [])])];
  }
  return children(e).map((c) => [c, true]);
}

/** A copy of e with each direct child replaced (`same`: the child shares e's implicit object). */
export function mapChildren(e: Expr, f: (c: Expr, same: boolean) => Expr): Expr {
  const kids = scopedChildren(e);
  if (kids.length === 0) return e;
  let k = 0;
  const next = () => { const [c, same] = kids[k++]; return f(c, same); };
  const when = (w: When): When => (w.test === 'between' ? { ...w, time: next(), until: next() } : { ...w, time: next() });
  switch (e.kind) {
    case 'literal': return e;
    case 'compare': return { ...e, left: next(), right: next() };
    case 'and': case 'or': return { ...e, left: next(), right: next() };
    case 'not': return { ...e, operand: next() };
    case 'in': { const value = next(); return { ...e, value }; }
    case 'stringTest': case 'nullTest': return { ...e, target: next() };
    case 'call': { const target = e.target ? next() : null; return { ...e, target, args: e.args.map(() => next()) }; }
    case 'quantifier': return { ...e, bindings: e.bindings.map((b) => { const source = next(); return b.where ? { ...b, source, where: next() } : { ...b, source }; }) };
    case 'forall': return { ...e, source: next(), cond: next() };
    case 'aggregate': {
      const value = next();
      const source = next();
      return { ...e, value, binding: e.binding.where ? { ...e.binding, source, where: next() } : { ...e.binding, source } };
    }
    case 'let': return { ...e, bindings: e.bindings.map((b) => ({ ...b, value: next() })), body: next() };
    case 'occurs': { const target = next(); return { ...e, target, when: when(e.when) }; }
    case 'chain': {
      const source = next();
      return { ...e, source, steps: e.steps.map((s) => { const what = next(); return s.when ? { ...s, what, when: when(s.when) } : { ...s, what }; }) };
    }
    default: return e;
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

/** Nodes read at the top-level scope (fields there are profile fields). */
function collectTop<T>(e: Expr, pick: (n: Expr, top: boolean) => T | undefined, top = true, out = new Set<T>()): Set<T> {
  const v = pick(e, top);
  if (v !== undefined) out.add(v);
  for (const [c, same] of scopedChildren(e)) collectTop(c, pick, top && same, out);
  return out;
}
/** Dotted profile paths the expression reads (for schema checks and Mongo projections). */
export const pqlFieldPaths = (e: Expr): string[] => [...collectTop(e, (n, top) => (top && n.kind === 'field' ? n.path.join('.') : undefined))];
/** Segment ids referenced through inSegment (a segment-of-segments dependency). */
export const pqlSegmentIds = (e: Expr): string[] => [...collectTop(e, (n) => (n.kind === 'inSegment' ? n.segmentId : undefined))];
/** True when some node satisfies pred. */
export function someNode(e: Expr, pred: (n: Expr) => boolean): boolean {
  const stack = [e];
  while (stack.length) {
    const n = stack.pop()!;
    if (pred(n)) return true;
    stack.push(...children(n));
  }
  return false;
}

// ---- lexical rules shared by parser, pql/json reader and renderer ----

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Words with grammar meaning; none may start a field path or name a variable. */
export const RESERVED = new Set([
  'and', 'or', 'not', 'in', 'notIn', 'true', 'false', 'null', 'date', 'inSegment',
  'xEvent', 'now', 'today', 'yesterday', 'tomorrow', 'exists', 'forall', 'select', 'let', 'chain',
  'occurs', 'from', 'where', 'over', 'between', 'WHAT', 'WHEN',
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
