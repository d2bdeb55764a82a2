import fc from 'fast-check';
import {
  STRING_FNS, fromPqlJson, parsePql, parsePqlJsonText, pqlFieldPaths, pqlSegmentIds, renderPql, toPqlJson,
  type CompareOp, type Expr, type ListLiteral, type ScalarLiteral, type StringFn,
} from '../../domain/pql';
import { CALLS, RESERVED, TIME_UNITS, isoDate, mapChildren as mapChildrenOf, type CallFn, type When } from '../../domain/pql/ast';
import { isDomainError } from '../../domain/shared/errors';

const f = (...path: string[]): Expr => ({ kind: 'field', path });
const str = (value: string): ScalarLiteral => ({ kind: 'literal', type: 'string', value });
const int = (value: number): ScalarLiteral => ({ kind: 'literal', type: 'integer', value });
const cmp = (op: CompareOp, left: Expr, right: Expr): Expr => ({ kind: 'compare', op, left, right });

function syntaxError(text: string): string {
  try {
    parsePql(text);
  } catch (e) {
    if (isDomainError(e) && e.code === 'PQL_SYNTAX') return e.message;
    throw e;
  }
  throw new Error(`parsed without error: ${text}`);
}

describe('parsePql', () => {
  it.each<[string, Expr]>([
    ['homeAddress.countryCode = "US"', cmp('=', f('homeAddress', 'countryCode'), str('US'))],
    ['_openxp.loyaltyScore >= -2.5', cmp('>=', f('_openxp', 'loyaltyScore'), { kind: 'literal', type: 'decimal', value: -2.5 })],
    ['a != -7', cmp('!=', f('a'), int(-7))],
    ['a < 1e3', cmp('<', f('a'), { kind: 'literal', type: 'decimal', value: 1000 })],
    ['"say \\"hi\\"\\n" = a', cmp('=', str('say "hi"\n'), f('a'))],
    ['a = "\\u00e9"', cmp('=', f('a'), str('é'))],
    ['a = null', cmp('=', f('a'), { kind: 'literal', type: 'null', value: null })],
    ['a.b = true', cmp('=', f('a', 'b'), { kind: 'literal', type: 'boolean', value: true })],
    ['person.birthDate < date(2024, 3, 14)', cmp('<', f('person', 'birthDate'), { kind: 'literal', type: 'date', value: '2024-03-14' })],
    ['x in [1, 2.5, "a", null]', {
      kind: 'in', op: 'in', value: f('x'),
      list: { kind: 'literal', type: 'list', items: [int(1), { kind: 'literal', type: 'decimal', value: 2.5 }, str('a'), { kind: 'literal', type: 'null', value: null }] },
    }],
    ['x notIn []', { kind: 'in', op: 'notIn', value: f('x'), list: { kind: 'literal', type: 'list', items: [] } }],
    ['p.n.firstName.startsWith("Jo")', { kind: 'stringTest', fn: 'startsWith', target: f('p', 'n', 'firstName'), pattern: 'Jo', caseSensitive: true }],
    ['a.contains("x", false)', { kind: 'stringTest', fn: 'contains', target: f('a'), pattern: 'x', caseSensitive: false }],
    ['a.equals("x", true)', { kind: 'stringTest', fn: 'equals', target: f('a'), pattern: 'x', caseSensitive: true }],
    ['a.like("J%n_")', { kind: 'stringTest', fn: 'like', target: f('a'), pattern: 'J%n_', caseSensitive: true }],
    ['a.matches("(?i)^jo")', { kind: 'stringTest', fn: 'matches', target: f('a'), pattern: '(?i)^jo', caseSensitive: true }],
    ['a.isNull()', { kind: 'nullTest', fn: 'isNull', target: f('a') }],
    ['a.in.isNotNull()', { kind: 'nullTest', fn: 'isNotNull', target: f('a', 'in') }],
    ['inSegment("seg-1")', { kind: 'inSegment', segmentId: 'seg-1' }],
    ['not a', { kind: 'not', operand: f('a') }],
  ])('%s', (text, ast) => {
    expect(parsePql(text)).toEqual(ast);
  });

  it('gives not > and > or precedence, and left associativity', () => {
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => f(x));
    expect(parsePql('a or b and not c or d')).toEqual({
      kind: 'or', left: { kind: 'or', left: a, right: { kind: 'and', left: b, right: { kind: 'not', operand: c } } }, right: d,
    });
    expect(parsePql('not(a) and b')).toEqual({ kind: 'and', left: { kind: 'not', operand: a }, right: b });
    expect(parsePql('not a = 1 and b')).toEqual({ kind: 'and', left: { kind: 'not', operand: cmp('=', a, int(1)) }, right: b });
    expect(parsePql('(a or b) and c')).toEqual({ kind: 'and', left: { kind: 'or', left: a, right: b }, right: c });
    expect(parsePql('not not a')).toEqual({ kind: 'not', operand: { kind: 'not', operand: a } });
  });

  it.each([
    ['not(homeAddress.city = "X"', 'PQL syntax error at column 27: expected ")" but found end of input'],
    ['a = ', 'PQL syntax error at column 5: expected an expression but found end of input'],
    ['a == 1', 'PQL syntax error at column 4: expected an expression but found "="'],
    ['a = 1 b', 'PQL syntax error at column 7: expected end of input but found "b"'],
    ['a = 1 = 2', 'PQL syntax error at column 7: expected end of input but found "="'],
    ['a # 1', 'PQL syntax error at column 3: unexpected character "#"'],
    ['a = "abc', 'PQL syntax error at column 9: expected closing """ but found end of input'],
    ['a = "\\q"', 'PQL syntax error at column 6: expected an escape'],
    ['a.startsWith(1)', 'PQL syntax error at column 14: expected a string literal as the argument of startsWith but found number 1'],
    ['a.startsWith("x", 1)', 'PQL syntax error at column 19: expected true or false (caseSensitive) but found number 1'],
    ['a.like("x", false)', 'PQL syntax error at column 11: expected ")" but found ","'],
    ['a.exists()', 'PQL syntax error at column 3: expected a function (startsWith'],
    ['a.matches("(")', 'PQL syntax error at column 11: expected a valid regular expression but found string "("'],
    ['a.isNull().b = 1', 'PQL syntax error at column 12: expected a function call (only fields have sub-fields) but found "b"'],
    ['a in (1)', 'PQL syntax error at column 6: expected "[" but found "("'],
    ['a in [1 2]', 'PQL syntax error at column 9: expected "," or "]" but found number 2'],
    ['a in [b]', 'PQL syntax error at column 7: expected a literal (string, number, boolean, null or date) but found "b"'],
    ['d = date(2024, 13, 1)', 'PQL syntax error at column 16: expected a month between 1 and 12 but found 13'],
    ['d = date(2023, 2, 29)', 'PQL syntax error at column 19: expected a day between 1 and 28 but found 29'],
    ['d = date(2024, 2)', 'PQL syntax error at column 17: expected "," but found ")"'],
    ['a = 9007199254740993', 'PQL syntax error at column 5: expected an integer between'],
    ['a = - b', 'PQL syntax error at column 7: expected a number after "-" but found "b"'],
    ['xEvent.x = 1', 'PQL syntax error at column 8: expected a function call (only fields have sub-fields) but found "x"'],
    ['xEvent = 1 or now.x', 'PQL syntax error at column 19: expected a function call'],
    ['inSegment(1)', 'PQL syntax error at column 11: expected a segment id string but found number 1'],
    ['a.', 'PQL syntax error at column 3: expected a field name or function after "." but found end of input'],
  ])('%s → %s', (text, message) => {
    expect(syntaxError(text)).toContain(message);
  });
});

