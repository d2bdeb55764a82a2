/** What every bench shares: a throwaway stack, the baseline's scratch collections, progress lines, and the result file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Collection, Db } from 'mongodb';
import type { Config } from '../config/env';
import { devApiKey, startPlatform } from '../scripts/platform';
import type { WorkerKind } from '../workflows/definitions';

export const log = (line: string) => console.log(line);

/** A stack of its own on random ports (deleted on stop), with the workers and API a bench asks for. */
export function startBenchPlatform(cfg: Config, opts: { api: boolean; workers: WorkerKind[] | 'all' }) {
  return startPlatform({ ...cfg, logLevel: 'warn' }, { ui: false, ports: 'random', persistent: false, dataDir: path.join(cfg.stateDir, `bench-${process.pid}`), ...opts, apiKey: devApiKey(cfg), apiPort: 0, log });
}

/** Gives `target` the indexes of `source`: a baseline written there pays for the same index upkeep. */
export async function copyIndexes(source: Collection<any>, target: Collection<any>): Promise<void> {
  for (const ix of await source.indexes()) if (ix.name !== '_id_') await target.createIndex(ix.key, { unique: ix.unique ?? false });
}

/** The machine, with its load averages (1, 5, 15 min) when the result was taken: other work on it slows a bench down. */
export const machineInfo = () => ({ cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))) });

/** The MongoDB-wire server the bench ran against, and the write mode OpenXP uses on it. */
export async function serverInfo(db: Db) {
  const build = await db.admin().command({ buildInfo: 1 });
  return { mongoWire: build.version, ferretdb: build.ferretdbVersion ?? null, writeMode: 'ferretdbVersion' in build ? 'deleteInsert' : 'upsert' };
}

/** Writes bench/results/<name> and logs the result on one line. */
export function writeResult(name: string, result: unknown): void {
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', name), `${JSON.stringify(result, null, 2)}\n`);
  log(`[bench] ${JSON.stringify(result)}`);
}

const duration = (sec: number) => {
  const s = Math.round(sec);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};

/**
 * Progress of `total` units of work: `tick(done)` logs done/total, rate and ETA (and `detail()`, if
 * given) at most every `everyMs`, and always at the end.
 */
export function progress(label: string, total: number, unit: string, opts: { everyMs?: number; detail?: () => string } = {}) {
  const everyMs = opts.everyMs ?? 10_000;
  const t0 = Date.now();
  let last = t0;
  return (done: number) => {
    const now = Date.now();
    if (now - last < everyMs && done < total) return;
    last = now;
    const sec = (now - t0) / 1000;
    const rate = done / Math.max(sec, 1e-3);
    const eta = done < total ? ` · ETA ${duration((total - done) / Math.max(rate, 1e-9))}` : '';
    const detail = opts.detail ? ` · ${opts.detail()}` : '';
    log(`[bench] ${label}: ${done}/${total} ${unit} (${((100 * done) / total).toFixed(1)}%) · ${Math.round(rate)} ${unit}/s · ${duration(sec)} elapsed${eta}${detail}`);
  };
}

/** A deterministic number in [0, 1) from (seed, n, salt) (a 32-bit integer hash): generated data is a function of its index alone. */
export function seededRandom(seed: number, n: number, salt: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(salt + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** A size as result files name it: 20000 → 20k, 1000000 → 1m. */
export const sizeLabel = (n: number) => (n >= 1e6 && n % 1e5 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 100 === 0 ? `${n / 1e3}k` : String(n));
export const round3 = (x: number) => Number(x.toFixed(3));

/** Runs a bench's main, exiting non-zero on failure. */
export function runBench(main: () => Promise<void>): void {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
