/**
 * Data Prep expressions (AEP calculated fields): function calls, "string" literals, numbers,
 * true/false/null, source references (`name`, `address.city`, `${First Name}`), comparisons
 * (== != < > <= >=, also eq ne lt gt le ge), && || ! (and or not) and parentheses.
 * An expression is parsed once into a closure; evaluating it per row does no parsing.
 */
import { DomainError } from '../shared/errors';
import { compileDateFormat } from './dates';
import { FUNCTIONS, compare, truthy } from './functions';
import type { CallEnv } from './functions';
import { isPlainObject } from './values';

/** What an expression sees of one row. */
export interface RowScope {
  row: Record<string, unknown>;
  /** Stable key of the row (file + row number): uuid() derives from it. */
  rowKey: string;
  /** The run's start time, epoch ms. */
  now: number;
}
export type Evaluate = (scope: RowScope) => unknown;

/**
 * A source value by exact name (CSV headers may contain dots), else by dotted path. Strings are
 * read trimmed and a blank one reads as null (an empty CSV cell is absent, not "").
 */
export function readSource(row: Record<string, unknown>, path: string): unknown {
  const v = Object.hasOwn(row, path) ? row[path] : path.includes('.') ? ownPath(row, path) : undefined;
  if (typeof v === 'string') return v.trim() || null;
  return v === undefined ? null : v;
}