describe('pql/json', () => {
  it('matches AEP\'s tree form', () => {
    const json = toPqlJson(parsePql('homeAddress.countryCode = "US"'));
    expect(json).toEqual({
      nodeType: 'fnApply', fnName: '=', params: [
        { nodeType: 'fieldLookup', fieldName: 'countryCode', object: { nodeType: 'fieldLookup', fieldName: 'homeAddress', object: { nodeType: 'parameterReference', position: 1 } } },
        { nodeType: 'literal', literalType: 'String', value: 'US' },
      ],
    });
  });

  it('writes lists, dates and case flags explicitly', () => {
    expect(toPqlJson(parsePql('a.startsWith("x") and d in [date(2024, 3, 14)]'))).toEqual({
      nodeType: 'fnApply', fnName: 'and', params: [
        { nodeType: 'fnApply', fnName: 'startsWith', params: [
          { nodeType: 'fieldLookup', fieldName: 'a', object: { nodeType: 'parameterReference', position: 1 } },
          { nodeType: 'literal', literalType: 'String', value: 'x' },
          { nodeType: 'literal', literalType: 'Boolean', value: true },
        ] },
        { nodeType: 'fnApply', fnName: 'in', params: [
          { nodeType: 'fieldLookup', fieldName: 'd', object: { nodeType: 'parameterReference', position: 1 } },
          { nodeType: 'literal', literalType: 'List', value: [{ nodeType: 'literal', literalType: 'Date', value: '2024-03-14' }] },
        ] },
      ],
    });
  });

  it('folds n-ary and/or left and defaults the case flag', () => {
    const a = toPqlJson(parsePql('a')), b = toPqlJson(parsePql('b')), c = toPqlJson(parsePql('c'));
    expect(renderPql(fromPqlJson({ nodeType: 'fnApply', fnName: 'or', params: [a, b, c] }))).toBe('a or b or c');
    const sw = { nodeType: 'fnApply', fnName: 'endsWith', params: [a, { nodeType: 'literal', literalType: 'String', value: 'z' }] };
    expect(renderPql(fromPqlJson(sw))).toBe('a.endsWith("z")');
  });

  it.each<[unknown, string]>([
    [{ nodeType: 'fnApply', fnName: 'frobnicate', params: [] }, 'at $.fnName: expected a supported function but found "frobnicate"'],
    [{ nodeType: 'fnApply', fnName: '=', params: [{ nodeType: 'literal', literalType: 'Integer', value: 1.5 }, { nodeType: 'literal', literalType: 'Null', value: null }] }, 'at $.params[0].value: expected a safe integer but found 1.5'],
    [{ nodeType: 'fieldLookup', fieldName: 'a-b', object: { nodeType: 'parameterReference', position: 1 } }, 'at $.fieldName: expected an identifier'],
    [{ nodeType: 'fieldLookup', fieldName: 'a', object: { nodeType: 'parameterReference', position: 2 } }, 'at $.object: expected a fieldLookup or'],
    [{ nodeType: 'fnApply', fnName: 'not', params: [] }, 'at $.params: expected 1 params for "not"'],
    [{ nodeType: 'literal', literalType: 'Date', value: '2023-02-29' }, 'at $.value: expected an ISO date'],
  ])('rejects %j', (json, message) => {
    expect(() => fromPqlJson(json)).toThrow(message);
  });

  it('reports malformed JSON text as PQL_SYNTAX', () => {
    expect(() => parsePqlJsonText('{"nodeType":')).toThrow(/Invalid pql\/json/);
  });
});

