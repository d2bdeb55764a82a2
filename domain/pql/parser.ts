/**
 * pql/text → AST: a hand-written tokenizer and recursive-descent parser.
 *
 *   expr    := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | cmp                       -- so `not(a) and b` negates only a
 *   cmp     := postfix (CMPOP postfix | ('in' | 'notIn') list)?   -- non-associative
 *   postfix := primary ('.' IDENT ('(' args ')')?)*   -- path segment, or method call
 *   primary := literal | list | '(' expr ')' | 'inSegment' '(' STRING ')' | IDENT
 *   literal := STRING | '-'? NUMBER | true | false | null | 'date' '(' INT ',' INT ',' INT ')'
 *
 * Every error is a DomainError('PQL_SYNTAX') naming the 1-based column, what was expected and
 * what was found, because segment authors see these messages verbatim in the API's 400 body.
 */
import { DomainError } from '../shared/errors';
import {
  CASE_FLAG_FNS, MAX_DEPTH, RESERVED, STRING_FNS, depthOf, isoDate, matchesRegex,
  type CompareOp, type Expr, type ListLiteral, type ScalarLiteral, type StringFn,
} from './ast';

type Tok =
  | { t: 'ident' | 'string' | 'number' | 'sym'; v: string; col: number }
  | { t: 'eof'; v: ''; col: number };

const syntax = (col: number, msg: string) => new DomainError('PQL_SYNTAX', `PQL syntax error at column ${col}: ${msg}`);
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
const SYMBOLS = ['!=', '<=', '>=', '=', '<', '>', '(', ')', '[', ']', ',', '.', '-'];

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const sticky = (re: RegExp) => { re.lastIndex = i; return re.exec(text)?.[0]; };
  while (i < text.length) {
    const c = text[i];
    const col = i + 1;
    if (/\s/.test(c)) { i++; continue; }
    const word = sticky(IDENT) ?? (/\d/.test(c) ? sticky(NUMBER) : undefined);
    if (word !== undefined) {
      toks.push({ t: /\d/.test(c) ? 'number' : 'ident', v: word, col });
      i += word.length;
      continue;
    }
    if (c === '"') {
      let v = '';
      for (i++; text[i] !== '"'; i++) {
        if (i >= text.length) throw syntax(i + 1, 'expected closing """ but found end of input');
        if (text[i] !== '\\') { v += text[i]; continue; }
        const e = text[++i];
        const hex = e === 'u' ? /^[0-9A-Fa-f]{4}/.exec(text.slice(i + 1, i + 5))?.[0] : undefined;
        if (hex) { v += String.fromCharCode(parseInt(hex, 16)); i += 4; continue; }
        if (e === undefined || !(e in ESCAPES)) {
          throw syntax(i, `expected an escape (\\" \\\\ \\/ \\n \\t \\r \\b \\f \\uXXXX) but found ${e === undefined ? 'end of input' : `"\\${e}"`}`);
        }
        v += ESCAPES[e];
      }
      i++;
      toks.push({ t: 'string', v, col });
      continue;
    }
    const sym = SYMBOLS.find((s) => text.startsWith(s, i));
    if (!sym) throw syntax(col, `unexpected character ${JSON.stringify(c)}`);
    toks.push({ t: 'sym', v: sym, col });
    i += sym.length;
  }
  toks.push({ t: 'eof', v: '', col: text.length + 1 });
  return toks;
}

function describe(t: Tok): string {
  if (t.t === 'eof') return 'end of input';
  if (t.t === 'string') return `string ${JSON.stringify(t.v.length > 30 ? `${t.v.slice(0, 30)}…` : t.v)}`;
  if (t.t === 'number') return `number ${t.v}`;
  if (t.t === 'ident' && RESERVED.has(t.v)) return `reserved word "${t.v}"`;
  return `"${t.v}"`;
}

const CMP_OPS = new Set<string>(['=', '!=', '<', '<=', '>', '>=']);
const METHODS = [...STRING_FNS, 'isNull', 'isNotNull'];

