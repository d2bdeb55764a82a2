import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../config/env';
import { createS3Client } from '../infra/s3/client';
import { devApiKey, startPlatform } from '../scripts/platform';
import { ApiClient } from '../scripts/walkthrough/client';
import { generateCustomers } from '../scripts/walkthrough/sample-data';
import { ingestCustomers } from '../scripts/walkthrough/walkthrough';

/**
 * `npm run bench`: ingests a generated CSV (OPENXP_BENCH_ROWS customers, default 100k) from S3
 * through the real ingestion workflow (timed by the run's own start and completion), then bulk-writes the same final profile documents raw into
 * the same server, and reports rows/s for both and their ratio in bench/results/ingest.json.
 */
async function main() {
  const cfg = loadConfig(process.env);
  const log = (l: string) => console.log(l);
  const p = await startPlatform({ ...cfg, logLevel: 'warn' }, { ui: false, ports: 'random', persistent: false, dataDir: path.join(cfg.stateDir, `bench-${process.pid}`), api: true, workers: 'all', apiKey: devApiKey(cfg), apiPort: 0, log });
  try {
    const api = new ApiClient(p.apiUrl!, p.cfg.api.apiKey!, 'bench');
    const s3 = createS3Client(p.cfg.s3);
    const sample = generateCustomers(cfg.benchRows, 7);
    log(`[bench] ${sample.expected.rows} rows (${(sample.csv.length / 1e6).toFixed(1)} MB) put on S3; ingesting through the dataflow…`);
    const { run } = await ingestCustomers(api, {
      s3, s3Endpoint: p.info.s3Endpoint, s3AccessKeyId: p.info.s3AccessKeyId, s3SecretAccessKey: p.info.s3SecretAccessKey, s3Region: p.info.s3Region,
      suffix: randomBytes(3).toString('hex'), csv: sample.csv, describe: `${sample.expected.rows} rows`, log, step: () => undefined,
    });
    const ingestSec = (run.metrics.durationSummary.completedAtUTC - run.metrics.durationSummary.startedAtUTC) / 1000;
    log(`[bench] ingestion workflow: ${run.metrics.recordSummary.outputRecordCount} rows in ${ingestSec.toFixed(1)}s`);

    // Baseline: the same final profile documents, raw bulk inserts into a scratch collection of the same server.
    const client = new MongoClient(p.cfg.mongo.uri!);
    await client.connect();
    const docs = await client.db(p.cfg.mongo.db).collection('profiles').find({ sandbox: 'bench' }).toArray();
    const scratch = client.db(p.cfg.mongo.db).collection(`bench_raw_${Date.now()}`);
    const t1 = Date.now();
    for (let i = 0; i < docs.length; i += 1000) await scratch.bulkWrite(docs.slice(i, i + 1000).map((d) => ({ insertOne: { document: d } })), { ordered: false });
    const rawSec = (Date.now() - t1) / 1000;
    const build = await client.db('admin').command({ buildInfo: 1 });
    await scratch.drop();
    await client.close();
    const ingestRate = run.metrics.recordSummary.inputRecordCount / ingestSec;
    const rawRate = docs.length / rawSec;
    const result = {
      at: new Date().toISOString(), rows: run.metrics.recordSummary.inputRecordCount, ingested: run.metrics.recordSummary.outputRecordCount, profiles: docs.length,
      ingestion: { seconds: ingestSec, rowsPerSecond: Math.round(ingestRate) }, rawBulkWrite: { seconds: rawSec, rowsPerSecond: Math.round(rawRate) },
      ratio: Number((ingestRate / rawRate).toFixed(4)),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      server: { mongoWire: build.version, ferretdb: build.ferretdbVersion ?? null, writeMode: 'ferretdbVersion' in build ? 'deleteInsert' : 'upsert' },
    };
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'ingest.json'), `${JSON.stringify(result, null, 2)}\n`);
    log(`[bench] ${JSON.stringify(result)}`);
  } finally {
    await p.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
