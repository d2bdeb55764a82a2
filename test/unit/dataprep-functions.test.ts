import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { compileExpression } from '../../domain/ingest/expression';
import type { RowScope } from '../../domain/ingest/expression';
import { compileDateFormat, parseIsoDateTime } from '../../domain/ingest/dates';
import { sha256Hex, uuidFrom } from '../../domain/ingest/sha256';
import { isDomainError } from '../../domain/shared/errors';

const NOW = Date.UTC(2024, 4, 6, 7, 8, 9);
const evalWith = (src: string, row: Record<string, unknown> = {}, scope: Partial<RowScope> = {}) =>
  compileExpression(src, 0)({ row, rowKey: 'file.csv#1', now: NOW, ...scope });
const failure = (src: string, row: Record<string, unknown> = {}) => {
  try {
    evalWith(src, row);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`${src} did not fail`);
};

describe('Data Prep expressions: syntax', () => {
  it.each([
    ['"a \\"q\\" b"', 'a "q" b'],
    ["'single'", 'single'],
    ['42', 42],
    ['-1.5', -1.5],
    ['2e3', 2000],
    ['true', true],
    ['FALSE', false],
    ['null', null],
    ['first', 'Ann'],
    ['address.city', 'Paris'],
    ['${First Name}', 'Bob'],
    ['${missing}', null],
    ['dotted.key', 'exact key wins'],
    ['(1 == 1)', true],
    ['toString', 'a field, not Object.prototype'],
    ['address.constructor', null],
    ['address.city.length', null],
  ])('%s → %p', (src, want) => {
    const row = { first: 'Ann', address: { city: 'Paris' }, 'First Name': 'Bob', 'dotted.key': 'exact key wins', dotted: { key: 'nested' }, toString: 'a field, not Object.prototype' };
    expect(evalWith(src, row)).toEqual(want);
  });

  it.each([
    ['age > 18', { age: '21' }, true],
    ['age > 18', { age: 9 }, false],
    ['age >= 21 && age <= 21', { age: '21' }, true],
    ['age < 18 || age > 60', { age: '30' }, false],
    ['!(age < 18)', { age: '30' }, true],
    ['not is_null(age)', { age: 1 }, true],
    ['a == "x" and b != "y"', { a: 'x', b: 'z' }, true],
    ['a eq "x" or b ne "y"', { a: 'q', b: 'y' }, false],
    ['a lt b', { a: 'apple', b: 'banana' }, true],
    ['flag == true', { flag: 'TRUE' }, true],
    ['missing == null', {}, true],
    ['missing > 1', {}, false],
    ['x == 5', { x: '5.0' }, true],
  ])('%s with %j → %p', (src, row, want) => {
    expect(evalWith(src, row)).toBe(want);
  });

  it.each([
    ['lower(a', 'expected ")" but found "end of expression" at column 8'],
    ['lower(a))', 'unexpected ")" at column 9'],
    ['nope(a)', 'unknown function "nope" at column 1'],
    ['constructor(a)', 'unknown function "constructor" at column 1'],
    ['lower(a, b)', 'lower() takes 1 argument(s), got 2 at column 1'],
    ['substr("x")', 'substr() takes 2 to 3 argument(s), got 1'],
    ['concat()', 'concat() takes at least 1 argument(s), got 0'],
    ['"open', 'unterminated string at column 1'],
    ['a # b', 'unexpected character "#" at column 3'],
    ['${open', 'unterminated ${…} field reference at column 1'],
    ['date(d, "yyyy-QQ")', 'unsupported date pattern letter "Q" at column 9'],
    ['date(d, "yyyy-\'MM")', 'unterminated quote in date pattern'],
    ['a == == b', 'unexpected "==" at column 6'],
    ['', 'unexpected "end of expression" at column 1'],
  ])('%s is a DomainError naming the mapping and the column', (src, message) => {
    let err: unknown;
    try {
      compileExpression(src, 3);
    } catch (e) {
      err = e;
    }
    expect(isDomainError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'VALIDATION', field: 'mappings[3].source' });
    expect((err as Error).message).toContain('mappings[3].source: ');
    expect((err as Error).message).toContain(message);
  });

  it('parses once: the compiled closure is reused for every row', () => {
    const f = compileExpression('upper(name)', 0);
    expect(['a', 'b', 'c'].map((name) => f({ row: { name }, rowKey: name, now: 0 }))).toEqual(['A', 'B', 'C']);
  });
});

