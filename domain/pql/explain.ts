import { children } from './ast';
import type { Expr } from './ast';
import { evaluatePql } from './evaluate';
import type { PqlContext, PqlProfile } from './evaluate';
import { renderPql } from './text';

/** One clause of an expression with its value for one profile (and, for event clauses, the events that satisfied it). */
export interface ExplainNode { text: string; value: unknown; children: ExplainNode[]; events?: string[] }

/** The expression tree with the truth value of each boolean clause for one profile. First slice: boolean structure only. */
export function explainPql(ast: Expr, profile: PqlProfile, ctx: PqlContext): ExplainNode {
  const kids = ast.kind === 'and' || ast.kind === 'or' || ast.kind === 'not' ? children(ast).map((c) => explainPql(c, profile, ctx)) : [];
  return { text: renderPql(ast), value: evaluatePql(ast, profile, ctx), children: kids };
}
