import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config/env';
import type { Config } from '../config/env';
import { buildInfra } from '../infra/deps';
import { createApp } from './app';

/** The API app over the real dependencies (Mongo stores, a Temporal client), not yet served, and its infrastructure; `close` releases them. */
export async function buildApi(cfg: Config) {
  if (!cfg.api.apiKey) throw new Error('OPENXP_API_KEY is not set: `npm run dev` generates one; in production set it explicitly.');
  const infra = await buildInfra(cfg);
  const connection = await Connection.connect({ address: cfg.temporal.address! });
  const temporal = new Client({ connection, namespace: cfg.temporal.namespace });
  const app = createApp({
    stores: infra.stores, temporal, secrets: infra.secrets, apiKey: cfg.api.apiKey, defaultSandbox: cfg.defaultSandbox, tenantId: cfg.tenantId,
    temporalUiUrl: cfg.temporal.uiUrl, namespace: cfg.temporal.namespace, now: () => Date.now(), newId: randomUUID,
    landing: { s3: infra.s3For(), bucket: cfg.s3.landingBucket },
  });
  return {
    app,
    infra,
    async close() {
      await connection.close();
      await infra.close();
    },
  };
}

/** Builds the real dependencies and serves the API; resolves with the listening URL and a closer. */
export async function startApi(cfg: Config) {
  const { app, close } = await buildApi(cfg);
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: cfg.api.port, hostname: cfg.api.host }, () => resolve(s));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : cfg.api.port;
  return {
    url: `http://${cfg.api.host}:${port}`,
    async close() {
      await new Promise((r) => server.close(r));
      await close();
    },
  };
}

if (require.main === module) {
  startApi(loadConfig()).then((api) => {
    console.log(`OpenXP API listening on ${api.url}`);
    const stop = () => void api.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