it('rejects absurdly deep expressions with PQL_SYNTAX instead of overflowing the stack', () => {
  expect(syntaxError(`${'('.repeat(100_000)}a${')'.repeat(100_000)}`)).toContain('expected at most 256 nested parentheses or nots');
  expect(syntaxError('not '.repeat(100_000) + 'a')).toContain('expected at most 256 nested');
  expect(syntaxError(Array.from({ length: 300 }, (_, k) => `a${k}`).join(' and '))).toContain('at most 256 levels deep but found 300');
  expect(parsePql(Array.from({ length: 255 }, (_, k) => `a${k}`).join(' or ')).kind).toBe('or');
  let deep: unknown = { nodeType: 'literal', literalType: 'Boolean', value: true };
  for (let k = 0; k < 100_000; k++) deep = { nodeType: 'fnApply', fnName: 'not', params: [deep] };
  expect(() => fromPqlJson(deep)).toThrow('nested deeper than 256 levels');
  const field = { nodeType: 'fieldLookup', fieldName: 'a', object: { nodeType: 'parameterReference', position: 1 } };
  expect(() => fromPqlJson({ nodeType: 'fnApply', fnName: 'or', params: Array(300).fill(field) })).toThrow('at most 256 levels deep');
});

it('lists referenced fields and segments', () => {
  const ast = parsePql('a.b = 1 or (inSegment("s1") and c.isNull() and a.b > 0 and not inSegment("s2"))');
  expect(pqlFieldPaths(ast)).toEqual(['a.b', 'c']);
  expect(pqlSegmentIds(ast)).toEqual(['s1', 's2']);
});

