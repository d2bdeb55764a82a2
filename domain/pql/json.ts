/**
 * AST ⇄ pql/json, AEP's tree form: fnApply / fieldLookup / parameterReference / literal, plus
 * OpenXP's own node types where AEP's are not published (documented here, stable):
 *
 * - `{"nodeType":"parameterReference","position":1}`: the implicit object (the profile, or the
 *   current element inside element-scoped arguments: filter, map, topN, bottomN, sum, average,
 *   min, max, a chain step's WHAT).
 * - `{"nodeType":"variableReference","name":"E"}`: a bound variable; `xEvent` is the reserved
 *   variable holding the profile's ExperienceEvents. `fieldLookup` chains sit over either.
 * - fnApply with fnName = the operator or method as written in pql/text (`=`, `and`, `not`, `in`,
 *   `startsWith`, `isNull`, `inSegment`, `includes`, `topN`, `getMonth`, `currentMonth`, …); a
 *   method's receiver is params[0]. Case flags are always written as a trailing Boolean literal;
 *   on input the flag is optional (default true) and `and`/`or` may be n-ary (folded left).
 * - `now`, `today`, `yesterday`, `tomorrow`: fnApply with no params.
 *   `this|last|next UNIT`: fnApply "period" with params [String which, String unit].
 * - `exists` / `select`: fnApply whose params are variableDeclaration nodes
 *   `{"nodeType":"variableDeclaration","name":"E","source":…,"where":…}` (where optional).
 *   `forall`: params [variableDeclaration (no where), condition].
 *   `let`: params [variableDeclaration with "value" instead of "source", …, body].
 *   `sum X.f over X from S where C`: fnApply "sumOver" (countOver, averageOver, minOver,
 *   maxOver) with params [value, variableDeclaration].
 * - `occurs`: fnApply "occurs" with params [timestamp, timeTest], timeTest =
 *   `{"nodeType":"timeTest","test":"on"|"before"|"after"|"between"|"distance","time":…,
 *   "until":… (between), "op","amount","unit","direction" (distance)}`.
 * - `chain`: fnApply "chain" with params [source, String time field path, chainStep…], chainStep =
 *   `{"nodeType":"chainStep","name":"A","what":…,"when":timeTest (optional)}`.
 */
import { DomainError } from '../shared/errors';
import {
  AGGREGATE_FNS, CALLS, CALL_FNS, CASE_FLAG_FNS, COMPARE_OPS, IDENTIFIER, MAX_DEPTH, RESERVED, STRING_FNS, TIME_UNITS,
  assertNever, depthOf, matchesRegex, parseIsoDate,
  type AggregateFn, type ArgSpec, type Binding, type CallFn, type ChainStep, type CompareOp, type Expr, type ListLiteral,
  type ScalarLiteral, type StringFn, type TimeUnit, type When,
} from './ast';

export type PqlLiteralType = 'String' | 'Integer' | 'Decimal' | 'Boolean' | 'Null' | 'Date' | 'List';
export type PqlJson =
  | { nodeType: 'literal'; literalType: PqlLiteralType; value: unknown }
  | { nodeType: 'fieldLookup'; fieldName: string; object: PqlJson }
  | { nodeType: 'parameterReference'; position: number }
  | { nodeType: 'variableReference'; name: string }
  | { nodeType: 'fnApply'; fnName: string; params: PqlJson[] }
  | { nodeType: 'variableDeclaration'; name: string; source?: PqlJson; value?: PqlJson; where?: PqlJson }
  | { nodeType: 'timeTest'; test: When['test']; time: PqlJson; until?: PqlJson; op?: CompareOp; amount?: number; unit?: TimeUnit; direction?: string }
  | { nodeType: 'chainStep'; name: string; what: PqlJson; when?: PqlJson };

