/**
 * AST → MongoDB filter over materialised profiles, selecting exactly the profiles evaluatePql
 * accepts (see evaluate.ts for the semantics; a differential test on FerretDB checks it).
 *
 * Only operators FerretDB 1.24 handles correctly are emitted: $and $or $nor $eq $ne $gt $gte
 * $lt $lte $in $nin $exists $regex (+ $options "i"), $type "array" (also under $not), $size
 * with a number, and $elemMatch with only $eq or $in inside. Never $expr/$where, nor $elemMatch
 * with $exists/$type/$nin/$ne/$not or a sub-document query: FerretDB 1.24 answers those wrongly
 * (e.g. {$elemMatch: {$exists: true}} matches an empty array) or refuses them.
 *
 * Arrays. MongoDB compares a field holding an array element by element and reaches into arrays
 * of objects along a dotted path; PQL does neither (a path through an array reads as null, an
 * array value is never equal to or ordered against a scalar). So every leaf condition on a field
 * is guarded: with P the proper prefixes of its path and F the path itself,
 *   (some P is an array → the leaf's value for null) ∨ (F is an array → its value for an array)
 *   ∨ (no P nor F is an array ∧ the plain MongoDB condition).
 * The two constants are computed by running the evaluator on a one-field profile, so they follow
 * evaluate.ts by construction. Array functions (includes, intersects, supersetOf, count) use
 * $elemMatch/$size on F instead of the second disjunct.
 *
 * How the null rules map (no arrays on the path):
 * - `x = v` → {x: {$eq: v}}; `x = null` → {x: {$eq: null}} (Mongo: null or missing).
 * - `x != v` → $and of {$exists: true}, {$ne: null}, {$ne: v}: a missing x must not match.
 * - ordering → {x: {$lt: v}}; Mongo's type brackets already match only same-typed values.
 * - `not E` → {$nor: [E]}, true whenever E is false, including for missing fields.
 * - negated string tests need "x is a string": {x: {$regex: "^"}} matches strings only.
 *
 * Time. Sub-expressions without fields (`today`, `currentMonth()`, `date(…)`, `this week`, …)
 * are evaluated at compile time with `opts.now` (the job's pinned now); without it, anything
 * relative to now is not pushed down. `occurs` on a field compiles to string ranges over the two
 * timestamp forms (canonical date-time, ISO date), each recognised by the same regex the
 * evaluator uses; getMonth()/getDayOfMonth() to a regex on the month/day digits, getYear() to
 * string ranges on the year.
 *
 * Returns null when some part cannot be pushed down exactly (events, aggregates, chain, let,
 * quantifiers, a field compared to a field, subsetOf, a segment id that is not a safe key, …);
 * callers then evaluate in memory.
 */
import { mapChildren, someNode, type CompareOp, type Expr } from './ast';
import { Evaluator, stringTestRegex, type PqlProfile } from './evaluate';
import { DATE_RE_SOURCE, DATE_TIME_RE_SOURCE, isoDateOf, isoOf, whenRanges, type Interval } from './time';

export interface MongoCompileOptions {
  /** Prefix of profile attributes in the stored document, e.g. 'entity.'. */
  fieldPrefix: string;
  /** Prefix of per-segment membership, e.g. 'segmentMembership.ups.'; `<id>.status` is appended. */
  membershipPrefix: string;
  /** The evaluation's pinned now; needed to push down anything relative to now. */
  now?: Date;
}
export type MongoFilter = Record<string, unknown>;

const MATCH_ALL: MongoFilter = {};
// $nor of the match-all filter is the one operator-only way to match nothing.
const MATCH_NONE: MongoFilter = { $nor: [{}] };
const MIRROR: Record<CompareOp, CompareOp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const MONGO_OP = { '<': '$lt', '<=': '$lte', '>': '$gt', '>=': '$gte' } as const;
const DAY = 86_400_000;
/** Keys that name one path segment in MongoDB (no dot, no leading $, no NUL). */
const SAFE_KEY = /^[^.$\0][^.\0]*$/;
/** Above this many elements, count() comparisons are left to memory ($size takes one number). */
const MAX_COUNT = 64;

