import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { ApiDeps, AppEnv } from '../context';
import { ApiError } from '../errors';

const PUBLIC = new Set(['/health', '/openapi.json', '/docs']);

export const requestId = (newId: () => string): MiddlewareHandler<AppEnv> => async (c, next) => {
  const id = c.req.header('x-request-id') ?? newId();
  c.set('requestId', id);
  c.header('x-request-id', id);
  await next();
};

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** `x-api-key` or `Authorization: Bearer` must carry the configured key. */
export const auth = (deps: ApiDeps): MiddlewareHandler<AppEnv> => async (c, next) => {
  if (PUBLIC.has(c.req.path)) return next();
  const bearer = c.req.header('authorization')?.replace(/^Bearer\s+/i, '');
  const key = c.req.header('x-api-key') ?? bearer;
  if (!key || !same(key, deps.apiKey)) throw new ApiError(401, 'UNAUTHORIZED', 'Missing or invalid API key: send it in x-api-key or Authorization: Bearer');
  await next();
};

/** `x-sandbox-name` selects the tenant; every stored object and query is scoped to it. */
export const sandbox = (deps: ApiDeps): MiddlewareHandler<AppEnv> => async (c, next) => {
  const name = c.req.header('x-sandbox-name') ?? deps.defaultSandbox;
  if (!/^[a-z0-9-]{1,64}$/.test(name)) throw new ApiError(400, 'VALIDATION', 'x-sandbox-name: must be 1-64 lower-case letters, digits or hyphens');
  c.set('sandbox', name);
  c.set('deps', deps);
  await next();
};