describe('Data Prep functions', () => {
  it.each([
    ['lower("HeLLo")', 'hello'],
    ['upper("HeLLo")', 'HELLO'],
    ['trim("  x y  ")', 'x y'],
    ['ltrim("  x ")', 'x '],
    ['rtrim(" x  ")', ' x'],
    ['lower(missing)', null],
    ['upper(12)', '12'],
    ['concat("Hi, ", "there", "!")', 'Hi, there!'],
    ['concat(first, " ", missing)', 'Ann '],
    ['concat(missing, missing)', null],
    ['concat("n=", 5, true)', 'n=5true'],
    ['split("a,b,,c", ",")', ['a', 'b', '', 'c']],
    ['split("", ",")', []],
    ['split(missing, ",")', null],
    ['substr("This is a substring test", 7, 8)', ' a subst'],
    ['substr("abc", 1)', 'bc'],
    ['substr("abc", 5, 2)', ''],
    ['substr(missing, 0, 1)', null],
    ['replace("a-b-c", "-", "+")', 'a+b+c'],
    ['replacestr("aaa", "a", "")', ''],
    ['replacestr("abc", "", "x")', 'abc'],
    ['iif(1 == 1, "yes", "no")', 'yes'],
    ['iif("false", "yes", "no")', 'no'],
    ['iif(missing, "yes", "no")', 'no'],
    ['iif(is_empty(x), null, to_integer(x))', null],
    ['coalesce(missing, null, first, "z")', 'Ann'],
    ['coalesce(missing)', null],
    ['to_integer("42")', 42],
    ['to_integer(" 7 ")', 7],
    ['to_integer("12.9")', 12],
    ['to_integer(true)', 1],
    ['to_integer("")', null],
    ['to_bigint("-3")', -3],
    ['to_float("1.25")', 1.25],
    ['to_decimal("1e2")', 100],
    ['to_bool("yes")', true],
    ['to_boolean("off")', false],
    ['to_bool(1)', true],
    ['to_bool(missing)', null],
    ['to_string(12)', '12'],
    ['len("héllo")', 5],
    ['length("👍a")', 2],
    ['len(split("a b c", " "))', 3],
    ['len(missing)', null],
    ['is_empty("")', true],
    ['is_empty(missing)', true],
    ['is_empty(" ")', false],
    ['is_empty(blank)', true], // a blank cell reads as null
    ['len(padded)', 2],
    ['is_empty(split("", ","))', true],
    ['is_null(missing)', true],
    ['is_null(x)', true], // an empty cell reads as null
    ['is_null("")', false],
    ['is_null(0)', false],
    ['is_not_null(first)', true],
    ['now()', '2024-05-06T07:08:09.000Z'],
    ['date("2020-12-31")', '2020-12-31T00:00:00.000Z'],
    ['date("2020-12-31T10:00:00+02:00")', '2020-12-31T08:00:00.000Z'],
    ['date("12/31/2020", "MM/dd/yyyy")', '2020-12-31T00:00:00.000Z'],
    ['date("2021-03-04 05:06:07", "yyyy-MM-dd HH:mm:ss")', '2021-03-04T05:06:07.000Z'],
    ['date("4 Mar 21 5:06 PM", "d MMM yy h:mm a")', '2021-03-04T17:06:00.000Z'],
    ['date("Thursday, March 4, 2021", "EEEE, MMMM d, yyyy")', '2021-03-04T00:00:00.000Z'],
    ['date("2021-03-04T05:06:07.123+0100", "yyyy-MM-dd\'T\'HH:mm:ss.SSSZ")', '2021-03-04T04:06:07.123Z'],
    ['date("20210304", "yyyyMMdd")', '2021-03-04T00:00:00.000Z'],
    ['date(missing, "yyyy-MM-dd", "1999-01-01")', '1999-01-01T00:00:00.000Z'],
    ['date("", "yyyy-MM-dd")', null],
    ['sha256("abc")', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['sha256(missing)', null],
  ])('%s → %p', (src, want) => {
    expect(evalWith(src, { first: 'Ann', x: '', blank: '  ', padded: ' ab ' })).toEqual(want);
  });

  it.each([
    ['to_integer("abc")', 'to_integer: "abc" is not a number'],
    ['to_float("1,5")', 'to_float: "1,5" is not a number'],
    ['to_bool("maybe")', 'to_bool: "maybe" is not a boolean'],
    ['date("31/12/2020", "MM/dd/yyyy")', 'date: "31/12/2020" does not match the format "MM/dd/yyyy"'],
    ['date("2021-02-30", "yyyy-MM-dd")', 'does not match'],
    ['date("25:00", "HH:mm")', 'does not match'],
    ['date("13 PM", "h a")', 'does not match'],
    ['date("December 31st, 2020")', 'is not an ISO 8601 date'],
    ['date("2021-02-29")', 'is not an ISO 8601 date'],
    ['date(d, fmt)', 'unsupported date pattern letter "Q"'],
    ['substr("abc", -1, 1)', 'the start index must be 0 or more'],
    ['substr("abc", 0, "x")', 'substr: expects an integer'],
    ['lower(obj)', 'lower: expects a string, got {"a":1}'],
    ['iif("perhaps", 1, 2)', 'iif: the condition is not a boolean: "perhaps"'],
    ['age > 18', 'cannot compare "old" > 18'],
    ['split("a", missing)', 'split: the separator is null'],
  ])('%s fails the row: %s', (src, message) => {
    const err = failure(src, { obj: { a: 1 }, age: 'old', d: '2020', fmt: 'QQ' });
    expect(err.name).toBe('FunctionError');
    expect(err.message).toContain(message);
  });

  it('iif and coalesce evaluate lazily: the branch not taken cannot fail the row', () => {
    expect(evalWith('iif(true, "ok", to_integer("abc"))')).toBe('ok');
    expect(evalWith('coalesce("first", to_integer("abc"))')).toBe('first');
  });

  it('uuid() is deterministic per row key, mapping index and call site', () => {
    const at = (src: string, rowKey: string, index = 0) => compileExpression(src, index)({ row: {}, rowKey, now: 0 });
    const a = at('uuid()', 'f#1');
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(at('guid()', 'f#1')).toBe(a);
    expect(at('uuid()', 'f#2')).not.toBe(a);
    expect(at('uuid()', 'f#1', 1)).not.toBe(a);
    const [x, y] = String(at('concat(uuid(), " ", uuid())', 'f#1')).split(' ');
    expect(x).not.toBe(y);
    fc.assert(fc.property(fc.string(), (seed) => uuidFrom(seed) === uuidFrom(seed)));
  });

  it('sha256 agrees with node:crypto on any text (multi-block and non-ASCII included)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (s) => sha256Hex(s) === createHash('sha256').update(s, 'utf8').digest('hex')));
    expect(sha256Hex('a'.repeat(1000))).toBe(createHash('sha256').update('a'.repeat(1000)).digest('hex'));
  });

  it('lower/upper/trim are idempotent and concat equals join (property)', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      const row = { s };
      return evalWith('lower(lower(s))', row) === evalWith('lower(s)', row)
        && evalWith('upper(upper(s))', row) === evalWith('upper(s)', row)
        && evalWith('trim(trim(s))', row) === evalWith('trim(s)', row);
    }));
    // Source strings are read trimmed, so the generated cells are too.
    const cell = fc.string().map((s) => s.trim());
    fc.assert(fc.property(fc.array(cell, { minLength: 1, maxLength: 5 }), (parts) => {
      const row = Object.fromEntries(parts.map((p, i) => [`p${i}`, p]));
      const src = `concat(${parts.map((_, i) => `p${i}`).join(', ')})`;
      const all = parts.every((p) => p === '');
      return evalWith(src, row) === (all ? null : parts.join(''));
    }));
  });

  it('split then join round-trips (property)', () => {
    const text = fc.string({ minLength: 1 }).filter((s) => s.trim() === s);
    fc.assert(fc.property(text, fc.constantFrom(',', '|', '::'), (s, sep) =>
      (evalWith('split(s, sep)', { s, sep }) as string[]).join(sep) === s));
  });
});