const present = (p: string): MongoFilter => ({ $and: [{ [p]: { $exists: true } }, { [p]: { $ne: null } }] });
const isString = (p: string): MongoFilter => ({ [p]: { $regex: '^' } });
const notArray = (p: string): MongoFilter => ({ [p]: { $not: { $type: 'array' } } });
const isArray = (p: string): MongoFilter => ({ [p]: { $type: 'array' } });
const isScalar = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** Joins filters under one $and/$or, splicing nested ones of the same operator. */
function join(op: '$and' | '$or', parts: MongoFilter[]): MongoFilter {
  if (parts.length === 0) return op === '$and' ? MATCH_ALL : MATCH_NONE;
  if (parts.length === 1) return parts[0];
  const flat = parts.flatMap((f) => {
    const keys = Object.keys(f);
    return keys.length === 1 && keys[0] === op ? (f[op] as MongoFilter[]) : [f];
  });
  return { [op]: flat };
}

const TIME_FNS = new Set(['currentMonth', 'currentYear', 'currentDayOfMonth']);
const usesTime = (e: Expr) => someNode(e, (n) => n.kind === 'time' || n.kind === 'period' || (n.kind === 'call' && TIME_FNS.has(n.fn)));
/** No profile data, variables or events: a constant for one now. */
const isConstant = (e: Expr) => !someNode(e, (n) => ['field', 'var', 'xEvent', 'inSegment', 'quantifier', 'forall', 'aggregate', 'let', 'chain'].includes(n.kind));

/** A copy of e with one node (by identity) replaced. */
function substitute(e: Expr, from: Expr, to: Expr): Expr {
  if (e === from) return to;
  return mapChildren(e, (c) => substitute(c, from, to));
}
const PROBE: Expr = { kind: 'field', path: ['v'] };

/**
 * Runs of consecutive integers in [lo, hi] accepted by a predicate that compares its argument with
 * one constant `anchor`: it can only change value next to the anchor, so it is sampled there and
 * at the ends, and taken as constant in between.
 */
function acceptedRuns(lo: number, hi: number, holds: (x: number) => boolean, anchor: number | undefined): [number, number][] {
  const points = new Set([lo, hi]);
  if (anchor !== undefined && Number.isFinite(anchor)) {
    for (const base of [Math.floor(anchor), Math.ceil(anchor)]) for (let d = -1; d <= 1; d++) if (base + d >= lo && base + d <= hi) points.add(base + d);
  }
  const sorted = [...points].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  const add = (a: number, b: number) => {
    const last = runs[runs.length - 1];
    if (last && last[1] === a - 1) last[1] = b;
    else runs.push([a, b]);
  };
  for (let k = 0; k < sorted.length; k++) {
    if (holds(sorted[k])) add(sorted[k], sorted[k]);
    const next = sorted[k + 1];
    if (next !== undefined && next > sorted[k] + 1 && holds(sorted[k] + 1)) add(sorted[k] + 1, next - 1);
  }
  return runs;
}

class Compiler {
  private anchor: number | undefined;
  private readonly constants: Evaluator;
  constructor(private readonly opts: MongoCompileOptions) {
    this.constants = new Evaluator({ entity: {} }, { now: opts.now ?? new Date(0) });
  }

  /** The value of a field-free sub-expression, or undefined when it is not one (or needs a now we lack). */
  private constant(e: Expr): { value: unknown } | undefined {
    if (!isConstant(e) || (usesTime(e) && !this.opts.now)) return undefined;
    const env = this.constants.root;
    return { value: Evaluator.isCondition(e) ? this.constants.test(e, env) : this.constants.value(e, env) };
  }