// ---- round-trip properties over random ASTs ----

const ident = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,5}$/);
const fieldArb: fc.Arbitrary<Expr> = fc
  .tuple(ident.filter((s) => !RESERVED.has(s)), fc.array(ident, { maxLength: 2 }))
  .map(([root, rest]) => ({ kind: 'field', path: [root, ...rest] }));
const scalarArb: fc.Arbitrary<ScalarLiteral> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }).map((value) => ({ kind: 'literal', type: 'string', value }) as const),
  fc.maxSafeInteger().map((value) => ({ kind: 'literal', type: 'integer', value }) as const),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => ({ kind: 'literal', type: 'decimal', value: v || 0 }) as const),
  fc.boolean().map((value) => ({ kind: 'literal', type: 'boolean', value }) as const),
  fc.constant({ kind: 'literal', type: 'null', value: null } as const),
  fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
    .map(([y, m, d]) => isoDate(y, m, Math.min(d, 28)))
    .map((r) => ({ kind: 'literal', type: 'date', value: 'iso' in r ? r.iso : '2000-01-01' }) as const),
);
const listArb: fc.Arbitrary<ListLiteral> = fc.array(scalarArb, { maxLength: 3 }).map((items) => ({ kind: 'literal', type: 'list', items }));
const REGEXES = ['^a', 'b$', 'a.c', '(?i)^ab', '[0-9]+', '^$', '\\d{2}', 'é|ß'];

const { expr: exprArb } = fc.letrec<{ expr: Expr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb, listArb, fieldArb,
    fc.string({ minLength: 1, maxLength: 5 }).map((segmentId) => ({ kind: 'inSegment', segmentId }) as const),
    fc.tuple(fc.constantFrom<CompareOp>('=', '!=', '<', '<=', '>', '>='), tie('expr'), tie('expr'))
      .map(([op, left, right]) => ({ kind: 'compare', op, left, right }) as const),
    fc.tuple(fc.constantFrom('and', 'or' as const), tie('expr'), tie('expr')).map(([kind, left, right]) => ({ kind, left, right }) as Expr),
    tie('expr').map((operand) => ({ kind: 'not', operand }) as const),
    fc.tuple(fc.constantFrom('in', 'notIn' as const), tie('expr'), listArb).map(([op, value, list]) => ({ kind: 'in', op, value, list }) as const),
    fc.tuple(fc.constantFrom<StringFn>(...STRING_FNS), tie('expr'), fc.string({ maxLength: 5 }), fc.boolean(), fc.constantFrom(...REGEXES))
      .map(([fn, target, s, cs, re]) => ({
        kind: 'stringTest', fn, target,
        pattern: fn === 'matches' ? re : s,
        caseSensitive: fn === 'like' || fn === 'matches' ? true : cs,
      }) as const),
    fc.tuple(fc.constantFrom('isNull', 'isNotNull' as const), tie('expr')).map(([fn, target]) => ({ kind: 'nullTest', fn, target }) as const),
  ),
}));

describe('round trips', () => {
  it('text: render → parse gives the same AST', () => {
    fc.assert(fc.property(exprArb, (ast) => {
      expect(parsePql(renderPql(ast))).toEqual(ast);
    }), { numRuns: 1000 });
  });

  it('json: AST → pql/json (through JSON text) → AST gives the same AST', () => {
    fc.assert(fc.property(exprArb, (ast) => {
      expect(fromPqlJson(JSON.parse(JSON.stringify(toPqlJson(ast))))).toEqual(ast);
    }), { numRuns: 1000 });
  });

  it('text → AST → json → AST → text is stable', () => {
    fc.assert(fc.property(exprArb, (ast) => {
      const text = renderPql(ast);
      const back = fromPqlJson(toPqlJson(parsePql(text)));
      expect(back).toEqual(parsePql(text));
      expect(renderPql(back)).toBe(text);
    }), { numRuns: 300 });
  });

  it('renders canonical text', () => {
    const text = 'not(a.b = "x") and (c < -1.0 or d.startsWith("\\"q\\"", false)) and e in [date(2024, 3, 14), null]';
    expect(renderPql(parsePql(text))).toBe(text);
    expect(renderPql(parsePql('not (a)  and   b'))).toBe('not(a) and b');
    expect(renderPql(parsePql('(a = 1) = true'))).toBe('(a = 1) = true');
  });
});