const LITERAL_TYPES: Record<ScalarLiteral['type'], PqlLiteralType> = {
  string: 'String', integer: 'Integer', decimal: 'Decimal', boolean: 'Boolean', null: 'Null', date: 'Date',
};
const IMPLICIT: PqlJson = { nodeType: 'parameterReference', position: 1 };
const fn = (fnName: string, ...params: PqlJson[]): PqlJson => ({ nodeType: 'fnApply', fnName, params });
const lit = (literalType: PqlLiteralType, value: unknown): PqlJson => ({ nodeType: 'literal', literalType, value });
const lookup = (root: PqlJson, path: readonly string[]) =>
  path.reduce<PqlJson>((object, fieldName) => ({ nodeType: 'fieldLookup', fieldName, object }), root);

function binding(b: Binding): PqlJson {
  return { nodeType: 'variableDeclaration', name: b.name, source: toPqlJson(b.source), ...(b.where ? { where: toPqlJson(b.where) } : {}) };
}
function when(w: When): PqlJson {
  switch (w.test) {
    case 'on': case 'before': case 'after': return { nodeType: 'timeTest', test: w.test, time: toPqlJson(w.time) };
    case 'between': return { nodeType: 'timeTest', test: w.test, time: toPqlJson(w.time), until: toPqlJson(w.until) };
    case 'distance': return { nodeType: 'timeTest', test: w.test, op: w.op, amount: w.amount, unit: w.unit, direction: w.direction, time: toPqlJson(w.time) };
    default: return assertNever(w);
  }
}

/** AST → pql/json. */
export function toPqlJson(e: Expr): PqlJson {
  switch (e.kind) {
    case 'literal':
      return e.type === 'list' ? lit('List', e.items.map(toPqlJson)) : lit(LITERAL_TYPES[e.type], e.value);
    case 'field': return lookup(IMPLICIT, e.path);
    case 'var': return lookup({ nodeType: 'variableReference', name: e.name }, e.path);
    case 'xEvent': return { nodeType: 'variableReference', name: 'xEvent' };
    case 'time': return fn(e.name);
    case 'period': return fn('period', lit('String', e.which), lit('String', e.unit));
    case 'compare': case 'and': case 'or':
      return fn(e.kind === 'compare' ? e.op : e.kind, toPqlJson(e.left), toPqlJson(e.right));
    case 'not': return fn('not', toPqlJson(e.operand));
    case 'in': return fn(e.op, toPqlJson(e.value), toPqlJson(e.list));
    case 'stringTest': {
      const params = [toPqlJson(e.target), lit('String', e.pattern)];
      if ((CASE_FLAG_FNS as readonly string[]).includes(e.fn)) params.push(lit('Boolean', e.caseSensitive));
      return fn(e.fn, ...params);
    }
    case 'nullTest': return fn(e.fn, toPqlJson(e.target));
    case 'inSegment': return fn('inSegment', lit('String', e.segmentId));
    case 'call': return fn(e.fn, ...(e.target ? [toPqlJson(e.target)] : []), ...e.args.map(toPqlJson));
    case 'quantifier': return fn(e.q, ...e.bindings.map(binding));
    case 'forall': return fn('forall', { nodeType: 'variableDeclaration', name: e.name, source: toPqlJson(e.source) }, toPqlJson(e.cond));
    case 'let': return fn('let', ...e.bindings.map((b): PqlJson => ({ nodeType: 'variableDeclaration', name: b.name, value: toPqlJson(b.value) })), toPqlJson(e.body));
    case 'aggregate': return fn(`${e.fn}Over`, toPqlJson(e.value), binding(e.binding));
    case 'occurs': return fn('occurs', toPqlJson(e.target), when(e.when));
    case 'chain':
      return fn('chain', toPqlJson(e.source), lit('String', e.timeField.join('.')), ...e.steps.map((s): PqlJson => ({
        nodeType: 'chainStep', name: s.name, what: toPqlJson(s.what), ...(s.when ? { when: when(s.when) } : {}),
      })));
    default: return assertNever(e);
  }
}

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const found = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 60 ? `${s.slice(0, 60)}…` : s;
};
const bad = (at: string, expected: string, v: unknown): never => {
  throw new DomainError('PQL_SYNTAX', `Invalid pql/json at ${at}: expected ${expected} but found ${found(v)}`);
};

