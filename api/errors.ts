import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isDomainError } from '../domain/shared/errors';
import type { DomainErrorCode } from '../domain/shared/errors';

/** The one API error: a status, an AEP-style code and a message that names the field and the rule. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly report?: unknown) {
    super(message);
  }
}

const STATUS: Record<DomainErrorCode, number> = {
  VALIDATION: 400, PQL_SYNTAX: 400, SCHEMA_VALIDATION: 422, UNKNOWN_FIELD: 422, PQL_TYPE: 422, UNPROCESSABLE: 422,
  NOT_FOUND: 404, CONFLICT: 409, PRECONDITION_FAILED: 412,
};

export const notFound = (what: string, id: string) => new ApiError(404, 'NOT_FOUND', `${what} ${id} not found`);
export const badRequest = (message: string) => new ApiError(400, 'VALIDATION', message);
export const unprocessable = (message: string) => new ApiError(422, 'UNPROCESSABLE', message);

/** RFC 7807 body; Temporal "already started" → 409, "not found" → 404; anything unknown → 500 without internals. */
export function problem(c: Context, err: unknown): Response {
  let status = 500;
  let code = 'INTERNAL';
  let detail = 'Internal server error';
  let report: unknown;
  const name = (err as { name?: string })?.name;
  if (err instanceof ApiError) ({ status, code, message: detail, report } = err);
  else if (isDomainError(err)) {
    status = STATUS[err.code];
    code = err.code;
    detail = err.message;
    report = err.field ? { field: err.field } : undefined;
  } else if (err instanceof HTTPException) {
    status = err.status;
    code = status === 400 ? 'VALIDATION' : 'HTTP';
    detail = err.message || 'Bad request';
  } else if (name === 'WorkflowExecutionAlreadyStartedError') {
    status = 409;
    code = 'CONFLICT';
    detail = 'Already started';
  } else if (name === 'WorkflowNotFoundError') {
    status = 404;
    code = 'NOT_FOUND';
    detail = 'Workflow not found';
  } else if (err instanceof SyntaxError) {
    status = 400;
    code = 'VALIDATION';
    detail = `Malformed JSON body: ${err.message}`;
  }
  const requestId = c.get('requestId' as never) as string | undefined;
  if (status >= 500) console.error(`[api] ${requestId ?? ''} ${c.req.method} ${c.req.path}`, err);
  return c.json(
    { type: `https://openxp.dev/errors/${code}`, title: code, status, detail, ...(report ? { report } : {}), requestId },
    status as 400,
    { 'content-type': 'application/problem+json' },
  );
}
