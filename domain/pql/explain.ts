/**
 * Why a profile does or does not qualify: the expression tree with each clause's value for one
 * profile and, for event clauses, the ids of the events that satisfied them.
 */
import { CALLS, scopedChildren, type ArgSpec, type Expr } from './ast';
import { Evaluator, type Env, type PqlContext, type PqlProfile } from './evaluate';
import { renderPql } from './text';

/** One clause of an expression with its value for one profile (and, for event clauses, the events that satisfied it). */
export interface ExplainNode { text: string; value: unknown; children: ExplainNode[]; events?: string[] }

const idsOf = (items: unknown[]): string[] =>
  items.flatMap((x) => (x !== null && typeof x === 'object' && typeof (x as { _id?: unknown })._id === 'string' ? [(x as { _id: string })._id] : []));

/**
 * Explains every node evaluated in the profile's own scope: boolean structure, comparison
 * operands, function receivers and arguments, let bindings and bodies, the sources of
 * quantifiers, aggregates and chains. Clauses evaluated once per item (a where, a filter's
 * condition, a chain step's WHAT) are summarised by their node's `events` instead of expanded.
 */
export function explainPql(ast: Expr, profile: PqlProfile, ctx: PqlContext): ExplainNode {
  const ev = new Evaluator(profile, ctx);
  const explain = (e: Expr, env: Env): ExplainNode => {
    const value = Evaluator.isCondition(e) ? ev.test(e, env) : ev.value(e, env);
    const node: ExplainNode = { text: renderPql(e), value, children: [] };
    switch (e.kind) {
      case 'let': {
        let inner = env;
        for (const b of e.bindings) {
          const child = explain(b.value, inner);
          node.children.push({ ...child, text: `${b.name} = ${child.text}` });
          inner = { implicit: inner.implicit, vars: { ...inner.vars, [b.name]: child.value } };
        }
        node.children.push(explain(e.body, inner));
        return node;
      }
      case 'quantifier': {
        node.children.push(explain(e.bindings[0].source, env));
        if (e.bindings[0].source.kind === 'xEvent') node.events = idsOf(ev.firstMatches(e.bindings, env));
        return node;
      }
      case 'aggregate': {
        const b = e.binding;
        node.children.push(explain(b.source, env));
        if (b.source.kind === 'xEvent') {
          node.events = idsOf(ev.items(b.source, env).filter((x) => !b.where || ev.test(b.where, { implicit: env.implicit, vars: { ...env.vars, [b.name]: x } })));
        }
        return node;
      }
      case 'forall': {
        node.children.push(explain(e.source, env));
        if (e.source.kind === 'xEvent') {
          node.events = idsOf(ev.items(e.source, env).filter((x) => ev.test(e.cond, { implicit: env.implicit, vars: { ...env.vars, [e.name]: x } })));
        }
        return node;
      }
      case 'chain': {
        node.children.push(explain(e.source, env));
        node.events = idsOf(ev.chain(e, env) ?? []);
        return node;
      }
      case 'call': {
        if (e.target) node.children.push(explain(e.target, env));
        const specs: readonly ArgSpec[] = CALLS[e.fn].args;
        e.args.forEach((a, k) => { if (specs[k]?.type === 'expr') node.children.push(explain(a, env)); });
        if (e.target?.kind === 'xEvent' && Array.isArray(value)) node.events = idsOf(value);
        return node;
      }
      case 'xEvent': {
        // The events themselves would swamp the explanation: their number and ids.
        const all = ev.items(e, env);
        return { ...node, value: all.length, events: idsOf(all) };
      }
      default:
        for (const [c, same] of scopedChildren(e)) {
          if (same && !(c.kind === 'literal' && c.type === 'list' && e.kind === 'in') && c.kind !== 'period') node.children.push(explain(c, env));
        }
        return node;
    }
  };
  return explain(ast, ev.root);
}