/** Parses pql/text into an AST; throws DomainError('PQL_SYNTAX') with the column on failure. */
export function parsePql(text: string): Expr {
  const toks = tokenize(text);
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const skip = <T>(v: T): T => { i++; return v; };
  const fail = (tok: Tok, expected: string): never => { throw syntax(tok.col, `expected ${expected} but found ${describe(tok)}`); };
  const isSym = (v: string) => peek().t === 'sym' && peek().v === v;
  const isWord = (v: string) => peek().t === 'ident' && peek().v === v;
  const expectSym = (v: string) => (isSym(v) ? next() : fail(peek(), `"${v}"`));
  let nesting = 0;
  const nest = <T>(parse: () => T): T => {
    if (++nesting > MAX_DEPTH) fail(peek(), `at most ${MAX_DEPTH} nested parentheses or nots`);
    const r = parse();
    nesting--;
    return r;
  };

  const orExpr = (): Expr => {
    let left = andExpr();
    while (isWord('or')) { next(); left = { kind: 'or', left, right: andExpr() }; }
    return left;
  };
  const andExpr = (): Expr => {
    let left = notExpr();
    while (isWord('and')) { next(); left = { kind: 'and', left, right: notExpr() }; }
    return left;
  };
  const notExpr = (): Expr => {
    if (!isWord('not')) return cmpExpr();
    next();
    return { kind: 'not', operand: nest(notExpr) };
  };
  const cmpExpr = (): Expr => {
    const left = postfix();
    const t = peek();
    if (t.t === 'sym' && CMP_OPS.has(t.v)) { next(); return { kind: 'compare', op: t.v as CompareOp, left, right: postfix() }; }
    if (isWord('in') || isWord('notIn')) { next(); return { kind: 'in', op: t.v as 'in' | 'notIn', value: left, list: list() }; }
    return left;
  };

  const postfix = (): Expr => {
    let e = primary();
    while (isSym('.')) {
      next();
      const name = peek().t === 'ident' ? next() : fail(peek(), 'a field name or function after "."');
      if (isSym('(')) e = method(e, name);
      else if (e.kind === 'field') e = { kind: 'field', path: [...e.path, name.v] };
      else fail(name, 'a function call (only fields have sub-fields)');
    }
    return e;
  };

  const method = (target: Expr, name: Tok): Expr => {
    if (!METHODS.includes(name.v)) fail(name, `a function (${METHODS.join(', ')})`);
    expectSym('(');
    if (name.v === 'isNull' || name.v === 'isNotNull') {
      expectSym(')');
      return { kind: 'nullTest', fn: name.v, target };
    }
    const fn = name.v as StringFn;
    const arg = peek().t === 'string' ? next() : fail(peek(), `a string literal as the argument of ${fn}`);
    if (fn === 'matches') {
      const re = matchesRegex(arg.v);
      if ('error' in re) throw syntax(arg.col, `expected a valid regular expression but found ${describe(arg)} (${re.error})`);
    }
    let caseSensitive = true;
    if ((CASE_FLAG_FNS as readonly string[]).includes(fn) && isSym(',')) {
      next();
      const flag = isWord('true') || isWord('false') ? next() : fail(peek(), 'true or false (caseSensitive)');
      caseSensitive = flag.v === 'true';
    }
    expectSym(')');
    return { kind: 'stringTest', fn, target, pattern: arg.v, caseSensitive };
  };

  const number = (tok: Tok, negative: boolean): ScalarLiteral => {
    const raw = negative ? `-${tok.v}` : tok.v;
    const n = Number(raw);
    if (/^-?\d+$/.test(raw)) {
      if (!Number.isSafeInteger(n)) fail(tok, 'an integer between -9007199254740991 and 9007199254740991');
      return { kind: 'literal', type: 'integer', value: n === 0 ? 0 : n };
    }
    if (!Number.isFinite(n)) fail(tok, 'a finite number');
    return { kind: 'literal', type: 'decimal', value: n === 0 ? 0 : n };
  };

  const int = (): number => {
    const t = peek();
    return t.t === 'number' && /^\d+$/.test(t.v) ? Number(next().v) : fail(t, 'an integer');
  };
  const date = (): ScalarLiteral => {
    next();
    expectSym('(');
    const cols = [peek().col];
    const y = int();
    expectSym(',');
    cols.push(peek().col);
    const m = int();
    expectSym(',');
    cols.push(peek().col);
    const d = int();
    expectSym(')');
    const r = isoDate(y, m, d);
    if ('error' in r) {
      const at = r.error.includes('year') ? 0 : r.error.includes('month') ? 1 : 2;
      throw syntax(cols[at], `expected ${r.error}`);
    }
    return { kind: 'literal', type: 'date', value: r.iso };
  };

  // A literal, or undefined when the next token cannot start one.
  const scalar = (): ScalarLiteral | undefined => {
    const t = peek();
    if (t.t === 'string') return skip({ kind: 'literal', type: 'string', value: t.v });
    if (t.t === 'number') return number(next(), false);
    if (isSym('-')) {
      next();
      return peek().t === 'number' ? number(next(), true) : fail(peek(), 'a number after "-"');
    }
    if (isWord('true') || isWord('false')) return skip({ kind: 'literal', type: 'boolean', value: t.v === 'true' });
    if (isWord('null')) return skip({ kind: 'literal', type: 'null', value: null });
    if (isWord('date')) return date();
    return undefined;
  };

  const list = (): ListLiteral => {
    expectSym('[');
    const items: ScalarLiteral[] = [];
    if (!isSym(']')) {
      for (;;) {
        items.push(scalar() ?? fail(peek(), 'a literal (string, number, boolean, null or date)'));
        if (!isSym(',')) break;
        next();
      }
    }
    if (!isSym(']')) fail(peek(), items.length ? '"," or "]"' : 'a literal or "]"');
    next();
    return { kind: 'literal', type: 'list', items };
  };

  const primary = (): Expr => {
    const lit = scalar();
    if (lit) return lit;
    const t = peek();
    if (isSym('(')) {
      next();
      const e = nest(orExpr);
      expectSym(')');
      return e;
    }
    if (isSym('[')) return list();
    if (isWord('inSegment')) {
      next();
      expectSym('(');
      const id = peek().t === 'string' && peek().v !== '' ? next() : fail(peek(), 'a segment id string');
      expectSym(')');
      return { kind: 'inSegment', segmentId: id.v };
    }
    if (t.t === 'ident' && !RESERVED.has(t.v)) return skip({ kind: 'field', path: [t.v] });
    return fail(t, 'an expression');
  };

  const expr = orExpr();
  if (peek().t !== 'eof') fail(peek(), 'end of input');
  // Long and/or chains nest without parentheses, so the tree itself is measured too.
  if (depthOf(expr) > MAX_DEPTH) throw syntax(1, `expected an expression at most ${MAX_DEPTH} levels deep but found ${depthOf(expr)}`);
  return expr;
}