  /** The leaf's result when the probed field holds `value` (a one-field profile through the evaluator). */
  private probe(leaf: Expr, node: Expr, value: unknown): boolean {
    const profile: PqlProfile = { entity: { v: value } };
    const ev = new Evaluator(profile, { now: this.opts.now ?? new Date(0) });
    return ev.test(substitute(leaf, node, PROBE), ev.root);
  }

  /** The profile path a field-like expression reads (`a.b`, `m.get("k")`), if it is one. */
  private fieldPath(e: Expr): string[] | undefined {
    if (e.kind === 'field') return [...e.path];
    if (e.kind === 'call' && e.fn === 'get' && e.target) {
      const base = this.fieldPath(e.target);
      const k = this.constant(e.args[0]);
      if (base && k && typeof k.value === 'string' && SAFE_KEY.test(k.value)) return [...base, k.value];
    }
    return undefined;
  }

  private full(path: string[]): string {
    return this.opts.fieldPrefix + path.join('.');
  }

  /**
   * Guards a condition written for a path without arrays (see the header). `arrays: 'cond'`:
   * the condition itself handles an array (or non-array) value at the full path.
   */
  private guarded(leaf: Expr, node: Expr, path: string[], cond: MongoFilter, arrays: 'probe' | 'cond' = 'probe'): MongoFilter {
    const proper = path.slice(0, -1).map((_, k) => notArray(this.full(path.slice(0, k + 1))));
    const parts: MongoFilter[] = [];
    if (proper.length && this.probe(leaf, node, null)) parts.push({ $nor: [join('$and', proper)] });
    if (arrays === 'cond') {
      parts.push(join('$and', [...proper, cond]));
    } else {
      if (this.probe(leaf, node, [])) parts.push(join('$and', [...proper, isArray(this.full(path))]));
      parts.push(join('$and', [...proper, notArray(this.full(path)), cond]));
    }
    return join('$or', parts);
  }

  cond(e: Expr): MongoFilter | null {
    const c = this.constant(e);
    if (c) return c.value === true ? MATCH_ALL : MATCH_NONE;
    const asField = this.fieldPath(e);
    if (asField) return this.guarded(e, e, asField, { [this.full(asField)]: { $eq: true } });
    switch (e.kind) {
      case 'call': return this.arrayTest(e);
      case 'and': case 'or': {
        const l = this.cond(e.left);
        const r = this.cond(e.right);
        return l && r ? join(e.kind === 'and' ? '$and' : '$or', [l, r]) : null;
      }
      case 'not': {
        const inner = this.cond(e.operand);
        return inner && { $nor: [inner] };
      }
      case 'compare': return this.compare(e);
      case 'in': {
        const path = this.fieldPath(e.value);
        if (!path) return null;
        const p = this.full(path);
        const values = e.list.items.map((it) => it.value);
        const cond = e.op === 'in' ? { [p]: { $in: values } } : join('$and', [present(p), { [p]: { $nin: values } }]);
        return this.guarded(e, e.value, path, cond);
      }
      case 'stringTest': {
        const path = this.fieldPath(e.target);
        if (!path) return null;
        const p = this.full(path);
        let cond: MongoFilter;
        if (e.caseSensitive && e.fn === 'equals') cond = { [p]: { $eq: e.pattern } };
        else if (e.caseSensitive && e.fn === 'notEqualTo') cond = { $and: [isString(p), { [p]: { $ne: e.pattern } }] };
        else {
          const { source, options, negated } = stringTestRegex(e);
          const match = { [p]: options ? { $regex: source, $options: options } : { $regex: source } };
          cond = negated ? { $and: [isString(p), { $nor: [match] }] } : match;
        }
        return this.guarded(e, e.target, path, cond);
      }
      case 'nullTest': {
        const path = this.fieldPath(e.target);
        if (!path) return null;
        const p = this.full(path);
        return this.guarded(e, e.target, path, e.fn === 'isNull' ? { [p]: { $eq: null } } : present(p));
      }
      case 'inSegment': {
        // A dot or leading $ would change the key path's meaning; leave such ids to memory.
        if (/[.\0]|^\$/.test(e.segmentId)) return null;
        return { [`${this.opts.membershipPrefix}${e.segmentId}.status`]: { $in: ['realized', 'existing'] } };
      }
      case 'occurs': {
        const path = this.fieldPath(e.target);
        if (!path) return null;
        const times = e.when.test === 'between' ? [e.when.time, e.when.until] : [e.when.time];
        if (!times.every((t) => t.kind === 'period' ? this.opts.now : this.constant(t))) return null;
        const env = this.constants.root;
        const ref = this.constants.interval(e.when.time, env);
        const until = e.when.test === 'between' ? this.constants.interval(e.when.until, env) : undefined;
        if (!ref || until === null) return MATCH_NONE;
        const p = this.full(path);
        return this.guarded(e, e.target, path, join('$or', whenRanges(e.when, ref, until).map((r) => this.timestampIn(p, r))));
      }
      default:
        return null;
    }
  }