// ---- round trips over every construct (variables, forms, occurs, chain, calls) ----


const VAR_POOL = ['E', 'I', 'X', 'V', 'S'];
const fieldRoot = ident.filter((s) => !RESERVED.has(s) && !/^[EIXVSABC]\d*$/.test(s));
const anyFieldArb: fc.Arbitrary<Expr> = fc.tuple(fieldRoot, fc.array(ident, { maxLength: 2 })).map(([root, rest]) => ({ kind: 'field', path: [root, ...rest] }));
const varArb: fc.Arbitrary<Expr> = fc.tuple(fc.constantFrom(...VAR_POOL), fc.array(ident, { maxLength: 2 })).map(([name, path]) => ({ kind: 'var', name, path }));
const periodArb: fc.Arbitrary<Expr> = fc.tuple(fc.constantFrom('this', 'last', 'next' as const), fc.constantFrom(...TIME_UNITS)).map(([which, unit]) => ({ kind: 'period', which, unit }));
const timeNameArb: fc.Arbitrary<Expr> = fc.constantFrom('now', 'today', 'yesterday', 'tomorrow' as const).map((name) => ({ kind: 'time', name }));

const { all: allArb } = fc.letrec<{ all: Expr; time: Expr; when: When }>((tie) => ({
  time: fc.oneof(periodArb, timeNameArb, tie('all')),
  when: fc.oneof(
    tie('time').map((time): When => ({ test: 'on', time })),
    fc.tuple(fc.constantFrom('before', 'after' as const), tie('time')).map(([test, time]): When => ({ test, time })),
    fc.tuple(tie('time'), tie('time')).map(([time, until]): When => ({ test: 'between', time, until })),
    fc.tuple(fc.constantFrom<CompareOp>('=', '!=', '<', '<=', '>', '>='), fc.nat(1000), fc.constantFrom(...TIME_UNITS), fc.constantFrom('before', 'after', 'from' as const), tie('time'))
      .map(([op, amount, unit, direction, time]): When => ({ test: 'distance', op, amount, unit, direction, time })),
  ),
  all: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalarArb, listArb, anyFieldArb, varArb, timeNameArb, fc.constant<Expr>({ kind: 'xEvent' }),
    fc.string({ minLength: 1, maxLength: 5 }).map((segmentId): Expr => ({ kind: 'inSegment', segmentId })),
    fc.tuple(fc.constantFrom<CompareOp>('=', '!=', '<', '<=', '>', '>='), tie('all'), tie('all')).map(([op, left, right]): Expr => ({ kind: 'compare', op, left, right })),
    fc.tuple(fc.constantFrom('and', 'or' as const), tie('all'), tie('all')).map(([kind, left, right]) => ({ kind, left, right }) as Expr),
    tie('all').map((operand): Expr => ({ kind: 'not', operand })),
    fc.tuple(fc.constantFrom('in', 'notIn' as const), tie('all'), listArb).map(([op, value, list]): Expr => ({ kind: 'in', op, value, list })),
    fc.tuple(fc.constantFrom<StringFn>(...STRING_FNS), tie('all'), fc.string({ maxLength: 4 }), fc.boolean(), fc.constantFrom(...REGEXES))
      .map(([fn, target, s, cs, re]): Expr => ({ kind: 'stringTest', fn, target, pattern: fn === 'matches' ? re : s, caseSensitive: fn === 'like' || fn === 'matches' ? true : cs })),
    fc.tuple(fc.constantFrom('isNull', 'isNotNull' as const), tie('all')).map(([fn, target]): Expr => ({ kind: 'nullTest', fn, target })),
    fc.tuple(fc.constantFrom(...(Object.keys(CALLS) as CallFn[])), tie('all'), tie('all'), fc.nat(20), fc.constantFrom(...REGEXES), fc.boolean()).map(([fn, target, arg, n, re, withArg]): Expr => {
      const specs = CALLS[fn].args as readonly { type: string; optional?: boolean }[];
      const args = specs.filter((s) => !s.optional || withArg).map((s): Expr => (s.type === 'string' ? { kind: 'literal', type: 'string', value: re } : s.type === 'int' ? { kind: 'literal', type: 'integer', value: n } : arg));
      return { kind: 'call', fn, target: CALLS[fn].method ? target : null, args };
    }),
    fc.tuple(fc.constantFrom('exists', 'select' as const), fc.array(fc.tuple(tie('all'), fc.option(tie('all'), { nil: undefined })), { minLength: 1, maxLength: 2 }))
      .map(([q, bs]): Expr => ({ kind: 'quantifier', q, bindings: bs.map(([source, where], k) => (where ? { name: VAR_POOL[k], source, where } : { name: VAR_POOL[k], source })) })),
    fc.tuple(tie('all'), tie('all')).map(([source, cond]): Expr => ({ kind: 'forall', name: 'V', source, cond })),
    fc.tuple(fc.constantFrom('count', 'sum', 'average', 'min', 'max' as const), tie('all'), tie('all'), fc.option(tie('all'), { nil: undefined }))
      .map(([fn, value, source, where]): Expr => ({ kind: 'aggregate', fn, value, binding: where ? { name: 'X', source, where } : { name: 'X', source } })),
    fc.tuple(fc.array(tie('all'), { minLength: 1, maxLength: 2 }), tie('all')).map(([values, body]): Expr => ({ kind: 'let', bindings: values.map((value, k) => ({ name: ['S', 'I'][k], value })), body })),
    fc.tuple(tie('all'), tie('when')).map(([target, when]): Expr => ({ kind: 'occurs', target, when })),
    fc.tuple(tie('all'), fc.array(fc.tuple(tie('all'), fc.option(tie('when'), { nil: undefined })), { minLength: 1, maxLength: 3 }))
      .map(([source, steps]): Expr => ({ kind: 'chain', source, timeField: ['timestamp'], steps: steps.map(([what, when], k) => (when ? { name: 'ABC'[k], what, when } : { name: 'ABC'[k], what })) })),
  ),
}));

