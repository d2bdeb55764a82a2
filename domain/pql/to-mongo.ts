/**
 * AST → MongoDB filter, selecting exactly the profiles evaluatePql accepts (see evaluate.ts for
 * the semantics). Only operators FerretDB 1.24 supports are emitted: $and $or $nor $eq $ne $gt
 * $gte $lt $lte $in $nin $exists $regex (+ $options "i"); no $expr, $where, $not, $type.
 *
 * How the null rules map:
 * - `x = v` → {x: {$eq: v}}; `x = null` → {x: {$eq: null}} (Mongo: null or missing).
 * - `x != v` → $and of {$exists: true}, {$ne: null}, {$ne: v}: a missing x must not match.
 * - ordering → {x: {$lt: v}}; Mongo's type brackets already match only same-typed values.
 * - `not E` → {$nor: [E]}, true whenever E is false, including for missing fields.
 * - negated string tests need "x is a string": {x: {$regex: "^"}} matches strings only.
 * Dates are ISO strings in profiles, so date literals compile to their `YYYY-MM-DD` string and
 * compare as strings (a date-time "2024-03-14T10:00:00Z" sorts after "2024-03-14").
 *
 * Returns null when some part cannot be pushed down exactly (e.g. a field compared to a field,
 * or a segment id that is not a safe key); callers then evaluate in memory.
 */
import { pqlFieldPaths, pqlSegmentIds, type CompareOp, type Expr } from './ast';
import { evaluatePql, stringTestRegex } from './evaluate';

export interface MongoCompileOptions {
  /** Prefix of profile attributes in the stored document, e.g. 'entity.'. */
  fieldPrefix: string;
  /** Prefix of per-segment membership, e.g. 'segmentMembership.ups.'; `<id>.status` is appended. */
  membershipPrefix: string;
}
export type MongoFilter = Record<string, unknown>;

const MATCH_ALL: MongoFilter = {};
// $nor of the match-all filter is the one operator-only way to match nothing.
const MATCH_NONE: MongoFilter = { $nor: [{}] };
const MIRROR: Record<CompareOp, CompareOp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const MONGO_OP = { '<': '$lt', '<=': '$lte', '>': '$gt', '>=': '$gte' } as const;
// Constant subtrees have no field or membership to read and no time reference in this slice.
const NOBODY = { entity: {} };
const EPOCH = { now: new Date(0) };

const present = (p: string): MongoFilter => ({ $and: [{ [p]: { $exists: true } }, { [p]: { $ne: null } }] });
const isString = (p: string): MongoFilter => ({ [p]: { $regex: '^' } });

/** Joins filters under one $and/$or, splicing nested ones of the same operator. */
function join(op: '$and' | '$or', parts: MongoFilter[]): MongoFilter {
  const flat = parts.flatMap((f) => {
    const keys = Object.keys(f);
    return keys.length === 1 && keys[0] === op ? (f[op] as MongoFilter[]) : [f];
  });
  return { [op]: flat };
}

class Compiler {
  constructor(private readonly opts: MongoCompileOptions) {}

  private path(e: Expr): string | undefined {
    return e.kind === 'field' ? this.opts.fieldPrefix + e.path.join('.') : undefined;
  }

  cond(e: Expr): MongoFilter | null {
    if (pqlFieldPaths(e).length === 0 && pqlSegmentIds(e).length === 0) {
      return evaluatePql(e, NOBODY, EPOCH) ? MATCH_ALL : MATCH_NONE;
    }
    switch (e.kind) {
      case 'field': return { [this.path(e)!]: { $eq: true } };
      case 'and': case 'or': {
        const l = this.cond(e.left);
        const r = this.cond(e.right);
        return l && r ? join(e.kind === 'and' ? '$and' : '$or', [l, r]) : null;
      }
      case 'not': {
        const inner = this.cond(e.operand);
        return inner && { $nor: [inner] };
      }
      case 'compare': return this.compare(e.op, e.left, e.right);
      case 'in': {
        const p = this.path(e.value);
        if (!p) return null;
        const values = e.list.items.map((it) => it.value);
        return e.op === 'in' ? { [p]: { $in: values } } : join('$and', [present(p), { [p]: { $nin: values } }]);
      }
      case 'stringTest': {
        const p = this.path(e.target);
        if (!p) return null;
        if (e.caseSensitive && e.fn === 'equals') return { [p]: { $eq: e.pattern } };
        if (e.caseSensitive && e.fn === 'notEqualTo') return { $and: [isString(p), { [p]: { $ne: e.pattern } }] };
        const { source, options, negated } = stringTestRegex(e);
        const match = { [p]: options ? { $regex: source, $options: options } : { $regex: source } };
        return negated ? { $and: [isString(p), { $nor: [match] }] } : match;
      }
      case 'nullTest': {
        const p = this.path(e.target);
        if (!p) return null;
        return e.fn === 'isNull' ? { [p]: { $eq: null } } : present(p);
      }
      case 'inSegment': {
        // A dot or leading $ would change the key path's meaning; leave such ids to memory.
        if (/[.\0]|^\$/.test(e.segmentId)) return null;
        return { [`${this.opts.membershipPrefix}${e.segmentId}.status`]: { $in: ['realized', 'existing'] } };
      }
      default:
        return null;
    }
  }

  private compare(op: CompareOp, left: Expr, right: Expr): MongoFilter | null {
    let p = this.path(left);
    let other = right;
    if (!p) {
      p = this.path(right);
      other = left;
      op = MIRROR[op];
    }
    if (!p || other.kind !== 'literal' || other.type === 'list') return null;
    const v = other.value;
    if (v === null) return op === '=' ? { [p]: { $eq: null } } : op === '!=' ? present(p) : MATCH_NONE;
    if (op === '=') return { [p]: { $eq: v } };
    if (op === '!=') return join('$and', [present(p), { [p]: { $ne: v } }]);
    return { [p]: { [MONGO_OP[op]]: v } };
  }
}

/** A MongoDB filter equivalent to evaluatePql(ast), or null if it cannot be pushed down exactly. */
export function compileToMongo(ast: Expr, opts: MongoCompileOptions): MongoFilter | null {
  return new Compiler(opts).cond(ast);
}
