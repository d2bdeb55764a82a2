/**
 * Definition-time checks of a PQL AST against the union schemas: every field must exist, and
 * operators must get values they can work on. Runtime semantics would quietly yield false or
 * null for such mistakes (see evaluate.ts); rejecting them early (422) saves a segment author
 * from an always-empty audience.
 *
 * Profile paths are checked against `fields` (the profile union schema) and event paths
 * (fields of `xEvent` items, whether through a bound variable `E.…` or inside an element-scoped
 * argument such as `xEvent.sum(commerce.order.priceTotal)`) against `eventFields` (the
 * ExperienceEvent union schema). Both maps come from domain/xdm's fieldPaths(); with
 * `{ arrayItems: true }` they also describe array items (`productListItems[].SKU`), otherwise
 * array items are unchecked. Without `eventFields`, event paths are not checked.
 */
import { DomainError } from '../shared/errors';
import type { XdmType } from '../xdm/types';
import { CALLS, assertNever, parseIsoDate, type ArgSpec, type Call, type CompareOp, type Expr, type When } from './ast';
import { renderPql } from './text';

type Kind = 'string' | 'number' | 'boolean' | 'date' | 'date-time' | 'null' | 'list' | 'object' | 'array' | 'map' | 'any';
interface Schema { readonly fields: ReadonlyMap<string, XdmType> | null; readonly prefix: string; readonly label: string }
interface Typed { kind: Kind; desc: string; field?: string; expr: Expr; schema?: Schema; item?: Typed }

