import fc from 'fast-check';
import {
  STRING_FNS, fromPqlJson, parsePql, parsePqlJsonText, pqlFieldPaths, pqlSegmentIds, renderPql, toPqlJson,
  type CompareOp, type Expr, type ListLiteral, type ScalarLiteral, type StringFn,
} from '../../domain/pql';
import { RESERVED, isoDate } from '../../domain/pql/ast';
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
    ['xEvent.x = 1', 'PQL syntax error at column 1: expected an expression but found reserved word "xEvent"'],
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
