import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startApi } from '../../api/server';
import { emptyRunMetrics, SPECS } from '../../domain/flow/model';
import { createS3Client } from '../../infra/s3/client';
import { ApiClient } from '../../scripts/walkthrough/client';
import { generateCustomers, HEADER } from '../../scripts/walkthrough/sample-data';
import { ingestCustomers } from '../../scripts/walkthrough/walkthrough';
import { realApp } from '../helpers/env';

/** Rows committed so far by the run's file activities (their live progress). */
async function committedRows(t: Awaited<ReturnType<typeof realApp>>, sandbox: string, runId: string): Promise<number> {
  const run = (await t.deps.stores.runs.get(sandbox, runId)) as { progress?: Record<string, { input: number }> } | null;
  return Object.values(run?.progress ?? {}).reduce((a, p) => a + p.input, 0);
}

/** Seeded PRNG so the kill moments are the same on every run. */
function lcg(seed: number) {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const KILLS = 10;
/** A database of its own: 100k rows would slow every later test's queries on FerretDB. */
const DB = `openxp_crash_${process.pid}`;
const CUSTOMERS = 88_000; // about 100k rows

/**
 * Worker processes are killed (SIGKILL) again and again while they ingest a 100k-row file: at
 * seeded random moments, and every third time while a chunk is being written (after its rows
 * were started, before its cursor was committed). Each time another worker takes the activity
 * over after the heartbeat timeout and resumes from the committed cursor, re-applying the rows
 * the dead one may have half written. In the end every row is ingested exactly once.
 */
describe('ingestion survives workers killed mid-file', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const workers: ChildProcess[] = [];
  const queue = `openxp-ingestion-crash-${process.pid}`;

  const startWorker = () => new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../helpers/ingestion-worker.ts'), queue], { env: { ...process.env, MONGODB_DB: DB }, stdio: ['ignore', 'pipe', 'inherit'] });
    workers.push(child);
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('READY') && resolve(child));
    child.once('exit', (code, signal) => signal !== 'SIGKILL' && reject(new Error(`worker exited with ${code} before it was ready`)));
  });

  beforeAll(async () => {
    t = await realApp({ db: DB });
    api = await startApi({ ...t.cfg, api: { ...t.cfg.api, port: 0 } });
  });
  afterAll(async () => {
    workers.forEach((w) => w.exitCode === null && w.kill('SIGKILL'));
    await t?.deps.stores.db.dropDatabase();
    await api?.close();
    await t?.close();
  });

  it(`ingests every row of a 100k-row file exactly once across ${KILLS} kills`, async () => {
    const sandbox = `crash-${process.pid}`;
    const client = new ApiClient(api.url, t.cfg.api.apiKey!, sandbox);
    const s3 = createS3Client(t.cfg.s3);
    const s3Access = { s3, s3Endpoint: t.cfg.s3.endpoint!, s3AccessKeyId: t.cfg.s3.accessKeyId!, s3SecretAccessKey: t.cfg.s3.secretAccessKey!, s3Region: t.cfg.s3.region };
    const suffix = randomBytes(4).toString('hex');
    // The dataflow, scheduled for tomorrow (no run now); the run below is started on the test's own queue.
    const tomorrow = Math.floor(Date.now() / 1000) + 86_400;
    const { flow } = await ingestCustomers(client, { ...s3Access, suffix, csv: `${HEADER.join(',')}\n`, describe: 'empty', log: () => undefined, step: () => undefined, scheduleParams: { frequency: 'day', startTime: tomorrow }, wait: false });
    const sample = generateCustomers(CUSTOMERS, 3);
    await s3.send(new PutObjectCommand({ Bucket: `openxp-landing-${suffix}`, Key: 'crm/customers-002.csv', Body: sample.csv }));

    const runId = randomUUID();
    const startedAt = Date.now();
    const workflowId = `ingest/${sandbox}/${flow.id}/${runId}`;
    await t.deps.stores.runs.insert(sandbox, { id: runId, flowId: flow.id, flowSpecId: SPECS.cloudStorageToPlatform, kind: 'ingestion', createdAt: startedAt, updatedAt: startedAt, workflow: { workflowId }, metrics: emptyRunMetrics(startedAt), activities: [] });
    let worker = await startWorker();
    const handle = await t.deps.temporal.workflow.start('ingestionRunWorkflow', { taskQueue: queue, workflowId, args: [{ sandbox, flowId: flow.id, runId, startedAt, heartbeatTimeout: '3 seconds' }] });
    const done = handle.result().then(() => true, () => true);
    let finished = false;
    void done.then(() => (finished = true));

    const rand = lcg(20261129);
    const progressDocs = t.deps.stores.progress;
    let kills = 0;
    let midWrite = 0;
    let seen = 0;
    while (kills < KILLS && !finished) {
      // Wait until this worker has taken the file over and committed something new.
      while (!finished && (await committedRows(t, sandbox, runId)) <= seen) await sleep(50);
      if (kills % 3 === 2) {
        // Kill while a chunk is being written: its rows are started but its cursor not yet committed.
        for (let i = 0; i < 400 && !finished; i++) {
          const started = (await progressDocs.findOne({ _id: { $regex: `^ingest/${sandbox}/${runId}/` } } as never))?.startedRow ?? 0;
          if (started > (await committedRows(t, sandbox, runId))) break;
          await sleep(10);
        }
        midWrite++;
      } else {
        await sleep(200 + Math.floor(rand() * 2500));
      }
      if (finished) break;
      seen = await committedRows(t, sandbox, runId);
      worker.kill('SIGKILL');
      kills++;
      process.stderr.write(`[crash test] kill ${kills}${kills % 3 === 0 ? ' (mid-write)' : ''} after ${seen} committed rows, ${((Date.now() - startedAt) / 1000).toFixed(0)} s\n`);
      worker = await startWorker();
    }
    await done;
    expect(kills).toBe(KILLS);
    expect(midWrite).toBeGreaterThanOrEqual(3);

    const result = await handle.result();
    const valid = sample.expected.rows - sample.expected.failedRows;
    expect(result).toMatchObject({ status: 'success', inputRecordCount: sample.expected.rows, failedRecordCount: sample.expected.failedRows, outputRecordCount: valid, skippedRecordCount: 0 });
    const { stores } = t.deps;
    expect(await stores.datasetRecords.countDocuments({ sandbox, batchId: runId })).toBe(valid);
    expect(await stores.rowErrors.countDocuments({ sandbox, batchId: runId })).toBe(sample.expected.failedRows);
    expect(await stores.profiles.count(sandbox)).toBe(sample.expected.profiles);
    // One fragment per person's email (alternate emails are records of their own), one identity per value.
    const altEmails = Math.floor(CUSTOMERS / 25);
    expect(await stores.profiles.fragments.countDocuments({ sandbox })).toBe(CUSTOMERS + altEmails);
    expect(await stores.identities.coll.countDocuments({ sandbox })).toBe(2 * CUSTOMERS + altEmails);
    // The run record adds up.
    const [run] = (await client.ok('GET', `/data/foundation/flowservice/runs/${runId}`)).items;
    expect(run.metrics.recordSummary.inputRecordCount).toBe(run.metrics.recordSummary.outputRecordCount + run.metrics.recordSummary.failedRecordCount);
    const history = await handle.fetchHistory();
    const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(KILLS / 2);
  }, 1_200_000);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
