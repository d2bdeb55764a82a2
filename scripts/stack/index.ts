import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import type { Config } from '../../config/env';
import { ensureTools, type Log } from './provision';
import {
  DEFAULT_PORTS, ferretdbArgs, freePort, motoArgs, portConflictMessage, portFree, spawnService, stopService,
  temporalArgs, waitReady, type Service,
} from './services';

export { ensureTools, neededTools, type Log, type Tools } from './provision';
export { DEFAULT_PORTS, SEARCH_ATTRIBUTES, TEMPORAL_DYNAMIC_CONFIG, ferretdbArgs, motoArgs, temporalArgs } from './services';

export interface StackInfo {
  mongoUri: string; mongoDb: string;
  temporalAddress: string; temporalNamespace: string; temporalUiUrl?: string;
  s3Endpoint: string; s3Region: string; s3AccessKeyId: string; s3SecretAccessKey: string;
}
export interface RunningStack { info: StackInfo; stop(): Promise<void> }
export interface StackOptions {
  /** Temporal Web UI on (dev/demo) or off (CI/tests). */
  ui: boolean;
  /** default: 7233/27017/4566 (UI 8233); random: free ports, so tests never clash with a dev stack. */
  ports: 'default' | 'random';
  /** Where this stack keeps state and logs; 'random' non-persistent stacks delete it on stop. */
  dataDir: string;
  /** Keep Temporal and FerretDB data between runs (dev) vs throwaway. */
  persistent: boolean;
  log: Log;
}

interface Ports { temporal: number; temporalUi?: number; mongo: number; s3: number }

async function choosePorts(cfg: Config, opts: StackOptions): Promise<Ports> {
  if (opts.ports === 'random') {
    return { temporal: await freePort(), temporalUi: opts.ui ? await freePort() : undefined, mongo: await freePort(), s3: await freePort() };
  }
  const wanted: [keyof Ports, boolean][] = [
    ['temporal', !cfg.temporal.address], ['temporalUi', !cfg.temporal.address && opts.ui],
    ['mongo', !cfg.mongo.uri], ['s3', !cfg.s3.endpoint],
  ];
  const busy: string[] = [];
  for (const [svc, needed] of wanted) if (needed && !(await portFree(DEFAULT_PORTS[svc]))) busy.push(portConflictMessage(DEFAULT_PORTS[svc], svc));
  if (busy.length) throw new Error(busy.join('\n'));
  return { ...DEFAULT_PORTS, temporalUi: opts.ui ? DEFAULT_PORTS.temporalUi : undefined };
}

async function temporalReady(address: string, namespace: string): Promise<void> {
  const conn = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    // A list query on a custom attribute proves frontend, visibility and attribute registration.
    await conn.workflowService.listWorkflowExecutions({ namespace, query: 'OpenXPSandbox = "x"', pageSize: 1 });
  } finally {
    await conn.close();
  }
}

