/**
 * Definition-time checks of a PQL AST against the profile union schema: every field must exist,
 * and comparisons must be between values that can ever be equal or ordered. Runtime semantics
 * would quietly yield false for such mistakes (see evaluate.ts); rejecting them early (422)
 * saves a segment author from an always-empty audience.
 */
import { DomainError } from '../shared/errors';
import type { XdmType } from '../xdm/types';
import { assertNever, parseIsoDate, type CompareOp, type Expr } from './ast';
import { renderPql } from './text';

type Kind = 'string' | 'number' | 'boolean' | 'date' | 'date-time' | 'null' | 'list' | 'object' | 'array' | 'map';
interface Typed { kind: Kind; desc: string; field?: string; expr: Expr }

const KIND_OF: Record<XdmType, Kind> = {
  string: 'string', number: 'number', integer: 'number', boolean: 'boolean', date: 'date',
  'date-time': 'date-time', object: 'object', array: 'array', map: 'map',
};
const UNCOMPARABLE = new Set<Kind>(['list', 'object', 'array', 'map']);
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

class Checker {
  constructor(private readonly fields: ReadonlyMap<string, XdmType>) {}

  private fieldType(path: string): XdmType {
    const t = this.fields.get(path);
    if (t) return t;
    // A prefix of a known path is an object even if the map lists only leaves.
    for (const k of this.fields.keys()) if (k.startsWith(`${path}.`)) return 'object';
    throw new DomainError('UNKNOWN_FIELD', `Unknown field "${path}" in PQL: not in the profile union schema`, path);
  }

  private typeOf(e: Expr): Typed {
    if (e.kind === 'field') {
      const path = e.path.join('.');
      const t = this.fieldType(path);
      return { kind: KIND_OF[t], desc: `field "${path}" (${t})`, field: path, expr: e };
    }
    if (e.kind === 'literal') {
      const kind: Kind = e.type === 'integer' || e.type === 'decimal' ? 'number' : e.type;
      return { kind, desc: `${e.type} literal ${renderPql(e)}`, expr: e };
    }
    this.condition(e);
    return { kind: 'boolean', desc: `condition (${renderPql(e)})`, expr: e };
  }

  condition(e: Expr): void {
    switch (e.kind) {
      case 'literal': case 'field': {
        const t = this.typeOf(e);
        if (t.kind !== 'boolean') throw typeError(`Expected a condition (boolean) but found ${t.desc}`, t);
        return;
      }
      case 'and': case 'or': this.condition(e.left); this.condition(e.right); return;
      case 'not': this.condition(e.operand); return;
      case 'compare': this.compare(e.op, this.typeOf(e.left), this.typeOf(e.right)); return;
      case 'in': {
        const v = this.typeOf(e.value);
        for (const item of e.list.items) {
          const t = this.typeOf(item);
          if (t.kind !== 'null') this.compare('=', v, t, `in ${e.op} list`);
        }
        return;
      }
      case 'stringTest': {
        const t = this.typeOf(e.target);
        if (t.kind !== 'string') throw typeError(`${e.fn}() applies to strings, but ${t.desc} is not a string`, t);
        return;
      }
      case 'nullTest': this.typeOf(e.target); return;
      case 'inSegment': return;
      default: assertNever(e);
    }
  }

  private compare(op: CompareOp, l: Typed, r: Typed, where?: string): void {
    const using = where ?? `using "${op}"`;
    // Any value, objects and arrays included, may be tested against null.
    if (l.kind === 'null' || r.kind === 'null') {
      if (ORDERING.has(op)) throw typeError(`Cannot order against null ${using}: only "= null" and "!= null" test for null`, l, r);
      return;
    }
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
 * Throws DomainError('UNKNOWN_FIELD') for a path not in `fields` (dotted path → XDM type) and
 * DomainError('PQL_TYPE') for a mismatch; returns normally when the expression is well typed.
 */
export function checkPql(ast: Expr, fields: ReadonlyMap<string, XdmType>): void {
  new Checker(fields).condition(ast);
}