/**
 * Makes a generated tree well scoped, the way the parser reads text: binders get names unique in
 * their scope, a variable reference names a variable in scope (or becomes a field when none is),
 * and periods appear only as occurs/WHEN times.
 */
function scoped(e: Expr, scope: string[]): Expr {
  const fresh = (name: string) => `${name}${scope.length}`;
  const pick = (name: string, within: string[]) => within.find((s) => s.startsWith(name)) ?? within[within.length - 1];
  const time = (t: Expr, within: string[]): Expr => (t.kind === 'period' ? t : scoped(t, within));
  const when = (w: When, within: string[]): When => (w.test === 'between' ? { ...w, time: time(w.time, within), until: time(w.until, within) } : { ...w, time: time(w.time, within) });
  switch (e.kind) {
    case 'var': {
      const name = scope.length ? pick(e.name, scope) : undefined;
      return name ? { kind: 'var', name, path: e.path } : { kind: 'field', path: [`f${e.name}`, ...e.path] };
    }
    case 'period': return { kind: 'time', name: 'now' };
    case 'quantifier': {
      const inner = [...scope];
      const bindings = e.bindings.map((b) => {
        const name = fresh(b.name) + inner.length;
        const source = scoped(b.source, inner);
        inner.push(name);
        return b.where ? { name, source, where: scoped(b.where, inner) } : { name, source };
      });
      return { ...e, bindings };
    }
    case 'forall': {
      const name = fresh(e.name);
      return { ...e, name, source: scoped(e.source, scope), cond: scoped(e.cond, [...scope, name]) };
    }
    case 'aggregate': {
      const name = fresh(e.binding.name);
      const b = e.binding;
      const inner = [...scope, name];
      return { ...e, value: scoped(e.value, inner), binding: b.where ? { name, source: scoped(b.source, scope), where: scoped(b.where, inner) } : { name, source: scoped(b.source, scope) } };
    }
    case 'let': {
      const inner = [...scope];
      const bindings = e.bindings.map((b) => {
        const name = fresh(b.name) + inner.length;
        const value = scoped(b.value, inner);
        inner.push(name);
        return { name, value };
      });
      return { ...e, bindings, body: scoped(e.body, inner) };
    }
    case 'occurs': return { ...e, target: scoped(e.target, scope), when: when(e.when, scope) };
    case 'chain': {
      const names: string[] = [];
      const steps = e.steps.map((s) => {
        const name = fresh(s.name) + names.length;
        const step = s.when ? { name, what: scoped(s.what, scope), when: when(s.when, [...scope, ...names]) } : { name, what: scoped(s.what, scope) };
        names.push(name);
        return step;
      });
      return { ...e, source: scoped(e.source, scope), steps };
    }
    default: return mapChildrenOf(e, (c) => scoped(c, scope));
  }
}