async function mongoReady(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000, connectTimeoutMS: 2000 });
  try {
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

async function httpReady(url: string): Promise<void> {
  await fetch(url, { signal: AbortSignal.timeout(2000) }); // any HTTP answer means it is serving
}

/** Starts whatever the config does not point at; resolves once every started service answers. */
export async function startStack(cfg: Config, opts: StackOptions): Promise<RunningStack> {
  const t0 = Date.now();
  const dataDir = path.resolve(opts.dataDir);
  const logDir = path.join(dataDir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const tools = await ensureTools(cfg, opts.log);
  const ports = await choosePorts(cfg, opts);
  const info: StackInfo = {
    mongoUri: cfg.mongo.uri ?? `mongodb://127.0.0.1:${ports.mongo}/`,
    mongoDb: cfg.mongo.db,
    temporalAddress: cfg.temporal.address ?? `127.0.0.1:${ports.temporal}`,
    temporalNamespace: cfg.temporal.namespace,
    temporalUiUrl: cfg.temporal.address ? cfg.temporal.uiUrl : ports.temporalUi ? `http://127.0.0.1:${ports.temporalUi}` : undefined,
    s3Endpoint: cfg.s3.endpoint ?? `http://127.0.0.1:${ports.s3}`,
    s3Region: cfg.s3.region,
    s3AccessKeyId: cfg.s3.accessKeyId ?? 'test',
    s3SecretAccessKey: cfg.s3.secretAccessKey ?? 'test',
  };
  const services: Service[] = [];
  const starting: Promise<void>[] = [];
  const ready = (svc: Service, check: () => Promise<unknown>, what: () => string) =>
    starting.push(waitReady(svc, check).then((s) => opts.log(`[stack] ${what()} in ${s.toFixed(1)}s`)));

  if (tools.temporal) {
    const dbFile = opts.persistent ? path.join(dataDir, 'temporal.db') : undefined;
    const args = temporalArgs({ port: ports.temporal, uiPort: ports.temporalUi, dbFile, namespace: cfg.temporal.namespace });
    const svc = spawnService('temporal', tools.temporal, args, logDir, opts.log);
    services.push(svc);
    const check = async () => {
      await temporalReady(info.temporalAddress, info.temporalNamespace);
      if (info.temporalUiUrl) await httpReady(info.temporalUiUrl); // the UI starts in the background
    };
    ready(svc, check, () =>
      `temporal dev server ready at ${info.temporalAddress}${info.temporalUiUrl ? ` (UI ${info.temporalUiUrl})` : ''}`);
  }
  if (tools.ferretdb) {
    const sqliteDir = path.join(dataDir, 'ferretdb');
    if (!opts.persistent) fs.rmSync(sqliteDir, { recursive: true, force: true });
    const stateDir = path.join(dataDir, 'ferretdb-state');
    for (const d of [sqliteDir, stateDir]) fs.mkdirSync(d, { recursive: true });
    const svc = spawnService('ferretdb', tools.ferretdb, ferretdbArgs({ port: ports.mongo, sqliteDir, stateDir }), logDir, opts.log);
    services.push(svc);
    ready(svc, () => mongoReady(info.mongoUri), () => `FerretDB ready at ${info.mongoUri} (SQLite in ${sqliteDir})`);
  }
  if (tools.motoServer) {
    // moto keeps buckets in memory even for a persistent dev stack: objects vanish on restart.
    const svc = spawnService('moto', tools.motoServer, motoArgs({ port: ports.s3 }), logDir, opts.log);
    services.push(svc);
    ready(svc, () => httpReady(info.s3Endpoint), () => `moto S3 ready at ${info.s3Endpoint} (in-memory)`);
  }
  for (const [name, value] of [['TEMPORAL_ADDRESS', cfg.temporal.address], ['MONGODB_URI', cfg.mongo.uri], ['S3_ENDPOINT', cfg.s3.endpoint]]) {
    if (value) opts.log(`[stack] using ${name}=${name === 'MONGODB_URI' ? redact(value) : value} (not starting one)`);
  }

  let stopped: Promise<void> | undefined;
  const stop = (keepLogs = false) => (stopped ??= (async () => {
    const t1 = Date.now();
    await Promise.all(services.map(stopService));
    if (opts.ports === 'random' && !opts.persistent && !keepLogs) fs.rmSync(dataDir, { recursive: true, force: true });
    if (services.length) opts.log(`[stack] stopped in ${((Date.now() - t1) / 1000).toFixed(1)}s`);
  })());

  try {
    await Promise.all(starting); // the first failure stops the others at once rather than after their timeout
  } catch (e) {
    await stop(true); // the error points into the logs, so they must survive
    throw e;
  }
  if (services.length) opts.log(`[stack] stack ready in ${((Date.now() - t0) / 1000).toFixed(1)}s (logs in ${logDir})`);
  return { info, stop: () => stop() };
}

function redact(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, '//***@');
}
