import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/env';
import { startStack } from './stack';
import type { StackInfo, StackOptions } from './stack';
import { startApi } from '../api/server';
import { startWorkers } from '../workers/start';
import { TASK_QUEUES } from '../workflows/definitions';
import type { WorkerKind } from '../workflows/definitions';

/** The config a process gets once the stack is up: every service address filled in. */
export function withStack(cfg: Config, info: StackInfo, apiKey: string): Config {
  return {
    ...cfg,
    api: { ...cfg.api, apiKey },
    mongo: { uri: info.mongoUri, db: info.mongoDb },
    temporal: { address: info.temporalAddress, namespace: info.temporalNamespace, uiUrl: info.temporalUiUrl },
    s3: { endpoint: info.s3Endpoint, region: info.s3Region, accessKeyId: info.s3AccessKeyId, secretAccessKey: info.s3SecretAccessKey, landingBucket: cfg.s3.landingBucket },
  };
}

/** Environment variables that describe a running stack to a child process (jest, a worker). */
export function stackEnv(cfg: Config): Record<string, string> {
  return {
    MONGODB_URI: cfg.mongo.uri!, MONGODB_DB: cfg.mongo.db, TEMPORAL_ADDRESS: cfg.temporal.address!, TEMPORAL_NAMESPACE: cfg.temporal.namespace,
    ...(cfg.temporal.uiUrl ? { TEMPORAL_UI_URL: cfg.temporal.uiUrl } : {}),
    S3_ENDPOINT: cfg.s3.endpoint!, S3_REGION: cfg.s3.region, S3_ACCESS_KEY_ID: cfg.s3.accessKeyId!, S3_SECRET_ACCESS_KEY: cfg.s3.secretAccessKey!, OPENXP_LANDING_BUCKET: cfg.s3.landingBucket,
    OPENXP_API_KEY: cfg.api.apiKey!, OPENXP_TENANT_ID: cfg.tenantId, OPENXP_DEFAULT_SANDBOX: cfg.defaultSandbox,
  };
}

/** The dev API key: the configured one, else one generated once and kept in the state folder. */
export function devApiKey(cfg: Config): string {
  if (cfg.api.apiKey) return cfg.api.apiKey;
  const file = path.resolve(cfg.stateDir, 'api-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = `oxp_${randomBytes(18).toString('hex')}`;
  fs.writeFileSync(file, key, { mode: 0o600 });
  return key;
}

export interface PlatformOptions extends Omit<StackOptions, 'log'> {
  api: boolean;
  workers: WorkerKind[] | 'all';
  apiKey: string;
  apiPort?: number;
  log: (line: string) => void;
}

/** Stack + workers + API in this process: what `npm run dev`, `npm run demo` and `npm test` share. */
export async function startPlatform(base: Config, opts: PlatformOptions) {
  const stack = await startStack(base, opts);
  const cfg = withStack({ ...base, api: { ...base.api, port: opts.apiPort ?? base.api.port } }, stack.info, opts.apiKey);
  const kinds = opts.workers === 'all' ? (Object.keys(TASK_QUEUES) as WorkerKind[]) : opts.workers;
  const stops: (() => Promise<void>)[] = [() => stack.stop()];
  try {
    if (kinds.length) {
      const t = Date.now();
      const w = await startWorkers(cfg, kinds);
      stops.unshift(() => w.shutdown());
      opts.log(`[openxp] workers polling ${kinds.map((k) => TASK_QUEUES[k]).join(', ')} (${((Date.now() - t) / 1000).toFixed(1)}s, includes bundling workflows)`);
    }
    let apiUrl: string | undefined;
    if (opts.api) {
      const api = await startApi(cfg);
      stops.unshift(() => api.close());
      apiUrl = api.url;
      opts.log(`[openxp] API listening on ${api.url}`);
    }
    return {
      cfg, info: stack.info, apiUrl,
      async stop() {
        for (const s of stops) await s().catch((e) => opts.log(`[openxp] stop: ${(e as Error).message}`));
      },
    };
  } catch (e) {
    for (const s of stops) await s().catch(() => undefined);
    throw e;
  }
}
