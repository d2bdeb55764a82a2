/**
 * AST → pql/text. Output parses back to the same AST (a property test holds us to it), so
 * parentheses are added exactly where the grammar's precedence would otherwise regroup.
 * Forms that extend to the right (exists, select, forall, let, aggregates) are parenthesised
 * whenever they are not the whole expression.
 */
import { CALLS, UNIT_PLURALS, assertNever, parseIsoDate, type ArgSpec, type Expr, type ScalarLiteral, type When } from './ast';

// Binding strength of each node when it appears as an operand.
const FORM = 0;
const OR = 1;
const AND = 2;
const NOT = 3;
const CMP = 4;
const ATOM = 5;

function precedence(e: Expr): number {
  switch (e.kind) {
    case 'quantifier': case 'forall': case 'let': case 'aggregate': return FORM;
    case 'or': return OR;
    case 'and': return AND;
    case 'not': return NOT;
    case 'compare': case 'in': case 'occurs': return CMP;
    default: return ATOM;
  }
}

/** JSON-style escaping covers everything the tokenizer's escapes accept and nothing more. */
export const quote = (s: string): string =>
  `"${s.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => {
    if (c === '\\' || c === '"') return `\\${c}`;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  })}"`;

function number(n: number, decimal: boolean): string {
  const s = String(n);
  // A decimal must keep a "." or exponent, otherwise it would come back as an integer.
  return decimal && /^-?\d+$/.test(s) ? `${s}.0` : s;
}

function scalar(l: ScalarLiteral): string {
  switch (l.type) {
    case 'string': return quote(l.value);
    case 'integer': return number(l.value, false);
    case 'decimal': return number(l.value, true);
    case 'boolean': return String(l.value);
    case 'null': return 'null';
    case 'date': {
      const ymd = parseIsoDate(l.value);
      if (!ymd) throw new Error(`invalid date literal ${l.value}`);
      return `date(${ymd.join(', ')})`;
    }
    default: return assertNever(l);
  }
}

function render(e: Expr, min: number): string {
  const s = renderNode(e);
  return precedence(e) < min ? `(${s})` : s;
}

// Words the occurs grammar reads after `occurs`; a time field named so needs an explicit `on`.
const WHEN_WORDS = new Set(['on', 'before', 'after', 'between', 'this', 'last', 'next']);

function time(t: Expr): string {
  return t.kind === 'period' ? `${t.which} ${t.unit}` : render(t, ATOM);
}

/** The text after `occurs` (or inside WHEN(…)). */
export function renderWhen(w: When): string {
  switch (w.test) {
    case 'on': {
      const root = w.time.kind === 'field' ? w.time.path[0] : w.time.kind === 'var' ? w.time.name : undefined;
      return root !== undefined && WHEN_WORDS.has(root) ? `on ${time(w.time)}` : time(w.time);
    }
    case 'before': case 'after': return `${w.test} ${time(w.time)}`;
    case 'between': return `between ${time(w.time)} and ${time(w.until)}`;
    case 'distance': return `${w.op} ${w.amount} ${w.amount === 1 ? w.unit : UNIT_PLURALS[w.unit]} ${w.direction} ${time(w.time)}`;
    default: return assertNever(w);
  }
}

function arg(a: Expr, spec: ArgSpec | undefined): string {
  if (spec?.type === 'string' && a.kind === 'literal' && a.type === 'string') return quote(a.value);
  return render(a, OR);
}

function renderNode(e: Expr): string {
  switch (e.kind) {
    case 'literal': return e.type === 'list' ? `[${e.items.map(scalar).join(', ')}]` : scalar(e);
    case 'field': return e.path.join('.');
    case 'var': return [e.name, ...e.path].join('.');
    case 'xEvent': return 'xEvent';
    case 'time': return e.name;
    case 'period': return `${e.which} ${e.unit}`;
    case 'or': return `${render(e.left, OR)} or ${render(e.right, AND)}`;
    case 'and': return `${render(e.left, AND)} and ${render(e.right, NOT)}`;
    // AEP writes not(...) with parentheses; the operand's own parens make that free.
    case 'not': return `not(${render(e.operand, FORM)})`;
    case 'compare': return `${render(e.left, ATOM)} ${e.op} ${render(e.right, ATOM)}`;
    case 'in': return `${render(e.value, ATOM)} ${e.op} ${renderNode(e.list)}`;
    case 'occurs': return `${render(e.target, ATOM)} occurs ${renderWhen(e.when)}`;
    case 'stringTest': {
      const flag = e.caseSensitive ? '' : ', false';
      return `${render(e.target, ATOM)}.${e.fn}(${quote(e.pattern)}${flag})`;
    }
    case 'nullTest': return `${render(e.target, ATOM)}.${e.fn}()`;
    case 'inSegment': return `inSegment(${quote(e.segmentId)})`;
    case 'call': {
      const specs: readonly ArgSpec[] = CALLS[e.fn].args;
      const args = e.args.map((a, k) => arg(a, specs[k])).join(', ');
      return e.target ? `${render(e.target, ATOM)}.${e.fn}(${args})` : `${e.fn}(${args})`;
    }
    case 'quantifier':
      return `${e.q} ${e.bindings.map((b) => `${b.name} from ${render(b.source, ATOM)}${b.where ? ` where ${render(b.where, OR)}` : ''}`).join(', ')}`;
    case 'forall': return `forall ${e.name} from ${render(e.source, ATOM)} : ${render(e.cond, OR)}`;
    case 'let': return `let ${e.bindings.map((b) => `${b.name} = ${render(b.value, ATOM)}`).join(', ')} in (${render(e.body, FORM)})`;
    case 'aggregate': {
      const b = e.binding;
      return `${e.fn} ${render(e.value, ATOM)} over ${b.name} from ${render(b.source, ATOM)}${b.where ? ` where ${render(b.where, OR)}` : ''}`;
    }
    case 'chain': {
      const steps = e.steps.map((s) => `${s.name}: WHAT(${render(s.what, FORM)})${s.when ? ` WHEN(${renderWhen(s.when)})` : ''}`);
      return `chain(${render(e.source, ATOM)}, ${e.timeField.join('.')}, [${steps.join(', ')}])`;
    }
    default: return assertNever(e);
  }
}

/** Canonical pql/text for an AST (AEP's call style, minimal parentheses). */
export function renderPql(e: Expr): string {
  return render(e, FORM);
}
