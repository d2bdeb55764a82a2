/**
 * In-memory PQL evaluation against one profile. This file is the reference semantics;
 * to-mongo.ts must produce filters that select exactly the profiles this returns true for
 * (differential tests check that, in a model and on the real database), which is why the
 * scalar rules mirror MongoDB's:
 *
 * Values and paths
 * - A missing field, or a path that passes through a non-object (a string, a number, or an
 *   array: paths do not reach into arrays; use exists/select/map/filter for that), reads as null.
 * - Only own properties are fields (`toString` is not a field of every object).
 *
 * Comparisons
 * - Any comparison involving null is false, except `= null` (true when null or missing) and
 *   `!= null` (true when present and not null). So `x != "US"` is false when x is missing.
 * - Values of different types are never equal nor ordered (MongoDB's type brackets): numbers
 *   only against numbers, strings against strings, booleans against booleans (false < true).
 *   `!=` between two present values of different types is therefore true. Two arrays are equal
 *   when they have the same length and pairwise equal items (order matters); arrays and objects
 *   are never ordered.
 * - Strings order by Unicode code point (MongoDB's binary UTF-8 order), not UTF-16 units.
 * - Dates are ISO-8601 strings in profiles; date literals are `YYYY-MM-DD` strings and compare
 *   as strings, so against a date-time `ts >= date(2024, 3, 14)` means "from that day on (UTC)".
 *   `now` is the canonical ISO date-time of the pinned now, `today`/`yesterday`/`tomorrow` the
 *   `YYYY-MM-DD` of those UTC days, so `ts >= today` and `ts < now` compare the same way.
 * - `x in L` is true when x equals some item (a null item matches a null or missing x);
 *   `x notIn L` is false for a null or missing x, otherwise true when no item equals x.
 * - String methods are false unless the value is a string, negated ones included.
 * - A value used as a condition is true only when it is the boolean `true`; the one exception is
 *   `select …`, which is true when it selects something.
 * - `inSegment(id)` is ctx.membership(id) when that answers, otherwise true when the profile's
 *   stored membership status for id is realized or existing.
 *
 * Time (see time.ts): one pinned `ctx.now` per evaluation; all calendar arithmetic in UTC;
 * weeks start on Monday; month arithmetic clamps the day of month. `occurs`, getMonth(),
 * getYear() and getDayOfMonth() read timestamps: canonical ISO date-times or ISO dates; any
 * other value makes them false / null.
 *
 * Collections
 * - Sources of exists/select/forall/aggregates/chain, and receivers of array functions, must be
 *   arrays; anything else counts as an empty collection for exists/forall/select/aggregates,
 *   makes array functions that return a list or item return null, and boolean ones false.
 *   `count()` is the length of an array and 0 for anything else.
 * - Set functions (intersects, intersection, subsetOf, supersetOf, includes, distinct) compare
 *   items by value: scalars as `=` does, null equals null, arrays and objects structurally.
 * - sum/average/min/max read numbers (other values are skipped); sum of nothing is 0,
 *   average/min/max of nothing is null; min/max fall back to strings when there is no number.
 *   The aggregate form's `count` counts the non-null values.
 * - topN(v, n)/bottomN(v, n): items ordered by v descending/ascending (items whose v is a number,
 *   or when no v is a number, a string; others are dropped; ties keep their order), first n.
 * - head() is the first item (null for an empty array).
 * - chain: the source's items with a timestamp in the time field, ordered by it (stable); the
 *   steps must match strictly successive items in that order, each satisfying WHAT and WHEN
 *   (a step name in a WHEN stands for the timestamp of the item that step matched).
 * - Maps: m.get(k) is m's own property k (null when absent or m is not an object); keys() and
 *   values() list an object's own properties (null for a non-object).
 */
import {
  assertNever, matchesRegex,
  type Call, type Chain, type Expr, type ScalarLiteral, type StringTest, type When,
} from './ast';
import { civil, dayInterval, instant, isDateOnly, isoDateOf, isoOf, parseTimestamp, periodInterval, whenRanges, type Interval } from './time';

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

