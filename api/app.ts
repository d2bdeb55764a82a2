import { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps, AppEnv } from './context';
import { ApiError, problem } from './errors';
import { auth, requestId, sandbox } from './middleware/core';
import { catalogRoutes } from './routes/catalog';
import { docsPage } from './routes/docs';
import { flowServiceRoutes } from './routes/flowservice';
import { profileRoutes } from './routes/profile';
import { identityGraphRoutes } from './routes/identity-graph';
import { namespaceRoutes } from './routes/namespaces';
import { schemaRegistryRoutes } from './routes/schemaregistry';
import { segmentationRoutes } from './routes/segmentation';
import { scheduleRoutes } from './routes/schedules';
import { exportJobRoutes } from './routes/export-jobs';
import { previewRoutes } from './routes/preview';
import { explainRoutes } from './routes/explain';
import { ingestRoutes } from './routes/ingest';
import { privacyRoutes } from './routes/privacy';

/** The whole HTTP API; `api/server.ts` only builds deps and serves this. */
export function createApp(deps: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || 'body';
        throw new ApiError(400, 'VALIDATION', `${field}: ${issue.message}`, { issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
      }
    },
  });
  app.use('*', requestId(deps.newId));
  app.use('*', auth(deps));
  app.use('*', sandbox(deps));
  app.onError((err, c) => problem(c, err));
  app.notFound((c) => problem(c, new ApiError(404, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}`)));

  app.get('/health', async (c) => {
    await deps.stores.db.command({ ping: 1 });
    return c.json({ status: 'ok' });
  });
  schemaRegistryRoutes(app);
  catalogRoutes(app);
  flowServiceRoutes(app);
  profileRoutes(app);
  identityGraphRoutes(app);
  namespaceRoutes(app);
  segmentationRoutes(app);
  scheduleRoutes(app);
  exportJobRoutes(app);
  previewRoutes(app);
  explainRoutes(app);
  ingestRoutes(app);
  privacyRoutes(app);

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', { type: 'apiKey', in: 'header', name: 'x-api-key' });
  app.doc('/openapi.json', {
    openapi: '3.0.3',
    info: { title: 'OpenXP API', version: '0.1.0', description: 'Adobe Experience Platform-shaped API of OpenXP. Send x-api-key and x-sandbox-name.' },
  });
  app.get('/docs', (c) => c.html(docsPage()));
  return app;
}