function scalar(n: unknown, at: string): ScalarLiteral {
  if (!isNode(n) || n.nodeType !== 'literal') return bad(at, 'a literal node', n);
  const v = n.value;
  const t = n.literalType;
  const want = (ok: boolean, what: string) => (ok ? undefined : bad(`${at}.value`, what, v));
  switch (t) {
    case 'String':
      want(typeof v === 'string', 'a string');
      return { kind: 'literal', type: 'string', value: v as string };
    case 'Integer':
      want(Number.isSafeInteger(v), 'a safe integer');
      return { kind: 'literal', type: 'integer', value: (v as number) || 0 };
    case 'Decimal':
      want(typeof v === 'number' && Number.isFinite(v), 'a finite number');
      return { kind: 'literal', type: 'decimal', value: (v as number) || 0 };
    case 'Boolean':
      want(typeof v === 'boolean', 'true or false');
      return { kind: 'literal', type: 'boolean', value: v as boolean };
    case 'Null':
      want(v === null || v === undefined, 'null');
      return { kind: 'literal', type: 'null', value: null };
    case 'Date':
      want(typeof v === 'string' && parseIsoDate(v) !== undefined, 'an ISO date "YYYY-MM-DD"');
      return { kind: 'literal', type: 'date', value: v as string };
    default:
      return bad(`${at}.literalType`, 'String, Integer, Decimal, Boolean, Null, Date or List', t);
  }
}

function list(n: unknown, at: string): ListLiteral {
  if (!isNode(n) || n.nodeType !== 'literal' || n.literalType !== 'List') return bad(at, 'a List literal', n);
  if (!Array.isArray(n.value)) return bad(`${at}.value`, 'an array of literal nodes', n.value);
  return { kind: 'literal', type: 'list', items: n.value.map((item, k) => scalar(item, `${at}.value[${k}]`)) };
}

const stringParam = (n: unknown, at: string): string => {
  const s = scalar(n, at);
  return s.type === 'string' ? s.value : bad(at, 'a String literal', n);
};
const wholeNumber = (n: unknown, at: string): number => {
  const s = scalar(n, at);
  return s.type === 'integer' && s.value >= 0 ? s.value : bad(at, 'a non-negative Integer literal', n);
};

/** The reader: a JSON path for messages, the variables in scope, and the nesting depth. */
class Reader {
  private depth = 0;
  private readonly scope: string[] = [];

  private withVars<T>(names: string[], f: () => T): T {
    this.scope.push(...names);
    try { return f(); } finally { this.scope.length -= names.length; }
  }

  private varName(v: unknown, at: string): string {
    if (typeof v !== 'string' || !IDENTIFIER.test(v) || RESERVED.has(v)) return bad(at, 'a variable name (an identifier that is not a reserved word)', v);
    return v;
  }

  node(n: unknown, at: string): Expr {
    if (!isNode(n)) return bad(at, 'a node object', n);
    if (++this.depth > MAX_DEPTH) throw new DomainError('PQL_SYNTAX', `Invalid pql/json at ${at}: nested deeper than ${MAX_DEPTH} levels`);
    try {
      switch (n.nodeType) {
        case 'literal': return n.literalType === 'List' ? list(n, at) : scalar(n, at);
        case 'fieldLookup': case 'variableReference': case 'parameterReference': return this.path(n, at);
        case 'fnApply': return this.fnApply(n, at);
        default: return bad(`${at}.nodeType`, 'literal, fieldLookup, variableReference or fnApply', n.nodeType);
      }
    } finally {
      this.depth--;
    }
  }