const KIND_OF: Record<XdmType, Kind> = {
  string: 'string', number: 'number', integer: 'number', boolean: 'boolean', date: 'date',
  'date-time': 'date-time', object: 'object', array: 'array', map: 'map',
};
const UNCOMPARABLE = new Set<Kind>(['list', 'object', 'array', 'map']);
const COLLECTION = new Set<Kind>(['list', 'array']);
const ORDERING = new Set<CompareOp>(['<', '<=', '>', '>=']);
const MIRROR: Record<CompareOp, CompareOp> = { '=': '=', '!=': '!=', '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
// Date-times compare as strings, so literals must be in the one canonical form profiles store
// (Date#toISOString: UTC, milliseconds); "10:00Z" would sort after "10:00:00.000Z".
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

const typeError = (message: string, t?: Typed, u?: Typed) => new DomainError('PQL_TYPE', message, t?.field ?? u?.field);

/** What a string literal means next to a date or date-time value, if it is an ISO form of one. */
function isoKind(s: string): 'date' | 'date-time' | undefined {
  if (parseIsoDate(s)) return 'date';
  const m = DATE_TIME.exec(s);
  return m && parseIsoDate(m[1]) ? 'date-time' : undefined;
}

interface Scope { implicit: Typed; vars: ReadonlyMap<string, Typed> }

const ANY = (expr: Expr, desc = 'a value'): Typed => ({ kind: 'any', desc, expr });

class Checker {
  constructor(private readonly profile: Schema, private readonly events: Schema) {}

  root(e: Expr): Scope {
    return { implicit: { kind: 'object', desc: 'the profile', expr: e, schema: this.profile }, vars: new Map() };
  }

  /** The type at `path` below a typed value (an object with a schema, a map, or anything). */
  private resolve(base: Typed, path: readonly string[], e: Expr, shown: string): Typed {
    let cur = base;
    for (let k = 0; k < path.length; k++) {
      if (cur.kind === 'any' || cur.kind === 'map') return ANY(e, `${shown} (${cur.kind === 'map' ? 'map value' : 'unchecked'})`);
      if (cur.kind !== 'object' || !cur.schema) {
        throw typeError(`Cannot read "${path[k]}" of ${cur.desc} in ${shown}: only objects have fields (use exists, select or map for arrays)`, cur);
      }
      const { fields, prefix, label } = cur.schema;
      const full = prefix ? `${prefix}.${path[k]}` : path[k];
      if (!fields) return ANY(e, `${shown} (unchecked)`);
      let t = fields.get(full);
      if (!t && [...fields.keys()].some((f) => f.startsWith(`${full}.`))) t = 'object';
      if (!t) {
        const missing = [prefix, ...path.slice(k)].filter(Boolean).join('.');
        const where = shown === missing ? '' : ` (in ${shown})`;
        throw new DomainError('UNKNOWN_FIELD', `Unknown field "${missing}"${where} in PQL: not in the ${label}`, missing);
      }
      cur = this.ofXdm(t, full, cur.schema, e, shown);
    }
    return cur;
  }

  private ofXdm(t: XdmType, full: string, schema: Schema, e: Expr, shown: string): Typed {
    const typed: Typed = { kind: KIND_OF[t], desc: `field "${shown}" (${t})`, field: full, expr: e };
    if (t === 'object') typed.schema = { ...schema, prefix: full };
    if (t === 'array' && schema.fields) {
      const itemPath = `${full}[]`;
      const it = schema.fields.get(itemPath);
      typed.item = it ? this.ofXdm(it, itemPath, schema, e, `${shown}[]`) : ANY(e, `an item of ${shown}`);
    }
    return typed;
  }

  private itemOf(t: Typed, what: string): Typed {
    if (t.kind === 'any') return ANY(t.expr, 'an item');
    if (!COLLECTION.has(t.kind)) throw typeError(`${what} applies to arrays, but ${t.desc} is not an array`, t);
    return t.item ?? ANY(t.expr, 'an item');
  }

  typeOf(e: Expr, s: Scope): Typed {
    switch (e.kind) {
      case 'field': return this.resolve(s.implicit, e.path, e, e.path.join('.'));
      case 'var': {
        const v = s.vars.get(e.name);
        if (!v) throw typeError(`Unknown variable "${e.name}" in PQL`);
        return e.path.length ? this.resolve(v, e.path, e, [e.name, ...e.path].join('.')) : { ...v, expr: e, desc: `${e.name} (${v.desc})` };
      }
      case 'literal': {
        if (e.type === 'list') return { kind: 'list', desc: `list literal ${renderPql(e)}`, expr: e, item: ANY(e) };
        const kind: Kind = e.type === 'integer' || e.type === 'decimal' ? 'number' : e.type;
        return { kind, desc: `${e.type} literal ${renderPql(e)}`, expr: e };
      }
      case 'xEvent':
        return { kind: 'array', desc: 'xEvent', expr: e, item: { kind: 'object', desc: 'an event', expr: e, schema: this.events } };
      case 'time': return { kind: e.name === 'now' ? 'date-time' : 'date', desc: e.name, expr: e };
      case 'period': throw typeError(`"${renderPql(e)}" is a time period: use it after occurs`);
      case 'call': return this.call(e, s);
      case 'quantifier': {
        let inner = s;
        let first: Typed | undefined;
        for (const b of e.bindings) {
          const item = this.itemOf(this.typeOf(b.source, inner), `${e.q} … from`);
          first ??= item;
          inner = { implicit: inner.implicit, vars: new Map([...inner.vars, [b.name, item]]) };
          if (b.where) this.condition(b.where, inner);
        }
        return e.q === 'exists' ? this.bool(e) : { kind: 'array', desc: renderPql(e), expr: e, item: first };
      }
      case 'forall': {
        const item = this.itemOf(this.typeOf(e.source, s), 'forall … from');
        this.condition(e.cond, { implicit: s.implicit, vars: new Map([...s.vars, [e.name, item]]) });
        return this.bool(e);
      }
      case 'aggregate': {
        const b = e.binding;
        const item = this.itemOf(this.typeOf(b.source, s), `${e.fn} … from`);
        const inner = { implicit: s.implicit, vars: new Map([...s.vars, [b.name, item]]) };
        if (b.where) this.condition(b.where, inner);
        const v = this.typeOf(e.value, inner);
        return this.aggregateType(e.fn, v, e);
      }
      case 'let': {
        const vars = new Map(s.vars);
        for (const b of e.bindings) vars.set(b.name, { ...this.typeOf(b.value, { implicit: s.implicit, vars }), desc: `let ${b.name}` });
        return this.typeOf(e.body, { implicit: s.implicit, vars });
      }
      case 'chain': {
        const item = this.itemOf(this.typeOf(e.source, s), 'chain');
        const itemScope: Scope = { implicit: item, vars: s.vars };
        this.timestamp(this.typeOf({ kind: 'field', path: e.timeField }, itemScope), 'chain time field');
        const vars = new Map(s.vars);
        for (const step of e.steps) {
          this.condition(step.what, { implicit: item, vars: s.vars });
          if (step.when) this.when(step.when, { implicit: s.implicit, vars });
          vars.set(step.name, { kind: 'date-time', desc: `step ${step.name}`, expr: e });
        }
        return this.bool(e);
      }
      case 'occurs':
        this.timestamp(this.typeOf(e.target, s), 'occurs');
        this.when(e.when, s);
        return this.bool(e);
      case 'compare': case 'and': case 'or': case 'not': case 'in': case 'stringTest': case 'nullTest': case 'inSegment':
        this.condition(e, s);
        return this.bool(e);
      default: return assertNever(e);
    }
  }

  private bool(e: Expr): Typed {
    return { kind: 'boolean', desc: `condition (${renderPql(e)})`, expr: e };
  }

  private timestamp(t: Typed, what: string): void {
    if (['date', 'date-time', 'any'].includes(t.kind)) return;
    if (t.kind === 'string' && t.expr.kind === 'literal' && t.expr.type === 'string' && isoKind(t.expr.value)) return;
    throw typeError(`${what} needs a date or date-time, but ${t.desc} is not one`, t);
  }

  private when(w: When, s: Scope): void {
    for (const t of w.test === 'between' ? [w.time, w.until] : [w.time]) {
      if (t.kind !== 'period') this.timestamp(this.typeOf(t, s), 'a time reference');
    }
  }

  private aggregateType(fn: string, v: Typed, e: Expr): Typed {
    if (fn === 'count') return { kind: 'number', desc: `${fn}(…)`, expr: e };
    if ((fn === 'sum' || fn === 'average') && !['number', 'any'].includes(v.kind)) {
      throw typeError(`${fn}() adds numbers, but ${v.desc} is not a number`, v);
    }
    if ((fn === 'min' || fn === 'max') && !['number', 'string', 'date', 'date-time', 'any'].includes(v.kind)) {
      throw typeError(`${fn}() needs numbers, strings or dates, but ${v.desc} is none`, v);
    }
    return { kind: fn === 'sum' || fn === 'average' ? 'number' : v.kind, desc: `${fn}(…)`, expr: e };
  }

  private call(e: Call, s: Scope): Typed {
    const target = e.target ? this.typeOf(e.target, s) : undefined;
    const specs: readonly ArgSpec[] = CALLS[e.fn].args;
    const what = `${e.fn}()`;
    const scoped = (k: number, item: Typed) => this.typeOf(e.args[k], { implicit: item, vars: s.vars });
    const out = (kind: Kind, extra: Partial<Typed> = {}): Typed => ({ kind, desc: `${renderPql(e)}`, expr: e, ...extra });
    void specs;
    switch (e.fn) {
      case 'regexGroup':
        if (!['string', 'any'].includes(target!.kind)) throw typeError(`${what} applies to strings, but ${target!.desc} is not a string`, target);
        return out('string');
      case 'intersects': case 'subsetOf': case 'supersetOf': case 'intersection': {
        const item = this.itemOf(target!, what);
        this.itemOf(this.typeOf(e.args[0], s), what);
        return e.fn === 'intersection' ? out('array', { item }) : this.bool(e);
      }
      case 'includes': this.itemOf(target!, what); this.typeOf(e.args[0], s); return this.bool(e);
      case 'distinct': return out('array', { item: this.itemOf(target!, what) });
      case 'filter': {
        const item = this.itemOf(target!, what);
        this.condition(e.args[0], { implicit: item, vars: s.vars });
        return out('array', { item });
      }
      case 'map': return out('array', { item: scoped(0, this.itemOf(target!, what)) });
      case 'topN': case 'bottomN': {
        const item = this.itemOf(target!, what);
        const key = scoped(0, item);
        if (!['number', 'string', 'date', 'date-time', 'any'].includes(key.kind)) throw typeError(`${what} orders by numbers, strings or dates, but ${key.desc} is none`, key);
        return out('array', { item });
      }
      case 'head': return { ...this.itemOf(target!, what), expr: e, desc: renderPql(e) };
      case 'count': this.itemOf(target!, what); return out('number');
      case 'sum': case 'average': case 'min': case 'max': {
        const item = this.itemOf(target!, what);
        return this.aggregateType(e.fn, e.args.length ? scoped(0, item) : item, e);
      }
      case 'get': {
        if (!['map', 'object', 'any'].includes(target!.kind)) throw typeError(`${what} applies to maps, but ${target!.desc} is not a map`, target);
        const key = this.typeOf(e.args[0], s);
        if (!['string', 'any'].includes(key.kind)) throw typeError(`${what} takes a string key, but ${key.desc} is not a string`, key);
        return out('any');
      }
      case 'keys': case 'values':
        if (!['map', 'object', 'any'].includes(target!.kind)) throw typeError(`${what} applies to maps, but ${target!.desc} is not a map`, target);
        return out('array', { item: e.fn === 'keys' ? { kind: 'string', desc: 'a key', expr: e } : ANY(e) });
      case 'getMonth': case 'getYear': case 'getDayOfMonth':
        this.timestamp(target!, what);
        return out('number');
      case 'currentMonth': case 'currentYear': case 'currentDayOfMonth': return out('number');
      default: return assertNever(e.fn);
    }
  }

  condition(e: Expr, s: Scope): void {
    switch (e.kind) {
      case 'and': case 'or': this.condition(e.left, s); this.condition(e.right, s); return;
      case 'not': this.condition(e.operand, s); return;
      case 'compare': this.compare(e.op, this.typeOf(e.left, s), this.typeOf(e.right, s)); return;
      case 'in': {
        const v = this.typeOf(e.value, s);
        for (const item of e.list.items) {
          const t = this.typeOf(item, s);
          if (t.kind !== 'null') this.compare('=', v, t, `in ${e.op} list`);
        }
        return;
      }
      case 'stringTest': {
        const t = this.typeOf(e.target, s);
        if (t.kind !== 'string' && t.kind !== 'any') throw typeError(`${e.fn}() applies to strings, but ${t.desc} is not a string`, t);
        return;
      }
      case 'nullTest': this.typeOf(e.target, s); return;
      case 'inSegment': return;
      default: {
        const t = this.typeOf(e, s);
        // select is a condition too: true when it selects something.
        if (e.kind === 'quantifier') return;
        if (t.kind !== 'boolean' && t.kind !== 'any') throw typeError(`Expected a condition (boolean) but found ${t.desc}`, t);
      }
    }
  }

  private compare(op: CompareOp, l: Typed, r: Typed, where?: string): void {
    const using = where ?? `using "${op}"`;
    // Any value, objects and arrays included, may be tested against null.
    if (l.kind === 'null' || r.kind === 'null') {
      if (ORDERING.has(op)) throw typeError(`Cannot order against null ${using}: only "= null" and "!= null" test for null`, l, r);
      return;
    }
    if (l.kind === 'any' || r.kind === 'any') return;
    if (COLLECTION.has(l.kind) && COLLECTION.has(r.kind) && !ORDERING.has(op)) return;
    for (const t of [l, r]) {
      if (UNCOMPARABLE.has(t.kind)) throw typeError(`Cannot compare ${t.desc} ${using}: ${t.kind} values are not comparable`, t);
    }
    if (isDateish(l) || isDateish(r)) return this.compareDates(op, l, r, using);
    if (l.kind !== r.kind) throw typeError(`Cannot compare ${l.desc} with ${r.desc} ${using}: types differ`, l, r);
    if (l.kind === 'boolean' && ORDERING.has(op)) {
      throw typeError(`Cannot order ${l.desc} and ${r.desc} ${using}: booleans support only = and !=`, l, r);
    }
  }

  private compareDates(op: CompareOp, l: Typed, r: Typed, using: string): void {
    const kindOf = (t: Typed) => (isDateish(t) ? t.kind : t.expr.kind === 'literal' && t.expr.type === 'string' ? isoKind(t.expr.value) : undefined);
    const lk = kindOf(l);
    const rk = kindOf(r);
    if (!lk || !rk) {
      const hint = 'use date(y, m, d), an ISO date "YYYY-MM-DD" or an ISO date-time "YYYY-MM-DDTHH:mm:ss.sssZ"';
      throw typeError(`Cannot compare ${l.desc} with ${r.desc} ${using}: ${hint}`, l, r);
    }
    if (lk === rk) return;
    // A date sorts just before 00:00 UTC of its day, so only "< day" and ">= day" are exact.
    const dateTimeFirst = lk === 'date-time' ? op : MIRROR[op];
    if (dateTimeFirst !== '<' && dateTimeFirst !== '>=') {
      throw typeError(
        `Cannot compare ${l.desc} with ${r.desc} ${using}: a date against a date-time means 00:00 UTC of that day; use < or >= (date-time on the left)`,
        l, r,
      );
    }
  }
}

const isDateish = (t: Typed) => t.kind === 'date' || t.kind === 'date-time';

/**
 * Throws DomainError('UNKNOWN_FIELD') for a path not in `fields` (dotted path → XDM type, the
 * profile union schema) or `eventFields` (the ExperienceEvent union schema), and
 * DomainError('PQL_TYPE') for a mismatch; returns normally when the expression is well typed.
 */
export function checkPql(ast: Expr, fields: ReadonlyMap<string, XdmType>, eventFields?: ReadonlyMap<string, XdmType>): void {
  const checker = new Checker(
    { fields, prefix: '', label: 'profile union schema' },
    { fields: eventFields ?? null, prefix: '', label: 'ExperienceEvent union schema' },
  );
  checker.condition(ast, checker.root(ast));
}
