import { randomBytes } from 'node:crypto';
import { startApi } from '../../api/server';
import { createS3Client } from '../../infra/s3/client';
import { ApiClient } from '../../scripts/walkthrough/client';
import { runWalkthrough } from '../../scripts/walkthrough/walkthrough';
import type { WalkthroughResult } from '../../scripts/walkthrough/walkthrough';
import { testConfig } from '../helpers/env';

/** The demo's workflow over HTTP against the real stack (Temporal, FerretDB, S3 started by npm test). */
describe('end to end: schema → S3 ingestion → identity → profile → segment → export → destination → runs', () => {
  let r: WalkthroughResult;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const cfg = testConfig();
    const api = await startApi({ ...cfg, api: { ...cfg.api, port: 0 } });
    close = api.close;
    r = await runWalkthrough(new ApiClient(api.url, cfg.api.apiKey!, `e2e-${randomBytes(3).toString('hex')}`), {
      customers: 600, s3: createS3Client(cfg.s3), s3Endpoint: cfg.s3.endpoint!, s3AccessKeyId: cfg.s3.accessKeyId!, s3SecretAccessKey: cfg.s3.secretAccessKey!, s3Region: cfg.s3.region,
      suffix: randomBytes(4).toString('hex'), log: () => undefined,
    });
  }, 600_000);
  afterAll(() => close?.());

  it('ingests every good row once and keeps each bad row as a row error with its code', () => {
    expect(r.run.metrics.statusSummary.status).toBe('success');
    expect(r.batch.status).toBe('success');
    expect(r.batch.metrics.inputRecordCount).toBe(r.expected.rows);
    expect(r.batch.metrics.failedRecordCount).toBe(r.expected.failedRows);
    expect(r.batch.metrics.outputRecordCount).toBe(r.expected.rows - r.expected.failedRows);
    expect(r.rowErrors).toHaveLength(r.expected.failedRows);
    const codes = r.rowErrors.map((e) => e._errors[0].code).sort();
    expect(codes).toEqual(['INGEST-1401-400', 'INGEST-1402-400']);
    expect(r.rowErrors.find((e) => e._errors[0].code === 'INGEST-1402-400')._errors[0].message).toMatch(/person\.birthDate/);
    expect(r.run.metrics.recordSummary).toEqual({ inputRecordCount: r.expected.rows, outputRecordCount: r.expected.rows - r.expected.failedRows, failedRecordCount: r.expected.failedRows, skippedRecordCount: 0 });
  });

  it('links identities sharing a phone into one graph, with emails normalised', () => {
    expect(r.clusterMembers.map((m) => `${m.namespace}:${m.id}`).sort()).toEqual(['Email:alt25@example.org', 'Email:customer25@example.com', 'Phone:+1555000025']);
  });

  it('merges the same person written twice: newer values win attribute by attribute', () => {
    const e = r.profileSample.entity;
    // The newer row wins the attribute as sent; the identity it yields is normalised.
    expect(e.personalEmail.address).toBe('CUSTOMER10@EXAMPLE.COM');
    expect(e.person.name.firstName).toBeTruthy(); // kept from the first row; the second row had none
    expect(e.identityMap.Email.map((x: { id: string }) => x.id)).toEqual(['customer10@example.com']);
  });

  it('evaluates audiences with exact sizes and exports them to a dataset and to S3', () => {
    expect(r.segmentJob.status).toBe('SUCCEEDED');
    expect(r.segmentJob.metrics.totalProfiles).toBe(r.expected.profiles);
    expect(r.segments.map((s) => s.size)).toEqual([r.expected.usGold, r.expected.highValueNonUs]);
    expect(r.segmentJob.metrics.segmentedProfileByStatusCounter[r.segments[0].id]).toEqual({ realized: r.expected.usGold, existing: 0, exited: 0 });
    expect(r.exportJob.status).toBe('SUCCEEDED');
    expect(r.exportJob.metrics.exportedProfileCounter).toBe(r.expected.usGold);
    expect(r.exportedFile.rows).toBe(r.expected.usGold);
    expect(r.exportedFile.header).toBe('personalEmail.address,person.name.firstName,person.name.lastName,loyalty.tier');
    expect(r.exportedFile.key).toMatch(new RegExp(`^audiences/Marketing_S3_${r.segments[0].id}_\\d{8}_\\d{6}\\.csv$`));
    expect(r.destinationRun.metrics.statusSummary.status).toBe('success');
  });
});