  private path(n: Node, at: string): Expr {
    const path: string[] = [];
    let cur: unknown = n;
    let where = at;
    while (isNode(cur) && cur.nodeType === 'fieldLookup') {
      const name = cur.fieldName;
      if (typeof name !== 'string' || !IDENTIFIER.test(name)) bad(`${where}.fieldName`, 'an identifier', name);
      path.unshift(name as string);
      cur = cur.object;
      where += '.object';
    }
    if (isNode(cur) && cur.nodeType === 'variableReference') {
      const name = cur.name;
      if (name === 'xEvent') {
        return path.length ? bad(at, 'a function applied to xEvent (events have no direct fields; use exists, select or an aggregate)', path.join('.')) : { kind: 'xEvent' };
      }
      if (typeof name !== 'string' || !this.scope.includes(name)) return bad(`${where}.name`, `a variable bound by an enclosing form (in scope: ${this.scope.join(', ') || 'none'})`, name);
      return { kind: 'var', name, path };
    }
    if (!isNode(cur) || cur.nodeType !== 'parameterReference' || cur.position !== 1) {
      return bad(where, 'a fieldLookup or variableReference over {"nodeType":"parameterReference","position":1}', cur);
    }
    if (path.length === 0) return bad(at, 'a fieldLookup over the parameterReference', n);
    if (RESERVED.has(path[0])) bad(`${at}`, `a field path not starting with the reserved word "${path[0]}"`, path.join('.'));
    if (this.scope.includes(path[0])) bad(`${at}`, `a field path not starting with "${path[0]}", which a variable of that name hides`, path.join('.'));
    return { kind: 'field', path };
  }

  private declaration(n: unknown, at: string, key: 'source' | 'value', where: boolean): { name: string; expr: Expr; where?: Expr } {
    if (!isNode(n) || n.nodeType !== 'variableDeclaration') return bad(at, 'a variableDeclaration node', n);
    const name = this.varName(n.name, `${at}.name`);
    const expr = this.node(n[key], `${at}.${key}`);
    if (n.where === undefined || !where) {
      if (n.where !== undefined) bad(`${at}.where`, 'no where clause here', n.where);
      return { name, expr };
    }
    return { name, expr, where: this.withVars([name], () => this.node(n.where, `${at}.where`)) };
  }

  private time(n: unknown, at: string): Expr {
    if (isNode(n) && n.nodeType === 'fnApply' && n.fnName === 'period') {
      const params = Array.isArray(n.params) && n.params.length === 2 ? n.params : bad(`${at}.params`, '2 params for "period"', n.params);
      const which = stringParam(params[0], `${at}.params[0]`);
      const unit = stringParam(params[1], `${at}.params[1]`);
      if (!['this', 'last', 'next'].includes(which)) bad(`${at}.params[0]`, 'this, last or next', which);
      if (!(TIME_UNITS as readonly string[]).includes(unit)) bad(`${at}.params[1]`, `a time unit (${TIME_UNITS.join(', ')})`, unit);
      return { kind: 'period', which: which as 'this', unit: unit as TimeUnit };
    }
    return this.node(n, at);
  }

  private when(n: unknown, at: string): When {
    if (!isNode(n) || n.nodeType !== 'timeTest') return bad(at, 'a timeTest node', n);
    const time = this.time(n.time, `${at}.time`);
    switch (n.test) {
      case 'on': case 'before': case 'after': return { test: n.test, time };
      case 'between': return { test: 'between', time, until: this.time(n.until, `${at}.until`) };
      case 'distance': {
        if (!COMPARE_OPS.includes(n.op as CompareOp)) bad(`${at}.op`, 'a comparison operator', n.op);
        if (!Number.isSafeInteger(n.amount) || (n.amount as number) < 0) bad(`${at}.amount`, 'a non-negative integer', n.amount);
        if (!(TIME_UNITS as readonly string[]).includes(n.unit as string)) bad(`${at}.unit`, `a time unit (${TIME_UNITS.join(', ')})`, n.unit);
        if (!['before', 'after', 'from'].includes(n.direction as string)) bad(`${at}.direction`, 'before, after or from', n.direction);
        return { test: 'distance', op: n.op as CompareOp, amount: n.amount as number, unit: n.unit as TimeUnit, direction: n.direction as 'before', time };
      }
      default: return bad(`${at}.test`, 'on, before, after, between or distance', n.test);
    }
  }

