/**
 * AST ⇄ pql/json, AEP's tree form: fnApply / fieldLookup / parameterReference / literal.
 *
 * fnName is the operator or method as written in pql/text (`=`, `and`, `not`, `in`, `notIn`,
 * `startsWith`, `isNull`, `inSegment`, …); a method's receiver is params[0]. Case flags are
 * always written as a trailing Boolean literal so the tree is explicit; on input the flag is
 * optional (default true) and `and`/`or` may be n-ary (folded left, as the text parser does).
 */
import { DomainError } from '../shared/errors';
import {
  CASE_FLAG_FNS, IDENTIFIER, MAX_DEPTH, RESERVED, STRING_FNS, assertNever, depthOf, matchesRegex, parseIsoDate,
  type CompareOp, type Expr, type FieldRef, type ListLiteral, type ScalarLiteral, type StringFn,
} from './ast';

export type PqlLiteralType = 'String' | 'Integer' | 'Decimal' | 'Boolean' | 'Null' | 'Date' | 'List';
export type PqlJson =
  | { nodeType: 'literal'; literalType: PqlLiteralType; value: unknown }
  | { nodeType: 'fieldLookup'; fieldName: string; object: PqlJson }
  | { nodeType: 'parameterReference'; position: number }
  | { nodeType: 'fnApply'; fnName: string; params: PqlJson[] };

const LITERAL_TYPES: Record<ScalarLiteral['type'], PqlLiteralType> = {
  string: 'String', integer: 'Integer', decimal: 'Decimal', boolean: 'Boolean', null: 'Null', date: 'Date',
};
const PROFILE: PqlJson = { nodeType: 'parameterReference', position: 1 };
const fn = (fnName: string, ...params: PqlJson[]): PqlJson => ({ nodeType: 'fnApply', fnName, params });
const lit = (literalType: PqlLiteralType, value: unknown): PqlJson => ({ nodeType: 'literal', literalType, value });

/** AST → pql/json. */
export function toPqlJson(e: Expr): PqlJson {
  switch (e.kind) {
    case 'literal':
      return e.type === 'list' ? lit('List', e.items.map(toPqlJson)) : lit(LITERAL_TYPES[e.type], e.value);
    case 'field':
      return e.path.reduce<PqlJson>((object, fieldName) => ({ nodeType: 'fieldLookup', fieldName, object }), PROFILE);
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

function field(n: Node, at: string): FieldRef {
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
  if (!isNode(cur) || cur.nodeType !== 'parameterReference' || cur.position !== 1) {
    return bad(where, 'a fieldLookup or {"nodeType":"parameterReference","position":1} (the profile)', cur);
  }
  if (RESERVED.has(path[0])) bad(`${at}`, `a field path not starting with the reserved word "${path[0]}"`, path.join('.'));
  return { kind: 'field', path };
}

const COMPARE = new Set(['=', '!=', '<', '<=', '>', '>=']);

function fnApply(n: Node, at: string, depth: number): Expr {
  const name = n.fnName;
  const params = Array.isArray(n.params) ? n.params : bad(`${at}.params`, 'an array', n.params);
  const p = (k: number) => `${at}.params[${k}]`;
  const arity = (min: number, max = min): void => {
    if (params.length < min || params.length > max) bad(`${at}.params`, `${max === min ? min : max === Infinity ? `${min} or more` : `${min} to ${max}`} params for "${String(name)}"`, params);
  };
  if (typeof name !== 'string') return bad(`${at}.fnName`, 'a function name', name);
  if (COMPARE.has(name)) {
    arity(2);
    return { kind: 'compare', op: name as CompareOp, left: node(params[0], p(0), depth + 1), right: node(params[1], p(1), depth + 1) };
  }
  if (name === 'and' || name === 'or') {
    arity(2, Infinity);
    return params.slice(1).reduce<Expr>((left, r, k) => ({ kind: name, left, right: node(r, p(k + 1), depth + 1) }), node(params[0], p(0), depth + 1));
  }
  if (name === 'not') {
    arity(1);
    return { kind: 'not', operand: node(params[0], p(0), depth + 1) };
  }
  if (name === 'in' || name === 'notIn') {
    arity(2);
    return { kind: 'in', op: name, value: node(params[0], p(0), depth + 1), list: list(params[1], p(1)) };
  }
  if (name === 'isNull' || name === 'isNotNull') {
    arity(1);
    return { kind: 'nullTest', fn: name, target: node(params[0], p(0), depth + 1) };
  }
  if (name === 'inSegment') {
    arity(1);
    const id = scalar(params[0], p(0));
    return id.type === 'string' && id.value !== '' ? { kind: 'inSegment', segmentId: id.value } : bad(p(0), 'a segment id string', params[0]);
  }
  if ((STRING_FNS as readonly string[]).includes(name)) {
    const hasFlag = (CASE_FLAG_FNS as readonly string[]).includes(name);
    arity(2, hasFlag ? 3 : 2);
    const pattern = scalar(params[1], p(1));
    if (pattern.type !== 'string') return bad(p(1), 'a String literal', params[1]);
    if (name === 'matches' && 'error' in matchesRegex(pattern.value)) bad(p(1), 'a valid regular expression', pattern.value);
    const flag = params.length === 3 ? scalar(params[2], p(2)) : undefined;
    if (flag && flag.type !== 'boolean') bad(p(2), 'a Boolean literal (caseSensitive)', params[2]);
    const caseSensitive = flag ? flag.value === true : true;
    return { kind: 'stringTest', fn: name as StringFn, target: node(params[0], p(0), depth + 1), pattern: pattern.value, caseSensitive };
  }
  return bad(`${at}.fnName`, 'a supported function', name);
}

function node(n: unknown, at: string, depth: number): Expr {
  if (!isNode(n)) return bad(at, 'a node object', n);
  if (depth > MAX_DEPTH) throw new DomainError('PQL_SYNTAX', `Invalid pql/json at ${at}: nested deeper than ${MAX_DEPTH} levels`);
  return nodeAt(n, at, depth);
}

function nodeAt(n: Node, at: string, depth: number): Expr {
  switch (n.nodeType) {
    case 'literal': return n.literalType === 'List' ? list(n, at) : scalar(n, at);
    case 'fieldLookup': return field(n, at);
    case 'fnApply': return fnApply(n, at, depth);
    default: return bad(`${at}.nodeType`, 'literal, fieldLookup or fnApply', n.nodeType);
  }
}

/** pql/json → AST; throws DomainError('PQL_SYNTAX') naming the JSON path of the first problem. */
export function fromPqlJson(json: unknown): Expr {
  const e = node(json, '$', 1);
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
