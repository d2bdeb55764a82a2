import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Log } from './provision';

export const DEFAULT_PORTS = { temporal: 7233, temporalUi: 8233, mongo: 27017, s3: 4566 } as const;

/** Custom search attributes OpenXP's workflows set and its list queries filter on. */
export const SEARCH_ATTRIBUTES = [
  'OpenXPSandbox', 'OpenXPKind', 'OpenXPFlowId', 'OpenXPSegmentId', 'OpenXPDestinationId', 'OpenXPDatasetId',
] as const;

// Keys checked against Temporal server 1.32 (bundled in CLI 1.9.1); unknown keys are silently ignored.
export const TEMPORAL_DYNAMIC_CONFIG: Record<string, boolean | number> = {
  // The machine is offline: no call home to check for newer server versions.
  'frontend.enableServerVersionCheck': false,
  // New search attributes usable at once (the CLI defaults to this too; explicit so it survives CLI upgrades).
  'system.forceSearchAttributesCacheRefreshOnRead': true,
  // Default is 10 list/count calls per second; tests and the UI poll visibility harder than that.
  'frontend.namespaceRPS.visibility': 1000,
};

export function temporalArgs(o: { port: number; uiPort?: number; dbFile?: string; namespace: string }): string[] {
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(o.port)];
  // News fetch is an internet call from the browser; offline it only produces errors.
  args.push(...(o.uiPort ? ['--ui-port', String(o.uiPort), '--ui-disable-news-fetch'] : ['--headless']));
  args.push('--log-level', 'warn', '--namespace', o.namespace);
  for (const [k, v] of Object.entries(TEMPORAL_DYNAMIC_CONFIG)) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  for (const name of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${name}=Keyword`);
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  return args;
}

export function ferretdbArgs(o: { port: number; sqliteDir: string; stateDir: string }): string[] {
  return [
    '--handler=sqlite',
    `--sqlite-url=file:${o.sqliteDir.endsWith('/') ? o.sqliteDir : `${o.sqliteDir}/`}`,
    `--listen-addr=127.0.0.1:${o.port}`,
    `--state-dir=${o.stateDir}`,
    '--telemetry=disable',
    '--log-level=warn',
    // Its metrics/pprof listener defaults to the fixed 127.0.0.1:8088, which would clash between a
    // dev stack and a test stack; '-' turns it off.
    '--debug-addr=-',
  ];
}

export function motoArgs(o: { port: number }): string[] {
  return ['-H', '127.0.0.1', '-p', String(o.port)];
}

export function portConflictMessage(port: number, service: 'temporal' | 'temporalUi' | 'mongo' | 's3'): string {
  const use: Record<typeof service, string> = {
    temporal: `set TEMPORAL_ADDRESS=127.0.0.1:${port} to use the Temporal server listening there`,
    temporalUi: 'set TEMPORAL_ADDRESS to an existing Temporal server (no Web UI is started then)',
    mongo: `set MONGODB_URI=mongodb://127.0.0.1:${port}/ to use the MongoDB listening there`,
    s3: `set S3_ENDPOINT=http://127.0.0.1:${port} (and S3_ACCESS_KEY_ID/S3_SECRET_ACCESS_KEY) to use the S3 service listening there`,
  };
  return `port ${port} is already in use (another \`npm run dev\` / \`npm run stack\`?): stop that process, or ${use[service]}.`;
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Service {
  name: string;
  logFile: string;
  proc: ChildProcess;
  exitInfo?: string;
  exited: Promise<void>;
  ready: boolean;
  stopping: boolean;
}

const live = new Set<Service>();
let hooked = false;

function killAll(): void {
  for (const s of live) {
    s.stopping = true;
    s.proc.kill('SIGKILL');
  }
}

// Without these, a parent that dies from a signal or exits without calling stop() would leave
// servers holding the ports. Signal handlers only act when nobody else handles the signal, then
// re-raise it so the parent still dies the default way.
function installExitHooks(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      for (const s of live) s.stopping = true; // their exit is expected from now on
      if (process.listenerCount(sig) > 1) return;
      killAll();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

export function tailFile(file: string, n = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Starts a server with its output appended to <logDir>/<name>.log. */
export function spawnService(name: string, cmd: string, args: string[], logDir: string, log: Log): Service {
  installExitHooks();
  const logFile = path.join(logDir, `${name}.log`);
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
  const proc = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  let done!: () => void;
  const svc: Service = { name, logFile, proc, exited: new Promise((r) => (done = r)), ready: false, stopping: false };
  live.add(svc);
  const finish = (info: string) => {
    if (svc.exitInfo) return;
    svc.exitInfo = info;
    live.delete(svc);
    // Exits during start-up are reported by waitReady's error instead.
    if (svc.ready && !svc.stopping) log(`[stack] ${name} exited unexpectedly (${info}); see ${logFile}`);
    done();
  };
  proc.on('error', (e) => finish(e.message));
  proc.on('exit', (code, signal) => finish(signal ? `signal ${signal}` : `exit code ${code}`));
  return svc;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it succeeds; fails fast with the log tail if the server dies meanwhile. */
export async function waitReady(svc: Service, check: () => Promise<unknown>, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  let last = 'no attempt finished';
  // Racing each probe against the exit stops a slow probe (e.g. a 2 s connect timeout) hiding a crash.
  const died = svc.exited.then(() => Promise.reject(new Error('exited')));
  died.catch(() => undefined);
  while (Date.now() - t0 < timeoutMs) {
    if (svc.exitInfo) {
      throw new Error(`${svc.name} exited during start-up (${svc.exitInfo}); last lines of ${svc.logFile}:\n${tailFile(svc.logFile)}`);
    }
    try {
      await Promise.race([check(), died]);
      svc.ready = true;
      return (Date.now() - t0) / 1000;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(250);
  }
  throw new Error(`${svc.name} not ready after ${timeoutMs / 1000}s (last error: ${last}); last lines of ${svc.logFile}:\n${tailFile(svc.logFile)}`);
}

/** SIGTERM, then SIGKILL after 5 s. */
export async function stopService(svc: Service): Promise<void> {
  svc.stopping = true;
  if (svc.exitInfo) return;
  svc.proc.kill('SIGTERM');
  const timedOut = await Promise.race([svc.exited.then(() => false), sleep(5000).then(() => true)]);
  if (timedOut) {
    svc.proc.kill('SIGKILL');
    await Promise.race([svc.exited, sleep(2000)]);
  }
}