  private fnApply(n: Node, at: string): Expr {
    const name = n.fnName;
    const params = Array.isArray(n.params) ? n.params : bad(`${at}.params`, 'an array', n.params);
    const p = (k: number) => `${at}.params[${k}]`;
    const arity = (min: number, max = min): void => {
      if (params.length < min || params.length > max) bad(`${at}.params`, `${max === min ? min : max === Infinity ? `${min} or more` : `${min} to ${max}`} params for "${String(name)}"`, params);
    };
    const sub = (k: number) => this.node(params[k], p(k));
    if (typeof name !== 'string') return bad(`${at}.fnName`, 'a function name', name);
    if ((COMPARE_OPS as readonly string[]).includes(name)) {
      arity(2);
      return { kind: 'compare', op: name as CompareOp, left: sub(0), right: sub(1) };
    }
    if (name === 'and' || name === 'or') {
      arity(2, Infinity);
      return params.slice(1).reduce<Expr>((left, _r, k) => ({ kind: name, left, right: sub(k + 1) }), sub(0));
    }
    if (name === 'not') {
      arity(1);
      return { kind: 'not', operand: sub(0) };
    }
    if (name === 'in' || name === 'notIn') {
      arity(2);
      return { kind: 'in', op: name, value: sub(0), list: list(params[1], p(1)) };
    }
    if (name === 'isNull' || name === 'isNotNull') {
      arity(1);
      return { kind: 'nullTest', fn: name, target: sub(0) };
    }
    if (name === 'inSegment') {
      arity(1);
      const id = scalar(params[0], p(0));
      return id.type === 'string' && id.value !== '' ? { kind: 'inSegment', segmentId: id.value } : bad(p(0), 'a segment id string', params[0]);
    }
    if (name === 'now' || name === 'today' || name === 'yesterday' || name === 'tomorrow') {
      arity(0);
      return { kind: 'time', name };
    }
    if ((STRING_FNS as readonly string[]).includes(name)) {
      const hasFlag = (CASE_FLAG_FNS as readonly string[]).includes(name);
      arity(2, hasFlag ? 3 : 2);
      const pattern = stringParam(params[1], p(1));
      if (name === 'matches' && 'error' in matchesRegex(pattern)) bad(p(1), 'a valid regular expression', pattern);
      const flag = params.length === 3 ? scalar(params[2], p(2)) : undefined;
      if (flag && flag.type !== 'boolean') bad(p(2), 'a Boolean literal (caseSensitive)', params[2]);
      const caseSensitive = flag ? flag.value === true : true;
      return { kind: 'stringTest', fn: name as StringFn, target: sub(0), pattern, caseSensitive };
    }
    if ((CALL_FNS as string[]).includes(name)) return this.call(name as CallFn, params, at);
    if (name === 'exists' || name === 'select') {
      arity(1, Infinity);
      const bindings: Binding[] = [];
      for (let k = 0; k < params.length; k++) {
        const d = this.withVars(bindings.map((b) => b.name), () => this.declaration(params[k], p(k), 'source', true));
        bindings.push(d.where ? { name: d.name, source: d.expr, where: d.where } : { name: d.name, source: d.expr });
      }
      return { kind: 'quantifier', q: name, bindings };
    }
    if (name === 'forall') {
      arity(2);
      const d = this.declaration(params[0], p(0), 'source', false);
      return { kind: 'forall', name: d.name, source: d.expr, cond: this.withVars([d.name], () => sub(1)) };
    }
    if (name === 'let') {
      arity(2, Infinity);
      const lets: { name: string; value: Expr }[] = [];
      for (let k = 0; k < params.length - 1; k++) {
        const d = this.withVars(lets.map((l) => l.name), () => this.declaration(params[k], p(k), 'value', false));
        lets.push({ name: d.name, value: d.expr });
      }
      return { kind: 'let', bindings: lets, body: this.withVars(lets.map((l) => l.name), () => sub(params.length - 1)) };
    }
    const agg = /^(count|sum|average|min|max)Over$/.exec(name);
    if (agg) {
      arity(2);
      const d = this.declaration(params[1], p(1), 'source', true);
      const value = this.withVars([d.name], () => sub(0));
      return { kind: 'aggregate', fn: agg[1] as AggregateFn, value, binding: d.where ? { name: d.name, source: d.expr, where: d.where } : { name: d.name, source: d.expr } };
    }
    if (name === 'occurs') {
      arity(2);
      return { kind: 'occurs', target: sub(0), when: this.when(params[1], p(1)) };
    }
    if (name === 'chain') {
      arity(3, Infinity);
      const source = sub(0);
      const path = stringParam(params[1], p(1)).split('.');
      if (!path.every((s) => IDENTIFIER.test(s)) || RESERVED.has(path[0])) bad(p(1), 'a dotted field path (e.g. "timestamp")', path.join('.'));
      const steps: ChainStep[] = [];
      for (let k = 2; k < params.length; k++) {
        const s = params[k];
        if (!isNode(s) || s.nodeType !== 'chainStep') bad(p(k), 'a chainStep node', s);
        const step = s as Node;
        const stepName = this.varName(step.name, `${p(k)}.name`);
        if (steps.some((x) => x.name === stepName)) bad(`${p(k)}.name`, 'a step name not used before in this chain', stepName);
        const what = this.node(step.what, `${p(k)}.what`);
        const w = step.when === undefined ? undefined : this.withVars(steps.map((x) => x.name), () => this.when(step.when, `${p(k)}.when`));
        steps.push(w ? { name: stepName, what, when: w } : { name: stepName, what });
      }
      return { kind: 'chain', source, timeField: path, steps };
    }
    return bad(`${at}.fnName`, 'a supported function', name);
  }

