/**
 * AST → pql/text. Output parses back to the same AST (a property test holds us to it), so
 * parentheses are added exactly where the grammar's precedence would otherwise regroup.
 */
import { assertNever, parseIsoDate, type Expr, type ScalarLiteral } from './ast';

// Binding strength of each node when it appears as an operand.
const OR = 1;
const AND = 2;
const NOT = 3;
const CMP = 4;
const ATOM = 5;

function precedence(e: Expr): number {
  switch (e.kind) {
    case 'or': return OR;
    case 'and': return AND;
    case 'not': return NOT;
    case 'compare': case 'in': return CMP;
    default: return ATOM;
  }
}

/** JSON-style escaping covers everything the tokenizer's escapes accept and nothing more. */
const quote = (s: string): string =>
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

function renderNode(e: Expr): string {
  switch (e.kind) {
    case 'literal': return e.type === 'list' ? `[${e.items.map(scalar).join(', ')}]` : scalar(e);
    case 'field': return e.path.join('.');
    case 'or': return `${render(e.left, OR)} or ${render(e.right, AND)}`;
    case 'and': return `${render(e.left, AND)} and ${render(e.right, NOT)}`;
    // AEP writes not(...) with parentheses; the operand's own parens make that free.
    case 'not': return `not(${render(e.operand, OR)})`;
    case 'compare': return `${render(e.left, ATOM)} ${e.op} ${render(e.right, ATOM)}`;
    case 'in': return `${render(e.value, ATOM)} ${e.op} ${renderNode(e.list)}`;
    case 'stringTest': {
      const flag = e.caseSensitive ? '' : ', false';
      return `${render(e.target, ATOM)}.${e.fn}(${quote(e.pattern)}${flag})`;
    }
    case 'nullTest': return `${render(e.target, ATOM)}.${e.fn}()`;
    case 'inSegment': return `inSegment(${quote(e.segmentId)})`;
    default: return assertNever(e);
  }
}

/** Canonical pql/text for an AST (AEP's call style, minimal parentheses). */
export function renderPql(e: Expr): string {
  return render(e, OR);
}
