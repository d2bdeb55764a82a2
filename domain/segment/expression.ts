import { parsePql, fromPqlJson } from '../pql';
import type { Expr } from '../pql';
import { DomainError } from '../shared/errors';
import type { SegmentDefinition } from './model';

/** The AST of a segment definition's expression, from either AEP format. */
export function expressionAst(expr: SegmentDefinition['expression']): Expr {
  if (expr.type !== 'PQL') throw new DomainError('VALIDATION', `expression.type must be "PQL"`, 'expression.type');
  if (expr.format === 'pql/text') return parsePql(expr.value);
  if (expr.format === 'pql/json') {
    let json: unknown;
    try {
      json = typeof expr.value === 'string' ? JSON.parse(expr.value) : expr.value;
    } catch {
      throw new DomainError('VALIDATION', 'expression.value is not valid JSON for format pql/json', 'expression.value');
    }
    return fromPqlJson(json);
  }
  throw new DomainError('VALIDATION', `expression.format must be "pql/text" or "pql/json"`, 'expression.format');
}

export const PROFILE_FIELD_PREFIX = 'entity.';
export const MEMBERSHIP_PREFIX = 'segmentMembership.ups.';
