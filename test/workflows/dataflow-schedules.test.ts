import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startApi } from '../../api/server';
import { createS3Client } from '../../infra/s3/client';
import { ApiClient } from '../../scripts/walkthrough/client';
import { generateCustomers, HEADER } from '../../scripts/walkthrough/sample-data';
import { ingestCustomers } from '../../scripts/walkthrough/walkthrough';
import { realApp } from '../helpers/env';

const RUNS = '/data/foundation/flowservice/runs';

/**
 * A recurring S3 dataflow is a Temporal Schedule: its first run starts at once (start time in the
 * past), each later run ingests only the objects new or changed since the last successful one,
 * disabling pauses the schedule and deleting the flow deletes it.
 */
describe('scheduled, incremental S3 dataflows', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  let api: Awaited<ReturnType<typeof startApi>>;
  beforeAll(async () => {
    t = await realApp();
    api = await startApi({ ...t.cfg, api: { ...t.cfg.api, port: 0 } });
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  it('runs on its schedule and picks up only new files', async () => {
    const sandbox = `sched-${process.pid}`;
    const client = new ApiClient(api.url, t.cfg.api.apiKey!, sandbox);
    const s3 = createS3Client(t.cfg.s3);
    const suffix = randomBytes(4).toString('hex');
    const first = generateCustomers(50, 7);
    const { flow, run } = await ingestCustomers(client, {
      s3, s3Endpoint: t.cfg.s3.endpoint!, s3AccessKeyId: t.cfg.s3.accessKeyId!, s3SecretAccessKey: t.cfg.s3.secretAccessKey!, s3Region: t.cfg.s3.region,
      suffix, csv: first.csv, describe: 'hourly', log: () => undefined, step: () => undefined,
      scheduleParams: { startTime: Math.floor(Date.now() / 1000) - 60, frequency: 'minute', interval: 15 },
    });
    expect(run).toMatchObject({ trigger: 'schedule', metrics: { statusSummary: { status: 'success' }, recordSummary: { inputRecordCount: first.expected.rows }, fileSummary: { inputFileCount: 1 } } });

    const schedule = t.deps.temporal.schedule.getHandle(`dataflow/${sandbox}/${flow.id}`);
    const described = await schedule.describe();
    expect(described.spec.intervals?.[0]?.every).toBe(15 * 60_000);
    expect(described.state.paused).toBe(false);

    // A second file lands; the next scheduled run ingests it and only it.
    const rows = `${HEADER.join(',')}\nC9001,new.person@example.com,+15550009001,New,Person,1990-01-01,US,Austin,100,gold\n`;
    await s3.send(new PutObjectCommand({ Bucket: `openxp-landing-${suffix}`, Key: 'crm/customers-002.csv', Body: rows }));
    await schedule.trigger();
    const second = await client.waitFor(
      () => client.ok('GET', `${RUNS}?property=flowId==${flow.id}`),
      (r: any) => r.items.length === 2 && ['success', 'failed'].includes(r.items[0].metrics.statusSummary.status),
    );
    expect(second.items[0].metrics).toMatchObject({ statusSummary: { status: 'success' }, recordSummary: { inputRecordCount: 1, outputRecordCount: 1 }, fileSummary: { inputFileCount: 1 } });
    expect(second.items[0].workflow.workflowId).toMatch(new RegExp(`^ingest/${sandbox}/${flow.id}/scheduled`));

    // Disable → paused; a manual run of a disabled flow is refused; enable → running again.
    const disabled = await client.call('POST', `/data/foundation/flowservice/flows/${flow.id}/action?op=disable`);
    expect(disabled.status).toBe(200);
    expect((await schedule.describe()).state.paused).toBe(true);
    const refused = await client.call('POST', RUNS, { flowId: flow.id });
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toMatch(/disabled/);
    await client.ok('POST', `/data/foundation/flowservice/flows/${flow.id}/action?op=enable`);
    expect((await schedule.describe()).state.paused).toBe(false);

    // Changing the schedule through PATCH updates the Temporal Schedule.
    const { items: [current] } = await client.ok('GET', `/data/foundation/flowservice/flows/${flow.id}`);
    const patched = await client.call('PATCH', `/data/foundation/flowservice/flows/${flow.id}`, [{ op: 'replace', path: '/scheduleParams/frequency', value: 'hour' }], { 'if-match': current.etag });
    expect(patched.status).toBe(200);
    expect((await schedule.describe()).spec.intervals?.[0]?.every).toBe(15 * 3_600_000);
    const tooOften = await client.call('PATCH', `/data/foundation/flowservice/flows/${flow.id}`, [{ op: 'replace', path: '/scheduleParams', value: { frequency: 'minute', interval: 5 } }], { 'if-match': patched.body.etag });
    expect(tooOften.status).toBe(422);
    expect(tooOften.body.detail).toMatch(/interval/);

    // Deleting the flow deletes its schedule.
    expect((await client.call('DELETE', `/data/foundation/flowservice/flows/${flow.id}`)).status).toBe(204);
    await expect(schedule.describe()).rejects.toThrow();
  }, 180_000);
});
