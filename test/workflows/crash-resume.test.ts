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

/**
 * A worker process is killed (SIGKILL) in the middle of ingesting a file. Another worker takes the
 * activity over after the heartbeat timeout and resumes from the heartbeated row: every row ends up
 * ingested exactly once — no record lost, none duplicated, every profile built.
 */
describe('ingestion survives a worker killed mid-file', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  const workers: ChildProcess[] = [];
  const queue = `openxp-ingestion-crash-${process.pid}`;

  const startWorker = () => new Promise<ChildProcess>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, '../helpers/ingestion-worker.ts'), queue], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    workers.push(child);
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('READY') && resolve(child));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code} before it was ready`)));
  });

  beforeAll(async () => {
    t = await realApp();
    api = await startApi({ ...t.cfg, api: { ...t.cfg.api, port: 0 } });
  });
  afterAll(async () => {
    workers.forEach((w) => w.exitCode === null && w.kill('SIGKILL'));
    await api?.close();
    await t?.close();
  });

  it('ingests every row exactly once', async () => {
    const sandbox = `crash-${process.pid}`;
    const client = new ApiClient(api.url, t.cfg.api.apiKey!, sandbox);
    const s3 = createS3Client(t.cfg.s3);
    const s3Access = { s3, s3Endpoint: t.cfg.s3.endpoint!, s3AccessKeyId: t.cfg.s3.accessKeyId!, s3SecretAccessKey: t.cfg.s3.secretAccessKey!, s3Region: t.cfg.s3.region };
    const suffix = randomBytes(4).toString('hex');
    // The dataflow, first run on an empty file, so the big file below is the next run's only new file.
    const { flow } = await ingestCustomers(client, { ...s3Access, suffix, csv: `${HEADER.join(',')}\n`, describe: 'empty', log: () => undefined, step: () => undefined });
    const sample = generateCustomers(12_000, 3);
    await s3.send(new PutObjectCommand({ Bucket: `openxp-landing-${suffix}`, Key: 'crm/customers-002.csv', Body: sample.csv }));

    const runId = randomUUID();
    const startedAt = Date.now();
    const workflowId = `ingest/${sandbox}/${flow.id}/${runId}`;
    await t.deps.stores.runs.insert(sandbox, { id: runId, flowId: flow.id, flowSpecId: SPECS.cloudStorageToPlatform, kind: 'ingestion', createdAt: startedAt, updatedAt: startedAt, workflow: { workflowId }, metrics: emptyRunMetrics(startedAt), activities: [] });
    const first = await startWorker();
    const handle = await t.deps.temporal.workflow.start('ingestionRunWorkflow', { taskQueue: queue, workflowId, args: [{ sandbox, flowId: flow.id, runId, startedAt }] });

    // Kill the worker once it has committed some chunks but not the whole file.
    let progressed = 0;
    for (let i = 0; i < 600 && progressed === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      progressed = (await t.deps.stores.runs.get(sandbox, runId))!.metrics.recordSummary.inputRecordCount;
    }
    expect(progressed).toBeGreaterThan(0);
    expect(progressed).toBeLessThan(sample.expected.rows);
    first.kill('SIGKILL');
    await startWorker();

    const result = await handle.result();
    expect(result).toMatchObject({ status: 'success', inputRecordCount: sample.expected.rows, failedRecordCount: sample.expected.failedRows, outputRecordCount: sample.expected.rows - sample.expected.failedRows });
    const { stores } = t.deps;
    expect(await stores.datasetRecords.countDocuments({ sandbox, batchId: runId })).toBe(sample.expected.rows - sample.expected.failedRows);
    expect(await stores.rowErrors.countDocuments({ sandbox, batchId: runId })).toBe(sample.expected.failedRows);
    expect(await stores.profiles.count(sandbox)).toBe(sample.expected.profiles);
    // The file's activity really ran twice: the second attempt resumed after the killed one.
    const history = await handle.fetchHistory();
    const attempts = history.events!.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt ?? 0);
    expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);
  }, 300_000);
});