const wellScopedArb = allArb.map((e) => scoped(e, []));

describe('round trips over every construct', () => {
  it('text: render → parse gives the same AST', () => {
    fc.assert(fc.property(wellScopedArb, (ast) => {
      expect(parsePql(renderPql(ast))).toEqual(ast);
    }), { numRuns: 1500 });
  });

  it('json: AST → pql/json (through JSON text) → AST gives the same AST, and the text is stable', () => {
    fc.assert(fc.property(wellScopedArb, (ast) => {
      const back = fromPqlJson(JSON.parse(JSON.stringify(toPqlJson(ast))));
      expect(back).toEqual(ast);
      expect(renderPql(back)).toBe(renderPql(ast));
    }), { numRuns: 1500 });
  });
});

describe('syntax errors in the full language name the position and what was expected', () => {
  it.each([
    ['exists E xEvent', 'PQL syntax error at column 10: expected "from" but found reserved word "xEvent"'],
    ['exists from xEvent', 'PQL syntax error at column 8: expected a variable name (after exists, select or ",") but found reserved word "from"'],
    ['forall V from tags V.x = 1', 'PQL syntax error at column 20: expected ":" but found "V"'],
    ['let S = 1 S > 1', 'PQL syntax error at column 11: expected "in" but found "S"'],
    ['sum X.a over from xEvent', 'PQL syntax error at column 14: expected a variable name (after over) but found reserved word "from"'],
    ['a occurs <= 7 dayz before now', 'PQL syntax error at column 15: expected a time unit'],
    ['a occurs <= 7 days behind now', 'PQL syntax error at column 20: expected "before", "after" or "from" but found "behind"'],
    ['a occurs <= x days before now', 'PQL syntax error at column 13: expected a whole number of time units but found "x"'],
    ['a occurs between today now', 'PQL syntax error at column 24: expected "and" but found reserved word "now"'],
    ['a occurs', 'PQL syntax error at column 9: expected a comparison, "before", "after", "between", "on" or a time'],
    ['chain(xEvent, timestamp, [A: WHAT(x = 1) WHEN()])', 'PQL syntax error at column 47: expected a comparison, "before", "after", "between", "on" or a time'],
    ['chain(xEvent, timestamp, [A: WHERE(x = 1)])', 'PQL syntax error at column 30: expected "WHAT" but found "WHERE"'],
    ['chain(xEvent, timestamp, [A: WHAT(x = 1), A: WHAT(y = 1)])', 'PQL syntax error at column 43: expected a step name not used before in this chain ("A" is)'],
    ['a.topN(price)', 'PQL syntax error at column 13: expected "," but found ")"'],
    ['a.topN(price, -1)', 'PQL syntax error at column 15: expected a whole number but found "-"'],
    ['a.regexGroup("(", 1)', 'PQL syntax error at column 14: expected a valid regular expression'],
    ['a.head(1)', 'PQL syntax error at column 8: expected ")" (head takes 0 arguments) but found number 1'],
    ['currentMonth(1)', 'PQL syntax error at column 14: expected ")" (currentMonth takes 0 arguments) but found number 1'],
    ['a = 1 and\n  b = = 2', 'PQL syntax error at line 2, column 7: expected an expression but found "="'],
    ['exists E from xEvent where\n  (E.eventType = "x"\n', 'PQL syntax error at line 3, column 1: expected ")" but found end of input'],
    ['a.get()', 'PQL syntax error at column 7: expected an expression but found ")"'],
  ])('%j → %s', (text, message) => {
    expect(syntaxError(text)).toContain(message);
  });
});
