import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../../config/env';
import { buildInfra } from '../../infra/deps';
import { createApp } from '../../api/app';
import type { ApiDeps } from '../../api/context';

/** The stack `npm test` started, from the environment; fails clearly when run without it. */
export function testConfig() {
  if (!process.env.OPENXP_TEST_STACK) throw new Error('This test needs the real stack: run it through `npm test` (e.g. `npm test -- --selectProjects api`).');
  return loadConfig(process.env);
}

/**
 * createApp over real Mongo and a real Temporal client, for `app.request` tests. `db` gives a test
 * a database of its own (FerretDB scans whole collections, so a big test would slow every later one).
 */
export async function realApp(opts: { db?: string } = {}) {
  const base = testConfig();
  const cfg = opts.db ? { ...base, mongo: { ...base.mongo, db: opts.db } } : base;
  const infra = await buildInfra(cfg);
  const connection = await Connection.connect({ address: cfg.temporal.address! });
  const deps: ApiDeps = {
    stores: infra.stores, temporal: new Client({ connection, namespace: cfg.temporal.namespace }), secrets: infra.secrets, apiKey: cfg.api.apiKey!,
    defaultSandbox: cfg.defaultSandbox, tenantId: cfg.tenantId, namespace: cfg.temporal.namespace, now: () => Date.now(), newId: randomUUID,
    landing: { s3: infra.s3For(), bucket: cfg.s3.landingBucket },
  };
  const app = createApp(deps);
  const request = (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; raw?: string } = {}) =>
    app.request(path, {
      method,
      headers: { 'x-api-key': cfg.api.apiKey!, ...(opts.body !== undefined || opts.raw !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
      body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
  return { cfg, app, deps, request, async close() { await connection.close(); await infra.close(); } };
}
