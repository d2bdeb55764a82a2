import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodType } from 'zod';
import type { AppEnv } from './context';

export type Router = OpenAPIHono<AppEnv>;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface OpSpec<B extends ZodType | undefined, Q extends ZodType | undefined> {
  method: Method;
  path: string;
  tag: string;
  summary: string;
  body?: B;
  query?: Q;
  /** Status of a success (documented); the handler still returns its own Response. */
  status?: number;
}

type Infer<T> = T extends ZodType<infer O> ? O : undefined;

/**
 * Registers one endpoint with its zod schemas, so requests are validated and the OpenAPI document
 * is generated from the same schemas. Path parameters use AEP's `{name}` form.
 */
export function op<B extends ZodType | undefined = undefined, Q extends ZodType | undefined = undefined>(
  app: Router,
  spec: OpSpec<B, Q>,
  handler: (c: Context<AppEnv>, v: { body: Infer<B>; query: Infer<Q>; params: Record<string, string> }) => Promise<Response> | Response,
): void {
  const route = createRoute({
    method: spec.method,
    path: spec.path,
    tags: [spec.tag],
    summary: spec.summary,
    request: {
      ...(spec.body ? { body: { content: { 'application/json': { schema: spec.body as any } }, required: true } } : {}),
      ...(spec.query ? { query: spec.query as any } : {}),
    },
    responses: {
      [spec.status ?? 200]: { description: 'Success' },
      400: { description: 'Malformed request (RFC 7807 problem)' },
      401: { description: 'Missing or invalid API key' },
      404: { description: 'Not found' },
      422: { description: 'Well-formed but semantically invalid' },
    },
    security: [{ apiKey: [] }],
  });
  app.openapi(route, (async (c: Context<AppEnv>) => {
    const v = c.req as unknown as { valid(t: string): unknown };
    return handler(c, {
      body: (spec.body ? v.valid('json') : undefined) as Infer<B>,
      query: (spec.query ? v.valid('query') : undefined) as Infer<Q>,
      params: c.req.param() as Record<string, string>,
    });
  }) as any);
}