describe('date patterns', () => {
  const date = fc.date({ min: new Date(Date.UTC(1000, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true });
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');

  it('"yyyy-MM-dd HH:mm:ss" and "MM/dd/yyyy" read back what was written (property)', () => {
    const full = compileDateFormat('yyyy-MM-dd HH:mm:ss');
    const us = compileDateFormat('MM/dd/yyyy');
    fc.assert(fc.property(date, (d) => {
      const [y, M, day, H, m, s] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
      const whole = new Date(d.getTime() - d.getUTCMilliseconds()).toISOString();
      return full(`${pad(y, 4)}-${pad(M)}-${pad(day)} ${pad(H)}:${pad(m)}:${pad(s)}`) === whole
        && us(`${pad(M)}/${pad(day)}/${pad(y, 4)}`) === `${whole.slice(0, 10)}T00:00:00.000Z`;
    }));
  });

  it('ISO parsing is strict and zone-independent', () => {
    expect(parseIsoDateTime('2020-01-01T10:00:00')).toBe('2020-01-01T10:00:00.000Z');
    expect(parseIsoDateTime('2020-01-01 10:00')).toBe('2020-01-01T10:00:00.000Z');
    expect(parseIsoDateTime('2020-01-01T10:00:00.5-01:30')).toBe('2020-01-01T11:30:00.500Z');
    expect(parseIsoDateTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(parseIsoDateTime('2020-13-01')).toBeNull();
    expect(parseIsoDateTime('01/02/2020')).toBeNull();
    expect(parseIsoDateTime(Number.NaN)).toBeNull();
    expect(parseIsoDateTime({})).toBeNull();
  });

  it('quoted literals and two-digit years', () => {
    expect(compileDateFormat("dd.MM.yy 'at' HH'h'")('04.03.21 at 17h')).toBe('2021-03-04T17:00:00.000Z');
    expect(compileDateFormat("yyyy''MM")("2021'03")).toBe('2021-03-01T00:00:00.000Z');
    expect(compileDateFormat('yyyy-MM-dd')('2021-3-4')).toBeNull();
    expect(compileDateFormat('yyyy-M-d')('2021-3-4')).toBe('2021-03-04T00:00:00.000Z');
  });
});
