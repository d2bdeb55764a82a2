/**
 * pql/text → AST: a hand-written tokenizer and recursive-descent parser.
 *
 *   expr     := or
 *   or       := and ('or' and)*
 *   and      := not ('and' not)*
 *   not      := 'not' not | cmp                        -- so `not(a) and b` negates only a
 *   cmp      := postfix (CMPOP postfix | ('in' | 'notIn') list | 'occurs' when)?   -- non-associative
 *   postfix  := primary ('.' IDENT ('(' args ')')?)*    -- path segment, or method call
 *   primary  := literal | list | '(' expr ')' | 'inSegment' '(' STRING ')' | GLOBALFN '(' ')'
 *             | 'xEvent' | 'now' | 'today' | 'yesterday' | 'tomorrow' | chain | form | IDENT
 *   form     := ('exists' | 'select') binding (',' binding)*       -- forms extend as far right
 *             | 'forall' IDENT 'from' postfix ':' expr             -- as they can, like a lambda
 *             | 'let' IDENT '=' postfix (',' IDENT '=' postfix)* 'in' expr
 *             | AGG postfix 'over' IDENT 'from' postfix ('where' expr)?    -- AGG: count sum average min max
 *   binding  := IDENT 'from' postfix ('where' expr)?
 *   when     := CMPOP INT UNIT ('before' | 'after' | 'from') time
 *             | ('before' | 'after') time | 'between' time 'and' time | 'on'? time
 *   time     := ('this' | 'last' | 'next') UNIT | postfix
 *   chain    := 'chain' '(' postfix ',' path ',' '[' step (',' step)* ']' ')'
 *   step     := IDENT ':' 'WHAT' '(' expr ')' ('WHEN' '(' when ')')?
 *   literal  := STRING | '-'? NUMBER | true | false | null | 'date' '(' INT ',' INT ',' INT ')'
 *
 * Method arguments follow CALLS in ast.ts; element-scoped ones (filter, map, topN, sum, …) read
 * bare paths from the element. A bare identifier bound by an enclosing form is a variable.
 *
 * Every error is a DomainError('PQL_SYNTAX') naming the position (column, or line and column for
 * multi-line text), what was expected and what was found, because segment authors see these
 * messages verbatim in the API's 400 body.
 */
import { DomainError } from '../shared/errors';
import {
  AGGREGATE_FNS, CALLS, CASE_FLAG_FNS, GLOBAL_FNS, type ArgSpec, MAX_DEPTH, METHOD_NAMES, RESERVED, STRING_FNS, TIME_UNITS, UNIT_PLURALS,
  depthOf, isoDate, mapChildren, matchesRegex,
  type AggregateFn, type Binding, type CallFn, type ChainStep, type CompareOp, type Expr, type ListLiteral, type ScalarLiteral,
  type StringFn, type TimeName, type TimeUnit, type When,
} from './ast';

type Tok =
  | { t: 'ident' | 'string' | 'number' | 'sym'; v: string; at: number }
  | { t: 'eof'; v: ''; at: number };

/** "column C" for one-line text, "line L, column C" otherwise (both 1-based). */
export function position(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const col = offset - before.lastIndexOf('\n');
  return text.includes('\n') ? `line ${line}, column ${col}` : `column ${col}`;
}

const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
const SYMBOLS = ['!=', '<=', '>=', '=', '<', '>', '(', ')', '[', ']', ',', '.', '-', ':'];
const CMP_OPS = new Set<string>(['=', '!=', '<', '<=', '>', '>=']);
const UNIT_WORDS = new Map<string, TimeUnit>(TIME_UNITS.flatMap((u) => [[u, u], [UNIT_PLURALS[u], u]] as [string, TimeUnit][]));
const TIME_NAMES = new Set(['now', 'today', 'yesterday', 'tomorrow']);
/** Words that can follow a field but cannot start an aggregate's value (`count occurs today` is a field test). */
const NOT_VALUE_WORDS = new Set(['in', 'notIn', 'and', 'or', 'occurs', 'over', 'from', 'where']);