/** Structural equality used by `=` on arrays and by the set functions (null equals null). */
export function sameItem(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, k) => sameItem(x, b[k]));
  }
  if (typeof a === 'object' || typeof b === 'object') {
    if (typeof a !== 'object' || typeof b !== 'object') return false;
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && sameItem((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return orderValues(a, b) === 0;
}

const ACTIVE = new Set(['realized', 'existing']);
const escapeRegex = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');

/** The regex each (non-trivial) string test runs, shared with to-mongo.ts so both fold case alike. */
export function stringTestRegex(t: StringTest): { source: string; options: '' | 'i'; negated: boolean } {
  const lit = escapeRegex(t.pattern);
  const options = t.caseSensitive ? '' : 'i';
  switch (t.fn) {
    case 'startsWith': case 'doesNotStartWith': return { source: `^${lit}`, options, negated: t.fn !== 'startsWith' };
    case 'endsWith': case 'doesNotEndWith': return { source: `${lit}$`, options, negated: t.fn !== 'endsWith' };
    case 'contains': case 'doesNotContain': return { source: lit, options, negated: t.fn !== 'contains' };
    case 'equals': case 'notEqualTo': return { source: `^${lit}$`, options, negated: t.fn !== 'equals' };
    case 'like': {
      // [\s\S] rather than "." so % and _ also span newlines without needing the s option.
      const body = [...t.pattern].map((c) => (c === '%' ? '[\\s\\S]*' : c === '_' ? '[\\s\\S]' : escapeRegex(c)));
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
const compiled = new WeakMap<object, { re: RegExp; negated: boolean }>();
function regexFor(t: StringTest): { re: RegExp; negated: boolean } {
  let hit = compiled.get(t);
  if (!hit) {
    const { source, options, negated } = stringTestRegex(t);
    hit = { re: new RegExp(source, `${options}u`), negated };
    compiled.set(t, hit);
  }
  return hit;
}
function groupRegexFor(c: Call): RegExp {
  let hit = compiled.get(c);
  if (!hit) {
    const re = matchesRegex((c.args[0] as ScalarLiteral).value as string);
    if ('error' in re) throw new Error(`invalid regex in regexGroup(): ${re.error}`);
    hit = { re: new RegExp(re.source, `${re.options}u`), negated: false };
    compiled.set(c, hit);
  }
  return hit.re;
}

const sameValue = (a: unknown, b: unknown): boolean => a !== null && b !== null && orderValues(a, b) === 0;
const isNullLiteral = (e: Expr) => e.kind === 'literal' && e.type === 'null';
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function lookup(root: unknown, path: readonly string[]): unknown {
  let cur = root;
  for (const key of path) {
    if (!isObject(cur) || !Object.hasOwn(cur, key)) return null;
    cur = cur[key];
  }
  return cur === undefined ? null : cur;
}

const DAY = 86_400_000;
const numbers = (vs: unknown[]) => vs.filter((v): v is number => typeof v === 'number');
const strings = (vs: unknown[]) => vs.filter((v): v is string => typeof v === 'string');
function extreme(vs: unknown[], sign: 1 | -1): unknown {
  const ns = numbers(vs);
  if (ns.length) return ns.reduce((a, b) => (Math.sign(b - a) === sign ? b : a));
  const ss = strings(vs);
  if (ss.length) return ss.reduce((a, b) => (Math.sign(compareStrings(b, a)) === sign ? b : a));
  return null;
}
function aggregate(fn: 'count' | 'sum' | 'average' | 'min' | 'max', vs: unknown[]): unknown {
  switch (fn) {
    case 'count': return vs.filter((v) => v !== null).length;
    case 'sum': return numbers(vs).reduce((a, b) => a + b, 0);
    case 'average': { const ns = numbers(vs); return ns.length ? ns.reduce((a, b) => a + b, 0) / ns.length : null; }
    case 'min': return extreme(vs, -1);
    case 'max': return extreme(vs, 1);
    default: return assertNever(fn);
  }
}
const distinct = (xs: unknown[]) => xs.filter((x, k) => xs.findIndex((y) => sameItem(x, y)) === k);

/** Variables in scope and the implicit object (profile entity, or the current element). */
export interface Env { readonly implicit: unknown; readonly vars: Readonly<Record<string, unknown>> }

/** Names of chain steps a WHEN refers to. */
function whenRefs(w: When | undefined, names: readonly string[]): string[] {
  if (!w) return [];
  const times = w.test === 'between' ? [w.time, w.until] : [w.time];
  return times.flatMap((t) => (t.kind === 'var' && names.includes(t.name) ? [t.name] : []));
}

export class Evaluator {
  readonly now: number;
  constructor(private readonly profile: PqlProfile, private readonly ctx: PqlContext) {
    this.now = ctx.now.getTime();
  }

  get root(): Env {
    return { implicit: this.profile.entity, vars: {} };
  }

  private bind(env: Env, name: string, v: unknown): Env {
    return { implicit: env.implicit, vars: { ...env.vars, [name]: v } };
  }
  private element(env: Env, x: unknown): Env {
    return { implicit: x, vars: env.vars };
  }

  /** True when the node denotes a condition (its value is its test). */
  static isCondition(e: Expr): boolean {
    switch (e.kind) {
      case 'compare': case 'and': case 'or': case 'not': case 'in': case 'stringTest': case 'nullTest': case 'inSegment':
      case 'occurs': case 'forall': case 'chain': return true;
      case 'quantifier': return e.q === 'exists';
      case 'call': return ['intersects', 'subsetOf', 'supersetOf', 'includes'].includes(e.fn);
      default: return false;
    }
  }

  value(e: Expr, env: Env): unknown {
    switch (e.kind) {
      case 'literal': return e.type === 'list' ? e.items.map((i) => i.value) : e.value;
      case 'field': return lookup(env.implicit, e.path);
      case 'var': return e.path.length ? lookup(env.vars[e.name] ?? null, e.path) : env.vars[e.name] ?? null;
      case 'xEvent': return this.profile.events ?? [];
      case 'time': {
        if (e.name === 'now') return isoOf(this.now) ?? null;
        const offset = e.name === 'today' ? 0 : e.name === 'yesterday' ? -DAY : DAY;
        return isoDateOf(this.now + offset) ?? null;
      }
      case 'period': return null;
      case 'call': return this.call(e, env);
      case 'quantifier': return e.q === 'select' ? this.select(e.bindings, env) : this.test(e, env);
      case 'aggregate': {
        const b = e.binding;
        const vs = this.items(b.source, env).flatMap((x) => {
          const inner = this.bind(env, b.name, x);
          return !b.where || this.test(b.where, inner) ? [this.value(e.value, inner)] : [];
        });
        return aggregate(e.fn, vs);
      }
      case 'let': {
        let inner = env;
        for (const b of e.bindings) inner = this.bind(inner, b.name, this.value(b.value, inner));
        return Evaluator.isCondition(e.body) ? this.test(e.body, inner) : this.value(e.body, inner);
      }
      default: return this.test(e, env);
    }
  }

  /** Items of a collection-valued expression ([] when it is not an array). */
  items(e: Expr, env: Env): unknown[] {
    const v = this.value(e, env);
    return Array.isArray(v) ? v : [];
  }

  test(e: Expr, env: Env): boolean {
    switch (e.kind) {
      case 'literal': case 'field': case 'var': case 'xEvent': case 'time': case 'period': case 'aggregate':
        return this.value(e, env) === true;
      case 'call': return this.call(e, env) === true;
      case 'let': {
        let inner = env;
        for (const b of e.bindings) inner = this.bind(inner, b.name, this.value(b.value, inner));
        return this.test(e.body, inner);
      }
      case 'and': return this.test(e.left, env) && this.test(e.right, env);
      case 'or': return this.test(e.left, env) || this.test(e.right, env);
      case 'not': return !this.test(e.operand, env);
      case 'compare': {
        const a = this.value(e.left, env);
        const b = this.value(e.right, env);
        const arrays = Array.isArray(a) && Array.isArray(b);
        if (e.op === '=') return isNullLiteral(e.left) || isNullLiteral(e.right) ? a === null && b === null : arrays ? sameItem(a, b) : sameValue(a, b);
        if (e.op === '!=') {
          if (isNullLiteral(e.left) || isNullLiteral(e.right)) return a !== null || b !== null;
          return a !== null && b !== null && !(arrays ? sameItem(a, b) : sameValue(a, b));
        }
        const o = orderValues(a, b);
        if (o === undefined) return false;
        return e.op === '<' ? o < 0 : e.op === '<=' ? o <= 0 : e.op === '>' ? o > 0 : o >= 0;
      }
      case 'in': {
        const v = this.value(e.value, env);
        const hit = e.list.items.some((it) => (it.type === 'null' ? v === null : sameValue(v, it.value)));
        return e.op === 'in' ? hit : v !== null && !hit;
      }
      case 'stringTest': {
        const v = this.value(e.target, env);
        if (typeof v !== 'string') return false;
        // Exact case-sensitive equality skips regex: `$` would also accept a trailing newline in PCRE.
        if (e.caseSensitive && e.fn === 'equals') return v === e.pattern;
        if (e.caseSensitive && e.fn === 'notEqualTo') return v !== e.pattern;
        const { re, negated } = regexFor(e);
        return re.test(v) !== negated;
      }
      case 'nullTest': {
        const isNull = this.value(e.target, env) === null;
        return e.fn === 'isNull' ? isNull : !isNull;
      }
      case 'inSegment': {
        const answer = this.ctx.membership?.(e.segmentId);
        if (answer !== undefined) return answer;
        const ups = this.profile.segmentMembership?.ups;
        return !!ups && Object.hasOwn(ups, e.segmentId) && ACTIVE.has(ups[e.segmentId]?.status);
      }
      case 'occurs': {
        const t = parseTimestamp(this.value(e.target, env));
        return t !== null && this.occurs(t, e.when, env);
      }
      case 'quantifier': return e.q === 'exists' ? this.firstMatches(e.bindings, env, true).length > 0 : this.select(e.bindings, env).length > 0;
      case 'forall': return this.items(e.source, env).every((x) => this.test(e.cond, this.bind(env, e.name, x)));
      case 'chain': return this.chain(e, env) !== null;
      default: return assertNever(e);
    }
  }

  /** The interval a time reference denotes, or null when it is not a time. */
  interval(t: Expr, env: Env): Interval | null {
    if (t.kind === 'period') return periodInterval(this.now, t.which, t.unit);
    if (t.kind === 'time') {
      if (t.name === 'now') return instant(this.now);
      return dayInterval(this.now + (t.name === 'today' ? 0 : t.name === 'yesterday' ? -DAY : DAY));
    }
    const v = this.value(t, env);
    const ms = parseTimestamp(v);
    if (ms === null) return null;
    return isDateOnly(v) ? dayInterval(ms) : instant(ms);
  }

  occurs(t: number, w: When, env: Env): boolean {
    const ref = this.interval(w.time, env);
    const until = w.test === 'between' ? this.interval(w.until, env) : undefined;
    if (!ref || until === null) return false;
    return whenRanges(w, ref, until).some((r) => t >= r.start && t < r.end);
  }

  /** First-binding items that have a full match (all of them, or only the first when `one`). */
  firstMatches(bindings: readonly { name: string; source: Expr; where?: Expr }[], env: Env, one = false): unknown[] {
    const out: unknown[] = [];
    const search = (k: number, inner: Env): boolean => {
      if (k === bindings.length) return true;
      const b = bindings[k];
      for (const x of this.items(b.source, inner)) {
        const next = this.bind(inner, b.name, x);
        if ((!b.where || this.test(b.where, next)) && search(k + 1, next)) {
          if (k > 0) return true;
          out.push(x);
          if (one) return true;
        }
      }
      return false;
    };
    search(0, env);
    return out;
  }

  private select(bindings: readonly { name: string; source: Expr; where?: Expr }[], env: Env): unknown[] {
    return this.firstMatches(bindings, env);
  }

  /** The items matched by each step of a chain, or null when the chain does not occur. */
  chain(e: Chain, env: Env): unknown[] | null {
    const timed = this.items(e.source, env)
      .map((x, k) => ({ x, k, t: parseTimestamp(lookup(x, e.timeField)) }))
      .filter((i): i is { x: unknown; k: number; t: number } => i.t !== null)
      .sort((a, b) => a.t - b.t || a.k - b.k);
    const names = e.steps.map((s) => s.name);
    // What a search from step k can depend on: the position and the times of earlier steps that
    // steps k… refer to. A failure is final for that state, which keeps the search polynomial.
    const needs = e.steps.map((_, k) => [...new Set(e.steps.slice(k).flatMap((s) => whenRefs(s.when, names)))].filter((n) => names.indexOf(n) < k));
    const failed = new Set<string>();
    const picked: number[] = [];
    const search = (k: number, from: number, inner: Env): boolean => {
      if (k === e.steps.length) return true;
      const key = `${k}|${from}|${needs[k].map((n) => String(inner.vars[n])).join('|')}`;
      if (failed.has(key)) return false;
      const step = e.steps[k];
      for (let j = from; j < timed.length; j++) {
        const item = timed[j];
        if (!this.test(step.what, this.element(inner, item.x))) continue;
        if (step.when && !this.occurs(item.t, step.when, inner)) continue;
        picked.push(j);
        if (search(k + 1, j + 1, this.bind(inner, step.name, isoOf(item.t) ?? null))) return true;
        picked.pop();
      }
      failed.add(key);
      return false;
    };
    return search(0, 0, env) ? picked.map((j) => timed[j].x) : null;
  }

  private call(e: Call, env: Env): unknown {
    const target = e.target ? this.value(e.target, env) : null;
    const arr = Array.isArray(target) ? target : null;
    const arg = (k: number) => this.value(e.args[k], env);
    const perItem = (k: number, x: unknown) => this.value(e.args[k], this.element(env, x));
    switch (e.fn) {
      case 'regexGroup': {
        if (typeof target !== 'string') return null;
        const m = groupRegexFor(e).exec(target);
        const g = m?.[(e.args[1] as ScalarLiteral).value as number];
        return g ?? null;
      }
      case 'intersects': { const o = arg(0); return !!arr && Array.isArray(o) && arr.some((x) => o.some((y) => sameItem(x, y))); }
      case 'intersection': { const o = arg(0); return arr && Array.isArray(o) ? distinct(arr.filter((x) => o.some((y) => sameItem(x, y)))) : null; }
      case 'subsetOf': { const o = arg(0); return !!arr && Array.isArray(o) && arr.every((x) => o.some((y) => sameItem(x, y))); }
      case 'supersetOf': { const o = arg(0); return !!arr && Array.isArray(o) && o.every((y) => arr.some((x) => sameItem(x, y))); }
      case 'includes': { const v = arg(0); return !!arr && arr.some((x) => sameItem(x, v)); }
      case 'distinct': return arr && distinct(arr);
      case 'filter': return arr && arr.filter((x) => this.test(e.args[0], this.element(env, x)));
      case 'map': return arr && arr.map((x) => perItem(0, x));
      case 'topN': case 'bottomN': {
        if (!arr) return null;
        const keyed = arr.map((x) => ({ x, v: perItem(0, x) }));
        const kind = keyed.some((k) => typeof k.v === 'number') ? 'number' : 'string';
        const sign = e.fn === 'topN' ? -1 : 1;
        const n = (e.args[1] as ScalarLiteral).value as number;
        return keyed.filter((k) => typeof k.v === kind).sort((a, b) => sign * orderValues(a.v, b.v)!).slice(0, n).map((k) => k.x);
      }
      case 'head': return arr && arr.length ? arr[0] : null;
      case 'count': return arr ? arr.length : 0;
      case 'sum': case 'average': case 'min': case 'max': {
        if (!arr) return e.fn === 'sum' ? 0 : null;
        return aggregate(e.fn, e.args.length ? arr.map((x) => perItem(0, x)) : arr);
      }
      case 'get': { const k = arg(0); return isObject(target) && typeof k === 'string' ? lookup(target, [k]) : null; }
      case 'keys': return isObject(target) ? Object.keys(target) : null;
      case 'values': return isObject(target) ? Object.values(target).map((v) => (v === undefined ? null : v)) : null;
      case 'getMonth': case 'getYear': case 'getDayOfMonth': {
        const t = parseTimestamp(target);
        if (t === null) return null;
        const [y, m, d] = civil(t);
        return e.fn === 'getMonth' ? m : e.fn === 'getYear' ? y : d;
      }
      case 'currentMonth': return civil(this.now)[1];
      case 'currentYear': return civil(this.now)[0];
      case 'currentDayOfMonth': return civil(this.now)[2];
      default: return assertNever(e.fn);
    }
  }
}

/** True when the profile qualifies for the expression; pure, and deterministic for one ctx.now. */
export function evaluatePql(ast: Expr, profile: PqlProfile, ctx: PqlContext): boolean {
  const ev = new Evaluator(profile, ctx);
  return ev.test(ast, ev.root);
}

/** The value of an expression for one profile (a condition's value is its truth). */
export function evaluatePqlValue(ast: Expr, profile: PqlProfile, ctx: PqlContext): unknown {
  const ev = new Evaluator(profile, ctx);
  return Evaluator.isCondition(ast) ? ev.test(ast, ev.root) : ev.value(ast, ev.root);
}
