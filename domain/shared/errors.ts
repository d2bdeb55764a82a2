/** Error codes the domain raises; the API maps each to an HTTP status, activities to non-retryable failures. */
export type DomainErrorCode =
  | 'VALIDATION' // malformed input (400)
  | 'SCHEMA_VALIDATION' // record or object does not satisfy a schema (422)
  | 'UNKNOWN_FIELD' // a path unknown to the schema (422)
  | 'PQL_SYNTAX' // PQL text that does not parse (400)
  | 'PQL_TYPE' // PQL that parses but does not type-check (422)
  | 'UNPROCESSABLE' // well-formed but semantically wrong (422)
  | 'NOT_FOUND' // 404
  | 'CONFLICT' // 409
  | 'PRECONDITION_FAILED'; // 412

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** Dotted path of the offending field, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const isDomainError = (e: unknown): e is DomainError =>
  e instanceof Error && (e as { name?: string }).name === 'DomainError';