  private call(fnName: CallFn, params: unknown[], at: string): Expr {
    const spec = CALLS[fnName];
    const specs: readonly ArgSpec[] = spec.args;
    const offset = spec.method ? 1 : 0;
    const required = specs.filter((s) => !s.optional).length;
    if (params.length < offset + required || params.length > offset + specs.length) {
      bad(`${at}.params`, `${offset + required === offset + specs.length ? offset + required : `${offset + required} to ${offset + specs.length}`} params for "${fnName}"`, params);
    }
    const target = spec.method ? this.node(params[0], `${at}.params[0]`) : null;
    const args = params.slice(offset).map((a, k): Expr => {
      const where = `${at}.params[${k + offset}]`;
      const s = specs[k];
      if (s.type === 'string') {
        const pattern = stringParam(a, where);
        if ('error' in matchesRegex(pattern)) bad(where, 'a valid regular expression', pattern);
        return { kind: 'literal', type: 'string', value: pattern };
      }
      if (s.type === 'int') return { kind: 'literal', type: 'integer', value: wholeNumber(a, where) };
      return this.node(a, where);
    });
    return { kind: 'call', fn: fnName, target, args };
  }
}

void AGGREGATE_FNS;

/** pql/json → AST; throws DomainError('PQL_SYNTAX') naming the JSON path of the first problem. */
export function fromPqlJson(json: unknown): Expr {
  const e = new Reader().node(json, '$');
  // n-ary and/or fold into chains deeper than the JSON itself.
  if (depthOf(e) > MAX_DEPTH) bad('$', `an expression at most ${MAX_DEPTH} levels deep`, `depth ${depthOf(e)}`);
  return e;
}

/** pql/json carried as a string (a segment definition's expression.value) → AST. */
export function parsePqlJsonText(text: string): Expr {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DomainError('PQL_SYNTAX', `Invalid pql/json: ${(e as Error).message}`);
  }
  return fromPqlJson(json);
}
