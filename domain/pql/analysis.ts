/**
 * Static facts about an expression that jobs and the definitions API need: whether it can be
 * evaluated continuously (streaming), whether it reads events, and how far back in time the
 * events it can look at go (so a job loads only those).
 */
import { TIME_UNITS, children, scopedChildren, someNode, type Binding, type Expr, type When } from './ast';
import { Evaluator } from './evaluate';
import { renderPql } from './text';
import { isoOf, parseTimestamp, whenRanges } from './time';

/** Whether a definition can be evaluated continuously (on each profile change), and if not why. */
export type StreamingEligibility = { eligible: true } | { eligible: false; reason: string };

/** True when evaluating the expression needs the profile's ExperienceEvents (so a job loads them). */
export function usesEvents(ast: Expr): boolean {
  return someNode(ast, (n) => n.kind === 'xEvent');
}

const HOUR = 3_600_000;
const UNIT_MS: Record<string, number> = { millisecond: 1, second: 1000, minute: 60_000, hour: HOUR, day: 24 * HOUR, week: 168 * HOUR };

/** The conjuncts of a condition (a and b and c → [a, b, c]). */
const conjuncts = (e: Expr): Expr[] => (e.kind === 'and' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e]);

/** Is `e` the timestamp of the event bound to `name`? */
const isTimestampOf = (e: Expr, name: string) => e.kind === 'var' && e.name === name && e.path.length === 1 && e.path[0] === 'timestamp';

/** A WHEN that keeps events within the last 24 hours (relative to now). */
function within24h(w: When): boolean {
  if (w.test === 'on') return w.time.kind === 'time' && w.time.name === 'today';
  if (w.test !== 'distance' || w.direction !== 'before' || w.time.kind !== 'time' || w.time.name !== 'now') return false;
  if (!['<', '<=', '='].includes(w.op)) return false;
  const ms = UNIT_MS[w.unit];
  return ms !== undefined && w.amount * ms <= 24 * HOUR;
}

/**
 * AEP's rule: streaming segmentation covers profile attributes, a single event (an `exists`
 * over xEvent) with or without profile attributes, and such an event within a time window of
 * at most 24 hours before now; everything else (counts, sums and other aggregates, sequences,
 * `forall`, `select`, `let`, negated or longer-window event conditions) is batch-only.
 */
export function streamingEligibility(ast: Expr): StreamingEligibility {
  const no = (reason: string): StreamingEligibility => ({ eligible: false, reason });
  const visit = (e: Expr, negated: boolean): StreamingEligibility => {
    if (!usesEvents(e)) return { eligible: true };
    switch (e.kind) {
      case 'and': case 'or': {
        const l = visit(e.left, negated);
        return l.eligible ? visit(e.right, negated) : l;
      }
      case 'not': return visit(e.operand, !negated);
      case 'quantifier': {
        if (e.q === 'select') return no('select over events is evaluated in batch only');
        if (negated) return no(`a negated event condition (not ${renderPql(e)}) needs the whole event history: batch only`);
        const [first, ...rest] = e.bindings;
        if (first.source.kind !== 'xEvent') return no('exists over something other than xEvent is evaluated in batch only');
        if (rest.some((b) => usesEvents(b.source))) return no('exists over more than one event is evaluated in batch only');
        const conds = e.bindings.flatMap((b) => (b.where ? conjuncts(b.where) : []));
        for (const c of conds) {
          if (c.kind === 'occurs' && isTimestampOf(c.target, first.name)) {
            if (!within24h(c.when)) return no(`the event time window (${renderPql(c)}) is longer than 24 hours or not relative to now: batch only`);
          } else if (someNode(c, (n) => n.kind === 'xEvent' || n.kind === 'occurs' || (n.kind === 'var' && n.name === first.name && n.path[0] === 'timestamp'))) {
            return no(`the event condition ${renderPql(c)} looks at event times or other events: batch only`);
          }
        }
        return { eligible: true };
      }
      case 'aggregate': return no(`the aggregate ${e.fn} over events counts or sums several events: batch only`);
      case 'chain': return no('a sequence of events (chain) is evaluated in batch only');
      case 'forall': return no('forall over events needs the whole event history: batch only');
      case 'let': return no('let over events is evaluated in batch only');
      case 'call': return no(`${e.fn}() over events looks at several events: batch only`);
      default: {
        // Name the event construct inside (a comparison of xEvent.count(), …) rather than the whole clause.
        const inner = children(e).find(usesEvents);
        return inner ? visit(inner, negated) : no(`${renderPql(e)} uses events in a way streaming cannot evaluate: batch only`);
      }
    }
  };
  return visit(ast, false);
}

