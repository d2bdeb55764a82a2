/**
 * PQL (Profile Query Language): parse pql/text or pql/json, render either form, type-check
 * against the profile and ExperienceEvent union schemas, evaluate in memory, compile to a
 * MongoDB filter, analyse (streaming eligibility, event use and time window) and explain.
 * Pure: no I/O, clock or randomness; `now` comes in through the evaluation context.
 */
export type {
  Expr, Literal, ScalarLiteral, ListLiteral, StringLiteral, IntegerLiteral, DecimalLiteral, BooleanLiteral,
  NullLiteral, DateLiteral, FieldRef, CompareOp, Compare, And, Or, Not, InList, StringFn, StringTest, NullTest, InSegment,
  VarRef, XEventRef, TimeRef, TimeName, TimeUnit, Period, Call, CallFn, Binding, Quantifier, Forall, Aggregate, AggregateFn,
  Let, When, Occurs, Chain, ChainStep,
} from './ast';
export { STRING_FNS, CASE_FLAG_FNS, CALL_FNS, TIME_UNITS, pqlFieldPaths, pqlSegmentIds } from './ast';
export { parsePql } from './parser';
export { renderPql } from './text';
export { toPqlJson, fromPqlJson, parsePqlJsonText, type PqlJson, type PqlLiteralType } from './json';
export { checkPql } from './typecheck';
export { evaluatePql, evaluatePqlValue, type PqlProfile, type PqlContext, type PqlEvent } from './evaluate';
export { streamingEligibility, usesEvents, eventWindow, type StreamingEligibility } from './analysis';
export { explainPql, type ExplainNode } from './explain';
export { compileToMongo, type MongoCompileOptions, type MongoFilter } from './to-mongo';
