import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { Db, Document } from 'mongodb';
import { loadConfig } from '../config/env';
import { createS3Client } from '../infra/s3/client';
import { ApiClient } from '../scripts/walkthrough/client';
import { generateCustomers } from '../scripts/walkthrough/sample-data';
import { ingestCustomers } from '../scripts/walkthrough/walkthrough';
import { copyIndexes, log, machineInfo, runBench, serverInfo, startBenchPlatform, writeResult } from './common';

/** Every collection an ingestion writes its final documents to. */
const WRITTEN = ['datasetRecords', 'identities', 'fragments', 'profiles'] as const;
const SANDBOX = 'bench';

const runSeconds = (run: any) => (run.metrics.durationSummary.completedAtUTC - run.metrics.durationSummary.startedAtUTC) / 1000;

/** Documents per collection (the bench server holds only this sandbox, so the estimate is exact). */
async function counts(db: Db) {
  return Object.fromEntries(await Promise.all(WRITTEN.map(async (c) => [c, await db.collection(c).estimatedDocumentCount()] as const))) as Record<(typeof WRITTEN)[number], number>;
}

/**
 * Baseline: the same final documents the ingestion wrote (dataset records, identities, fragments,
 * profiles), read back and bulk-inserted raw into scratch collections of the same server with the
 * same indexes, in the ingestion's chunk size. Only the inserts are timed.
 */
async function rawBulkWrite(db: Db): Promise<{ seconds: number; documents: number }> {
  let seconds = 0;
  let documents = 0;
  for (const name of WRITTEN) {
    const scratch = db.collection(`bench_raw_${name}_${Date.now()}`);
    await copyIndexes(db.collection(name), scratch);
    let page: Document[] = [];
    const flush = async () => {
      const t0 = Date.now();
      if (page.length) await scratch.bulkWrite(page.map((d) => ({ insertOne: { document: d } })), { ordered: false });
      seconds += (Date.now() - t0) / 1000;
      documents += page.length;
      page = [];
    };
    // Read back in pages (never all in memory); only the inserts are timed.
    for await (const d of db.collection(name).find({ sandbox: SANDBOX }).batchSize(2500)) {
      page.push(d);
      if (page.length === 2500) await flush();
    }
    await flush();
    await scratch.drop();
  }
  return { seconds, documents };
}

/**
 * `npm run bench`: ingests a generated gzip CSV (OPENXP_BENCH_ROWS customers) from S3 end to end
 * through the real dataflow (timed by the run's own start and completion), then bulk-writes the
 * same final documents raw into the same server, and reports both rates and their ratio. Then a
 * second dataflow re-ingests the same file: every row must be recognised as already there and
 * nothing modified. Results go to bench/results/ingest.json.
 */
async function main() {
  const cfg = loadConfig(process.env);
  const p = await startBenchPlatform(cfg, { api: true, workers: 'all' });
  const client = new MongoClient(p.cfg.mongo.uri!);
  try {
    await client.connect();
    const db = client.db(p.cfg.mongo.db);
    const api = new ApiClient(p.apiUrl!, p.cfg.api.apiKey!, SANDBOX);
    const s3 = createS3Client(p.cfg.s3);
    const sample = generateCustomers(cfg.benchRows, 7);
    log(`[bench] ${sample.expected.rows} rows (${(sample.csv.length / 1e6).toFixed(1)} MB of CSV, gzipped) put on S3; ingesting through the dataflow…`);
    const { run, flow } = await ingestCustomers(api, {
      s3, s3Endpoint: p.info.s3Endpoint, s3AccessKeyId: p.info.s3AccessKeyId, s3SecretAccessKey: p.info.s3SecretAccessKey, s3Region: p.info.s3Region,
      suffix: randomBytes(3).toString('hex'), csv: sample.csv, gzip: true, describe: `${sample.expected.rows} rows, gzip`, log, step: () => undefined, timeoutMs: 6 * 3_600_000,
    });
    if (run.metrics.statusSummary.status !== 'success') throw new Error(`ingestion run ${run.metrics.statusSummary.status}: ${JSON.stringify(run.metrics.statusSummary.errors)}`);
    const ingestSec = runSeconds(run);
    log(`[bench] ingestion workflow: ${run.metrics.recordSummary.outputRecordCount} rows in ${ingestSec.toFixed(1)}s`);

    const before = await counts(db);
    log('[bench] raw bulkWrite of the same final documents…');
    const raw = await rawBulkWrite(db);
    log(`[bench] raw bulkWrite: ${raw.documents} documents in ${raw.seconds.toFixed(1)}s`);

    log('[bench] re-ingesting the same file through a second dataflow…');
    const { items: [f] } = await api.ok('GET', `/data/foundation/flowservice/flows/${flow.id}`);
    const again = await api.ok('POST', '/data/foundation/flowservice/flows', { name: `${f.name} (re-ingest)`, flowSpec: f.flowSpec, sourceConnectionIds: f.sourceConnectionIds, targetConnectionIds: f.targetConnectionIds, transformations: f.transformations, scheduleParams: { frequency: 'once' } });
    const rerunFrom = Date.now();
    const rerun = (await api.waitFor(() => api.ok('GET', `/data/foundation/flowservice/runs?property=flowId==${again.id}`), (r: any) => ['success', 'failed'].includes(r.items[0]?.metrics.statusSummary.status), { timeoutMs: 6 * 3_600_000 })).items[0];
    const after = await counts(db);
    const rewrittenProfiles = await db.collection('profiles').countDocuments({ sandbox: SANDBOX, lastModifiedAt: { $gte: rerunFrom } });
    const modified = WRITTEN.reduce((a, c) => a + Math.abs(after[c] - before[c]), 0) + rewrittenProfiles;
    log(`[bench] re-ingest: ${rerun.metrics.recordSummary.skippedRecordCount} rows already there, ${modified} documents modified, ${runSeconds(rerun).toFixed(1)}s`);

    const rows = run.metrics.recordSummary.inputRecordCount;
    const ingestRate = rows / ingestSec;
    const rawRate = rows / raw.seconds;
    const result = {
      at: new Date().toISOString(), rows, ingested: run.metrics.recordSummary.outputRecordCount, failed: run.metrics.recordSummary.failedRecordCount,
      input: { gzip: true, csvMegabytes: Number((sample.csv.length / 1e6).toFixed(1)) },
      documentsWritten: before,
      ingestion: { seconds: ingestSec, rowsPerSecond: Math.round(ingestRate) },
      rawBulkWrite: { seconds: Number(raw.seconds.toFixed(3)), documents: raw.documents, rowsPerSecond: Math.round(rawRate) },
      ratio: Number((ingestRate / rawRate).toFixed(4)),
      reingest: { seconds: runSeconds(rerun), status: rerun.metrics.statusSummary.status, skipped: rerun.metrics.recordSummary.skippedRecordCount, documentsModified: modified },
      machine: machineInfo(),
      server: await serverInfo(db),
    };
    writeResult('ingest.json', result);
  } finally {
    await client.close();
    await p.stop();
  }
}

runBench(main);