/** A nested value through own properties only (`a.constructor` is not a source value). */
function ownPath(row: Record<string, unknown>, path: string): unknown {
  let cur: unknown = row;
  for (const key of path.split('.')) {
    if (!isPlainObject(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

type Token = { t: 'num' | 'str' | 'id' | 'ref' | 'op' | 'end'; v: string; pos: number };
interface Expr { run: Evaluate; pos: number; literal?: { v: unknown } }

const IDENT = /[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*/y;
const NUMBER = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '!', '(', ')', ',', '-'];
const KEYWORD_OPS: Record<string, string> = { eq: '==', ne: '!=', lt: '<', gt: '>', le: '<=', ge: '>=', and: '&&', or: '||', not: '!' };
const COMPARISONS = new Set(['==', '!=', '<', '>', '<=', '>=']);
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r' };
/** A table entry by name; never one inherited from Object.prototype (`constructor`, `toString`…). */
const own = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

class Parser {
  private tokens: Token[] = [];
  private i = 0;
  private uuidSites = 0;

  constructor(private readonly src: string, private readonly field: string, private readonly index: number) {}

  fail(msg: string, pos: number): never {
    throw new DomainError('VALIDATION', `${this.field}: ${msg} at column ${pos + 1} of ${JSON.stringify(this.src)}`, this.field);
  }

  parse(): Evaluate {
    this.tokenize();
    const e = this.or();
    if (this.peek().t !== 'end') this.fail(`unexpected "${this.peek().v}"`, this.peek().pos);
    return e.run;
  }

  private tokenize(): void {
    for (let p = 0; p < this.src.length;) {
      if (/\s/.test(this.src[p])) p++;
      else {
        const [tok, length] = this.token(p);
        this.tokens.push(tok);
        p += length;
      }
    }
    this.tokens.push({ t: 'end', v: 'end of expression', pos: this.src.length });
  }

  /** The token at p and its length in characters. */
  private token(pos: number): [Token, number] {
    const s = this.src;
    const sticky = (re: RegExp) => { re.lastIndex = pos; return re.exec(s)?.[0]; };
    if (s[pos] === '"' || s[pos] === "'") {
      const { value, length } = this.string(pos);
      return [{ t: 'str', v: value, pos }, length];
    }
    if (s.startsWith('${', pos)) {
      const end = s.indexOf('}', pos);
      if (end < 0) this.fail('unterminated ${…} field reference', pos);
      return [{ t: 'ref', v: s.slice(pos + 2, end), pos }, end + 1 - pos];
    }
    const num = sticky(NUMBER);
    if (num) return [{ t: 'num', v: num, pos }, num.length];
    const id = sticky(IDENT);
    if (id) {
      const op = own(KEYWORD_OPS, id.toLowerCase());
      return [op ? { t: 'op', v: op, pos } : { t: 'id', v: id, pos }, id.length];
    }
    const op = OPS.find((o) => s.startsWith(o, pos)) ?? this.fail(`unexpected character "${s[pos]}"`, pos);
    return [{ t: 'op', v: op, pos }, op.length];
  }

  /** The string literal starting at p (escapes \" \\ \n \t \r) and its length with the quotes. */
  private string(p: number): { value: string; length: number } {
    const q = this.src[p];
    let value = '';
    for (let j = p + 1; ; j++) {
      if (j >= this.src.length) this.fail('unterminated string', p);
      const c = this.src[j];
      if (c === q) return { value, length: j + 1 - p };
      if (c === '\\') {
        const n = this.src[++j] ?? '';
        value += own(ESCAPES, n) ?? n;
      } else value += c;
    }
  }

  private peek(): Token { return this.tokens[this.i]; }
  private next(): Token { return this.tokens[this.i++]; }
  private isOp(v: string): boolean { const t = this.peek(); return t.t === 'op' && t.v === v; }
  private expect(v: string): void {
    if (!this.isOp(v)) this.fail(`expected "${v}" but found "${this.peek().v}"`, this.peek().pos);
    this.i++;
  }

  private or(): Expr { return this.logical('||', () => this.and()); }
  private and(): Expr { return this.logical('&&', () => this.not()); }

  private logical(op: '&&' | '||', operand: () => Expr): Expr {
    let left = operand();
    while (this.isOp(op)) {
      this.i++;
      const [l, r] = [left.run, operand().run];
      left = { pos: left.pos, run: op === '&&' ? (s) => truthy(l(s)) && truthy(r(s)) : (s) => truthy(l(s)) || truthy(r(s)) };
    }
    return left;
  }

  private not(): Expr {
    if (!this.isOp('!')) return this.comparison();
    const pos = this.next().pos;
    const e = this.not().run;
    return { pos, run: (s) => !truthy(e(s)) };
  }

  private comparison(): Expr {
    const left = this.primary();
    const t = this.peek();
    if (t.t !== 'op' || !COMPARISONS.has(t.v)) return left;
    this.i++;
    const [l, r] = [left.run, this.primary().run];
    return { pos: left.pos, run: (s) => compare(t.v, l(s), r(s)) };
  }

  private primary(): Expr {
    const t = this.next();
    const lit = (v: unknown): Expr => ({ pos: t.pos, run: () => v, literal: { v } });
    if (t.t === 'num') return lit(Number(t.v));
    if (t.t === 'str') return lit(t.v);
    if (t.t === 'ref') return { pos: t.pos, run: (s) => readSource(s.row, t.v) };
    if (t.t === 'op' && t.v === '-' && this.peek().t === 'num') return lit(-Number(this.next().v));
    if (t.t === 'op' && t.v === '(') {
      const e = this.or();
      this.expect(')');
      return e;
    }
    if (t.t !== 'id') return this.fail(`unexpected "${t.v}"`, t.pos);
    const word = t.v.toLowerCase();
    if (word === 'true' || word === 'false') return lit(word === 'true');
    if (word === 'null') return lit(null);
    if (this.isOp('(')) return this.call(t);
    return { pos: t.pos, run: (s) => readSource(s.row, t.v) };
  }

  private call(name: Token): Expr {
    const fn = name.v.toLowerCase();
    const def = own(FUNCTIONS, fn) ?? this.fail(`unknown function "${name.v}"`, name.pos);
    this.expect('(');
    const args: Expr[] = [];
    if (!this.isOp(')')) do args.push(this.or()); while (this.isOp(',') && this.next());
    this.expect(')');
    if (args.length < def.min || args.length > def.max) {
      const want = def.min === def.max ? `${def.min}` : def.max === Infinity ? `at least ${def.min}` : `${def.min} to ${def.max}`;
      this.fail(`${name.v}() takes ${want} argument(s), got ${args.length}`, name.pos);
    }
    if (fn === 'date') this.checkDateFormat(args[1]);
    // Each uuid() call site of the mapping gets its own seed, so two calls in one row differ.
    const suffix = `#${this.index}#${def === FUNCTIONS.uuid ? this.uuidSites++ : 0}`;
    const env = (s: RowScope): CallEnv => ({ now: s.now, seed: s.rowKey + suffix });
    const runs = args.map((a) => a.run);
    const run: Evaluate = 'lazy' in def
      ? (s) => def.lazy(runs.map((r) => () => r(s)), env(s))
      : (s) => def.eager(runs.map((r) => r(s)), env(s));
    return { pos: name.pos, run };
  }

  /** A literal date pattern is checked now, so a typo is a 400 when the mapping set is created. */
  private checkDateFormat(format: Expr | undefined): void {
    if (typeof format?.literal?.v !== 'string') return;
    try {
      compileDateFormat(format.literal.v);
    } catch (e) {
      this.fail((e as Error).message, format.pos);
    }
  }
}

/**
 * Compiles the expression of `mappings[index].source`. Throws DomainError VALIDATION naming the
 * field and the column for a syntax error, an unknown function or a wrong argument count.
 */
export function compileExpression(source: string, index: number): Evaluate {
  return new Parser(source, `mappings[${index}].source`, index).parse();
}