/**
 * The earliest timestamp (ISO) of an event the expression can look at, given the pinned now; null
 * when some use of xEvent is not bounded in time (or the expression reads no events: check
 * usesEvents first). Bounds come from `occurs` and `>`/`>=` on the event's timestamp in the where
 * of an exists/select/aggregate over xEvent, a filter(…) on xEvent, or the first step of a chain.
 */
export function eventWindow(ast: Expr, now: Date): string | null {
  const ev = new Evaluator({ entity: {} }, { now });
  const env = ev.root;
  const constant = (e: Expr) => !someNode(e, (n) => ['field', 'var', 'xEvent', 'inSegment'].includes(n.kind));

  /** Lower bound on the event time implied by a condition (−∞ when none). */
  const lower = (c: Expr, isTs: (e: Expr) => boolean): number => {
    switch (c.kind) {
      case 'and': return Math.max(lower(c.left, isTs), lower(c.right, isTs));
      case 'or': return Math.min(lower(c.left, isTs), lower(c.right, isTs));
      case 'occurs': {
        if (!isTs(c.target)) return -Infinity;
        return whenLower(c.when);
      }
      case 'compare': {
        const [ts, other, op] = isTs(c.left) ? [c.left, c.right, c.op] : isTs(c.right) ? [c.right, c.left, ({ '<': '>', '<=': '>=', '>': '<', '>=': '<=' } as Record<string, string>)[c.op] ?? c.op] : [];
        if (!ts || !other || !constant(other) || !['>', '>=', '='].includes(op!)) return -Infinity;
        const t = parseTimestamp(ev.value(other, env));
        return t ?? -Infinity;
      }
      default: return -Infinity;
    }
  };
  const whenLower = (w: When): number => {
    const times = w.test === 'between' ? [w.time, w.until] : [w.time];
    if (!times.every((t) => t.kind === 'period' || constant(t))) return -Infinity;
    const ref = ev.interval(w.time, env);
    const until = w.test === 'between' ? ev.interval(w.until, env) : undefined;
    if (!ref || until === null) return Infinity;
    const ranges = whenRanges(w, ref, until).filter((r) => r.start < r.end);
    return ranges.length ? Math.min(...ranges.map((r) => r.start)) : Infinity;
  };
  const bindingLower = (b: Binding) => (b.where ? lower(b.where, (e) => isTimestampOf(e, b.name)) : -Infinity);

  let earliest = Infinity;
  let bounded = true;
  const use = (t: number) => {
    if (t === -Infinity || Number.isNaN(t)) bounded = false;
    else earliest = Math.min(earliest, t);
  };
  const visit = (e: Expr): void => {
    let handled: Expr[] = [];
    if (e.kind === 'quantifier' && e.bindings[0].source.kind === 'xEvent') {
      use(bindingLower(e.bindings[0]));
      handled = [e.bindings[0].source];
    } else if (e.kind === 'aggregate' && e.binding.source.kind === 'xEvent') {
      use(bindingLower(e.binding));
      handled = [e.binding.source];
    } else if (e.kind === 'chain' && e.source.kind === 'xEvent') {
      const first = e.steps[0];
      const isTs = (x: Expr) => x.kind === 'field' && x.path.join('.') === e.timeField.join('.');
      use(Math.max(first.when ? whenLower(first.when) : -Infinity, lower(first.what, isTs)));
      handled = [e.source];
    } else if (e.kind === 'call' && e.fn === 'filter' && e.target?.kind === 'xEvent') {
      use(lower(e.args[0], (x) => x.kind === 'field' && x.path.length === 1 && x.path[0] === 'timestamp'));
      handled = [e.target];
    } else if (e.kind === 'xEvent') {
      use(-Infinity);
    }
    for (const [c] of scopedChildren(e)) if (!handled.includes(c)) visit(c);
  };
  visit(ast);
  if (!bounded || earliest === Infinity) return bounded && earliest === Infinity && usesEvents(ast) ? isoOf(now.getTime()) ?? null : null;
  return isoOf(Math.max(earliest, -62_167_219_200_000)) ?? null;
}

void TIME_UNITS;