function tokenize(text: string, syntax: (at: number, msg: string) => DomainError): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const sticky = (re: RegExp) => { re.lastIndex = i; return re.exec(text)?.[0]; };
  while (i < text.length) {
    const c = text[i];
    const at = i;
    if (/\s/.test(c)) { i++; continue; }
    const word = sticky(IDENT) ?? (/\d/.test(c) ? sticky(NUMBER) : undefined);
    if (word !== undefined) {
      toks.push({ t: /\d/.test(c) ? 'number' : 'ident', v: word, at });
      i += word.length;
      continue;
    }
    if (c === '"') {
      let v = '';
      for (i++; text[i] !== '"'; i++) {
        if (i >= text.length) throw syntax(i, 'expected closing """ but found end of input');
        if (text[i] !== '\\') { v += text[i]; continue; }
        const e = text[++i];
        const hex = e === 'u' ? /^[0-9A-Fa-f]{4}/.exec(text.slice(i + 1, i + 5))?.[0] : undefined;
        if (hex) { v += String.fromCharCode(parseInt(hex, 16)); i += 4; continue; }
        if (e === undefined || !(e in ESCAPES)) {
          throw syntax(i - 1, `expected an escape (\\" \\\\ \\/ \\n \\t \\r \\b \\f \\uXXXX) but found ${e === undefined ? 'end of input' : `"\\${e}"`}`);
        }
        v += ESCAPES[e];
      }
      i++;
      toks.push({ t: 'string', v, at });
      continue;
    }
    const sym = SYMBOLS.find((s) => text.startsWith(s, i));
    if (!sym) throw syntax(at, `unexpected character ${JSON.stringify(c)}`);
    toks.push({ t: 'sym', v: sym, at });
    i += sym.length;
  }
  toks.push({ t: 'eof', v: '', at: text.length });
  return toks;
}

function describe(t: Tok): string {
  if (t.t === 'eof') return 'end of input';
  if (t.t === 'string') return `string ${JSON.stringify(t.v.length > 30 ? `${t.v.slice(0, 30)}…` : t.v)}`;
  if (t.t === 'number') return `number ${t.v}`;
  if (t.t === 'ident' && RESERVED.has(t.v)) return `reserved word "${t.v}"`;
  return `"${t.v}"`;
}

/**
 * Rewrites top-scope fields rooted at `name` into variable references (an aggregate's value is
 * written before the `over X` that binds X). Stops where an inner form rebinds the name.
 */
export function bindVariable(e: Expr, name: string): Expr {
  const go = (n: Expr): Expr => {
    if (n.kind === 'field') return n.path[0] === name ? { kind: 'var', name, path: n.path.slice(1) } : n;
    const rebinds = (n.kind === 'quantifier' && n.bindings.some((b) => b.name === name)) || (n.kind === 'forall' && n.name === name)
      || (n.kind === 'let' && n.bindings.some((b) => b.name === name)) || (n.kind === 'aggregate' && n.binding.name === name);
    if (rebinds) return n;
    // Variables are visible inside element-scoped arguments too.
    return mapChildren(n, (c) => go(c));
  };
  return go(e);
}