  /** The value at p is a PQL timestamp whose instant lies in r. */
  private timestampIn(p: string, r: Interval): MongoFilter {
    if (!(r.start < r.end)) return MATCH_NONE;
    const bound = (t: number, fmt: (t: number) => string | undefined, op: '$gte' | '$lt'): MongoFilter | 'all' | 'none' => {
      if (!Number.isFinite(t)) return (t < 0) === (op === '$gte') ? 'all' : 'none';
      const s = fmt(t);
      if (s !== undefined) return { [p]: { [op]: s } };
      // Outside years 0000–9999, which every stored timestamp is inside.
      return (t < 0) === (op === '$gte') ? 'all' : 'none';
    };
    const branch = (re: string, fmt: (t: number) => string | undefined): MongoFilter => {
      const parts = [bound(r.start, fmt, '$gte'), bound(r.end, fmt, '$lt')];
      if (parts.includes('none')) return MATCH_NONE;
      // The cheap range tests first: FerretDB stops an $and at the first failing part.
      return join('$and', [...parts.filter((x): x is MongoFilter => x !== 'all'), { [p]: { $regex: re } }]);
    };
    // A date counts as its midnight: d ≥ t ⇔ d ≥ the first midnight at or after t.
    const ceilDate = (t: number) => isoDateOf(Math.ceil(t / DAY) * DAY);
    return join('$or', [branch(DATE_TIME_RE_SOURCE, isoOf), branch(DATE_RE_SOURCE, ceilDate)]);
  }

  private compare(e: Expr & { kind: 'compare' }): MongoFilter | null {
    for (const [side, other, op] of [[e.left, e.right, e.op], [e.right, e.left, MIRROR[e.op]]] as const) {
      const c = this.constant(other);
      if (!c || !isScalar(c.value)) continue;
      const v = c.value;
      const path = this.fieldPath(side);
      if (path) return this.guarded(e, side, path, this.scalar(this.full(path), op, v));
      if (side.kind === 'call' && side.target && ['getMonth', 'getYear', 'getDayOfMonth', 'count'].includes(side.fn)) {
        const target = side.target;
        const tp = this.fieldPath(target);
        if (!tp) return null;
        const p = this.full(tp);
        // Which values of the function satisfy the comparison, straight from the evaluator.
        const holds = (x: number) => this.probe(e, side, x === -1 ? null : x);
        this.anchor = typeof v === 'number' ? v : undefined;
        if (side.fn === 'count') {
          const holdsN = (n: number) => this.probe(e, target, Array(n).fill(0));
          if (holdsN(MAX_COUNT + 1) !== holdsN(10_000)) return null;
          const tail = holdsN(MAX_COUNT + 1);
          const sizes = Array.from({ length: MAX_COUNT + 1 }, (_, n) => n).filter((n) => holdsN(n) !== tail);
          const size = sizes.map((n) => ({ [p]: { $size: n } }));
          const arrayCase = join('$and', [isArray(p), tail ? { $nor: size.length ? size : [MATCH_NONE] } : join('$or', size)]);
          const cond = holdsN(0) ? join('$or', [{ $nor: [isArray(p)] }, arrayCase]) : arrayCase;
          return this.guarded(e, target, tp, cond, 'cond');
        }
        return this.guarded(e, target, tp, this.datePart(p, side.fn as 'getMonth', holds));
      }
      return null;
    }
    return null;
  }

  private scalar(p: string, op: CompareOp, v: unknown): MongoFilter {
    if (v === null) return op === '=' ? { [p]: { $eq: null } } : op === '!=' ? present(p) : MATCH_NONE;
    if (op === '=') return { [p]: { $eq: v } };
    if (op === '!=') return join('$and', [present(p), { [p]: { $ne: v } }]);
    return { [p]: { [MONGO_OP[op]]: v } };
  }

  /** getMonth/getYear/getDayOfMonth of the timestamp at p satisfies `holds` (holds(-1): the value for a non-timestamp). */
  private datePart(p: string, fn: 'getMonth' | 'getYear' | 'getDayOfMonth', holds: (x: number) => boolean): MongoFilter {
    const timestamp = join('$or', [{ [p]: { $regex: DATE_TIME_RE_SOURCE } }, { [p]: { $regex: DATE_RE_SOURCE } }]);
    let part: MongoFilter;
    if (fn === 'getYear') {
      // Consecutive runs of accepted years become string ranges on the 4-digit prefix.
      const runs = acceptedRuns(0, 9999, holds, this.anchor);
      if (runs.length > 8) return MATCH_NONE; // unreachable for one comparison; keeps filters small
      const pad = (y: number) => String(y).padStart(4, '0');
      part = join('$or', runs.map(([a, b]) => join('$and', [
        ...(a > 0 ? [{ [p]: { $gte: pad(a) } }] : []),
        ...(b < 9999 ? [{ [p]: { $lt: pad(b + 1) } }] : []),
      ])));
    } else {
      const max = fn === 'getMonth' ? 12 : 31;
      const ok = Array.from({ length: max }, (_, k) => k + 1).filter(holds).map((n) => String(n).padStart(2, '0'));
      part = ok.length === 0 ? MATCH_NONE : { [p]: { $regex: fn === 'getMonth' ? `^\\d{4}-(?:${ok.join('|')})-` : `^\\d{4}-\\d{2}-(?:${ok.join('|')})` } };
    }
    const valid = join('$and', [part, timestamp]);
    return holds(-1) ? join('$or', [{ $nor: [timestamp] }, valid]) : valid;
  }

  /** includes / intersects / supersetOf on a profile array with constant arguments. */
  private arrayTest(e: Expr & { kind: 'call' }): MongoFilter | null {
    if (!['includes', 'intersects', 'supersetOf'].includes(e.fn) || !e.target) return null;
    const path = this.fieldPath(e.target);
    const arg = this.constant(e.args[0]);
    if (!path || !arg) return null;
    const p = this.full(path);
    let cond: MongoFilter;
    if (e.fn === 'includes') {
      if (!isScalar(arg.value)) return null;
      cond = { [p]: { $elemMatch: { $eq: arg.value } } };
    } else {
      if (!Array.isArray(arg.value) || !arg.value.every(isScalar)) return null;
      const items = arg.value;
      cond = e.fn === 'intersects'
        ? (items.length ? { [p]: { $elemMatch: { $in: items } } } : MATCH_NONE)
        : join('$and', [isArray(p), ...items.map((i) => ({ [p]: { $elemMatch: { $eq: i } } }))]);
    }
    return this.guarded(e, e.target, path, cond, 'cond');
  }
}

/** A MongoDB filter equivalent to evaluatePql(ast), or null if it cannot be pushed down exactly. */
export function compileToMongo(ast: Expr, opts: MongoCompileOptions): MongoFilter | null {
  return new Compiler(opts).cond(ast);
}