/** Parses pql/text into an AST; throws DomainError('PQL_SYNTAX') with the position on failure. */
export function parsePql(text: string): Expr {
  const syntax = (at: number, msg: string) => new DomainError('PQL_SYNTAX', `PQL syntax error at ${position(text, at)}: ${msg}`);
  const toks = tokenize(text, syntax);
  let i = 0;
  const peek = (k = 0) => toks[Math.min(i + k, toks.length - 1)];
  const next = () => toks[i++];
  const skip = <T>(v: T): T => { i++; return v; };
  const fail = (tok: Tok, expected: string): never => { throw syntax(tok.at, `expected ${expected} but found ${describe(tok)}`); };
  const isSym = (v: string, k = 0) => peek(k).t === 'sym' && peek(k).v === v;
  const isWord = (v: string, k = 0) => peek(k).t === 'ident' && peek(k).v === v;
  const expectSym = (v: string) => (isSym(v) ? next() : fail(peek(), `"${v}"`));
  const expectWord = (v: string) => (isWord(v) ? next() : fail(peek(), `"${v}"`));
  const scope: string[] = [];
  const bound = (name: string) => scope.includes(name);
  const withVars = <T>(names: string[], parse: () => T): T => {
    scope.push(...names);
    try { return parse(); } finally { scope.length -= names.length; }
  };
  let nesting = 0;
  const nest = <T>(parse: () => T): T => {
    if (++nesting > MAX_DEPTH) fail(peek(), `at most ${MAX_DEPTH} nested parentheses or nots`);
    const r = parse();
    nesting--;
    return r;
  };
  const varName = (what: string) => {
    const t = peek();
    if (t.t !== 'ident' || RESERVED.has(t.v)) fail(t, `a variable name (${what})`);
    return next().v;
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
    if (isWord('occurs')) { next(); return { kind: 'occurs', target: left, when: when() }; }
    return left;
  };

  const unit = (): TimeUnit => {
    const t = peek();
    const u = t.t === 'ident' ? UNIT_WORDS.get(t.v) : undefined;
    return u ? skip(u) : fail(t, 'a time unit (millisecond(s), second(s), minute(s), hour(s), day(s), week(s), month(s), year(s), decade(s), century/centuries, millennium/millennia)');
  };
  const time = (): Expr => {
    const t = peek();
    if (t.t === 'ident' && ['this', 'last', 'next'].includes(t.v) && peek(1).t === 'ident' && UNIT_WORDS.has(peek(1).v)) {
      next();
      return { kind: 'period', which: t.v as 'this' | 'last' | 'next', unit: unit() };
    }
    return postfix();
  };
  const when = (): When => nest(() => {
    const t = peek();
    if (t.t === 'sym' && CMP_OPS.has(t.v)) {
      next();
      const n = peek();
      const amount = n.t === 'number' && /^\d+$/.test(n.v) && Number.isSafeInteger(Number(n.v)) ? Number(next().v) : fail(n, 'a whole number of time units');
      const u = unit();
      const d = peek();
      const direction = d.t === 'ident' && ['before', 'after', 'from'].includes(d.v) ? next().v as 'before' | 'after' | 'from' : fail(d, '"before", "after" or "from"');
      return { test: 'distance', op: t.v as CompareOp, amount, unit: u, direction, time: time() };
    }
    if (isWord('before') || isWord('after')) return { test: next().v as 'before' | 'after', time: time() };
    if (isWord('between')) {
      next();
      const from = time();
      expectWord('and');
      return { test: 'between', time: from, until: time() };
    }
    const startsTime = (k: number) => {
      const t = peek(k);
      return t.t === 'ident' || t.t === 'number' || t.t === 'string' || (t.t === 'sym' && ['(', '-', '['].includes(t.v));
    };
    if (isWord('on') && startsTime(1)) next();
    if (!startsTime(0)) fail(peek(), 'a comparison, "before", "after", "between", "on" or a time (now, today, this/last/next UNIT, a date or a timestamp)');
    return { test: 'on', time: time() };
  });

  const postfix = (): Expr => {
    let e = primary();
    while (isSym('.')) {
      next();
      const name = peek().t === 'ident' ? next() : fail(peek(), 'a field name or function after "."');
      if (isSym('(')) e = method(e, name);
      else if (e.kind === 'field') e = { kind: 'field', path: [...e.path, name.v] };
      else if (e.kind === 'var') e = { kind: 'var', name: e.name, path: [...e.path, name.v] };
      else fail(name, 'a function call (only fields have sub-fields)');
    }
    return e;
  };

  const intArg = (): number => {
    const t = peek();
    return t.t === 'number' && /^\d+$/.test(t.v) && Number.isSafeInteger(Number(t.v)) ? Number(next().v) : fail(t, 'a whole number');
  };
  const int = (n: number): ScalarLiteral => ({ kind: 'literal', type: 'integer', value: n });

  const callArgs = (fn: CallFn, nameTok: Tok): Expr[] => {
    const specs: readonly ArgSpec[] = CALLS[fn].args;
    const args: Expr[] = [];
    for (let k = 0; k < specs.length; k++) {
      const spec = specs[k];
      if (spec.optional && isSym(')')) break;
      if (k > 0) expectSym(',');
      if (spec.type === 'string') {
        const s = peek().t === 'string' ? next() : fail(peek(), `a string literal as the argument of ${fn}`);
        const re = matchesRegex(s.v);
        if ('error' in re) throw syntax(s.at, `expected a valid regular expression but found ${describe(s)} (${re.error})`);
        args.push({ kind: 'literal', type: 'string', value: s.v });
      } else if (spec.type === 'int') {
        args.push(int(intArg()));
      } else {
        args.push(nest(orExpr));
      }
    }
    if (!isSym(')')) fail(peek(), args.length < specs.length ? '","' : `")" (${fn} takes ${specs.length} argument${specs.length === 1 ? '' : 's'})`);
    void nameTok;
    next();
    return args;
  };

  const method = (target: Expr, name: Tok): Expr => {
    if (!METHOD_NAMES.includes(name.v)) fail(name, `a function (${METHOD_NAMES.join(', ')})`);
    expectSym('(');
    if (name.v === 'isNull' || name.v === 'isNotNull') {
      expectSym(')');
      return { kind: 'nullTest', fn: name.v, target };
    }
    if (!(STRING_FNS as readonly string[]).includes(name.v)) {
      const fn = name.v as CallFn;
      return { kind: 'call', fn, target, args: callArgs(fn, name) };
    }
    const fn = name.v as StringFn;
    const arg = peek().t === 'string' ? next() : fail(peek(), `a string literal as the argument of ${fn}`);
    if (fn === 'matches') {
      const re = matchesRegex(arg.v);
      if ('error' in re) throw syntax(arg.at, `expected a valid regular expression but found ${describe(arg)} (${re.error})`);
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

  const dateInt = (): number => {
    const t = peek();
    return t.t === 'number' && /^\d+$/.test(t.v) ? Number(next().v) : fail(t, 'an integer');
  };
  const date = (): ScalarLiteral => {
    next();
    expectSym('(');
    const ats = [peek().at];
    const y = dateInt();
    expectSym(',');
    ats.push(peek().at);
    const m = dateInt();
    expectSym(',');
    ats.push(peek().at);
    const d = dateInt();
    expectSym(')');
    const r = isoDate(y, m, d);
    if ('error' in r) {
      const k = r.error.includes('year') ? 0 : r.error.includes('month') ? 1 : 2;
      throw syntax(ats[k], `expected ${r.error}`);
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

  const binding = (): Binding => {
    const name = varName('after exists, select or ","');
    expectWord('from');
    const source = postfix();
    if (!isWord('where')) return { name, source };
    next();
    return { name, source, where: withVars([name], orExpr) };
  };
  const bindings = (): Binding[] => {
    const out = [binding()];
    const names = [out[0].name];
    while (isSym(',') && peek(1).t === 'ident' && isWord('from', 2)) {
      next();
      out.push(withVars(names, binding));
      names.push(out[out.length - 1].name);
    }
    return out;
  };

  const form = (): Expr | undefined => {
    const t = peek();
    if (t.t !== 'ident') return undefined;
    if (t.v === 'exists' || t.v === 'select') {
      next();
      return { kind: 'quantifier', q: t.v, bindings: bindings() };
    }
    if (t.v === 'forall') {
      next();
      const name = varName('after forall');
      expectWord('from');
      const source = postfix();
      expectSym(':');
      return { kind: 'forall', name, source, cond: withVars([name], orExpr) };
    }
    if (t.v === 'let') {
      next();
      const lets: { name: string; value: Expr }[] = [];
      do {
        if (lets.length) next();
        const name = varName('after let');
        expectSym('=');
        lets.push({ name, value: withVars(lets.map((l) => l.name), postfix) });
      } while (isSym(','));
      expectWord('in');
      return { kind: 'let', bindings: lets, body: withVars(lets.map((l) => l.name), orExpr) };
    }
    const next1 = peek(1);
    const startsValue = (next1.t === 'ident' && !NOT_VALUE_WORDS.has(next1.v)) || next1.t === 'number' || next1.t === 'string'
      || (next1.t === 'sym' && ['(', '-', '['].includes(next1.v));
    if ((AGGREGATE_FNS as readonly string[]).includes(t.v) && startsValue) {
      next();
      const value = postfix();
      expectWord('over');
      const name = varName('after over');
      expectWord('from');
      const source = postfix();
      const where = isWord('where') ? (next(), withVars([name], orExpr)) : undefined;
      return { kind: 'aggregate', fn: t.v as AggregateFn, value: bindVariable(value, name), binding: where ? { name, source, where } : { name, source } };
    }
    return undefined;
  };

  const chainStep = (names: string[]): ChainStep => {
    const name = varName('a chain step name');
    if (names.includes(name)) fail(toks[i - 1], `a step name not used before in this chain ("${name}" is)`);
    expectSym(':');
    expectWord('WHAT');
    expectSym('(');
    const what = nest(orExpr);
    expectSym(')');
    if (!isWord('WHEN')) return { name, what };
    next();
    expectSym('(');
    const w = withVars(names, when);
    expectSym(')');
    return { name, what, when: w };
  };
  const chain = (): Expr => {
    next();
    expectSym('(');
    const source = nest(postfix);
    expectSym(',');
    const timeField = [peek().t === 'ident' && !RESERVED.has(peek().v) ? next().v : fail(peek(), 'the time field of the events (e.g. timestamp)')];
    while (isSym('.')) { next(); timeField.push(peek().t === 'ident' ? next().v : fail(peek(), 'a field name after "."')); }
    expectSym(',');
    expectSym('[');
    const steps: ChainStep[] = [];
    do {
      if (steps.length) next();
      steps.push(chainStep(steps.map((s) => s.name)));
    } while (isSym(','));
    expectSym(']');
    expectSym(')');
    return { kind: 'chain', source, timeField, steps };
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
    if (isWord('chain')) return nest(chain);
    if (isWord('xEvent')) return skip({ kind: 'xEvent' });
    if (t.t === 'ident' && TIME_NAMES.has(t.v)) return skip({ kind: 'time', name: t.v as TimeName });
    const f = nest(form);
    if (f) return f;
    if (t.t === 'ident' && GLOBAL_FNS.includes(t.v) && isSym('(', 1)) {
      next();
      next();
      return { kind: 'call', fn: t.v as CallFn, target: null, args: callArgs(t.v as CallFn, t) };
    }
    if (t.t === 'ident' && bound(t.v)) return skip({ kind: 'var', name: t.v, path: [] });
    if (t.t === 'ident' && !RESERVED.has(t.v)) return skip({ kind: 'field', path: [t.v] });
    return fail(t, 'an expression');
  };

  const expr = orExpr();
  if (peek().t !== 'eof') fail(peek(), 'end of input');
  // Long and/or chains nest without parentheses, so the tree itself is measured too.
  if (depthOf(expr) > MAX_DEPTH) throw syntax(0, `expected an expression at most ${MAX_DEPTH} levels deep but found ${depthOf(expr)}`);
  return expr;
}
