import { TASK_QUEUES } from '../../workflows/definitions';
import { realApp } from '../helpers/env';
import { person, profileSandbox } from '../helpers/profile-data';

const UPS = '/data/core/ups';
const CATALOG = '/data/foundation/catalog';
const EVENT = 'https://ns.adobe.com/xdm/context/experienceevent';

/**
 * Export jobs end to end on the real stack: people ingested through the batch API, a segment job
 * realises an audience, an export job writes it as a new batch of another profile dataset.
 */
describe('API: export jobs (/data/core/ups/export/jobs)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  let s: Awaited<ReturnType<typeof profileSandbox>>;
  let segmentId: string;
  let targetDs: string;
  const until = async <T>(what: string, read: () => Promise<T>, done: (x: T) => boolean, ms = 120_000): Promise<T> => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 250))) {
      const x = await read();
      if (done(x)) return x;
    }
    throw new Error(`${what}: not done within ${ms} ms`);
  };
  const job = async (id: string) => (await s.call('GET', `${UPS}/export/jobs/${id}`)).body;
  const finished = (id: string) => until(`export job ${id}`, () => job(id), (j) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status));
  const rowsOf = (batchId: string) => t.deps.stores.datasetRecords.find({ sandbox: s.sandbox, batchId }).sort({ _id: 1 }).toArray();

  beforeAll(async () => {
    t = await realApp();
    s = await profileSandbox(t, `exp-${process.pid}`);
    const batch = await s.ingest([
      person('ann@example.com', { CRMID: ['crm-ann'] }, { homeAddress: { countryCode: 'US' }, person: { name: { firstName: 'Ann', lastName: 'A' } } }),
      person('bob@example.com', {}, { homeAddress: { countryCode: 'US' }, person: { name: { lastName: 'B' } } }),
      person('cid@example.com', {}, { homeAddress: { countryCode: 'FR' }, person: { name: { firstName: 'Cid' } } }),
      person('dee@example.com', {}, { homeAddress: { countryCode: 'US' }, person: { name: { firstName: 'Dee' } } }),
      person('eve@example.com', {}, { homeAddress: { countryCode: 'DE' } }),
    ]);
    expect(batch.status).toBe('success');
    const def = await s.call('POST', `${UPS}/segment/definitions`, { name: 'US', expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.countryCode = "US"' } });
    expect(def.status).toBe(200);
    segmentId = def.body.id;
    const seg = await s.call('POST', `${UPS}/segment/jobs`, [{ segmentId }]);
    expect(seg.status).toBe(200);
    const segDone = await until('segment job', async () => (await s.call('GET', `${UPS}/segment/jobs/${seg.body.id}`)).body, (j) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status));
    expect(segDone.status).toBe('SUCCEEDED');
    const ds = await s.call('POST', `${CATALOG}/dataSets`, { name: 'US audience export', schemaRef: { id: s.schemaId } });
    expect(ds.status).toBe(201);
    targetDs = ds.body[0].split('/').pop();
  });
  afterAll(() => t?.close());

  const body = (extra: object = {}) => ({
    fields: 'identities.id,personalEmail.address,person.name.firstName',
    filter: { segments: [{ segmentId, segmentNs: 'ups', status: ['realized', 'existing'] }] },
    destination: { datasetId: targetDs }, schema: { name: '_xdm.context.profile' }, ...extra,
  });

  it('writes the audience as a new catalog batch with exactly the selected fields, and metrics', async () => {
    const created = await s.call('POST', `${UPS}/export/jobs`, body());
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ status: 'NEW', jobType: 'BATCH', destination: { datasetId: targetDs }, mergePolicy: { id: expect.any(String), version: expect.any(Number) } });
    const done = await finished(created.body.id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', errors: [], metrics: { totalExportedProfileCounter: 3, exportedProfileCounter: 3, exportedProfileByNamespaceCounter: { Email: 3, CRMID: 1 } } });
    expect(done.metrics.totalTime.totalTimeInMs).toBeGreaterThanOrEqual(0);
    expect(done.metrics.profileExportTime.totalTimeInMs).toBeGreaterThanOrEqual(0);
    const batchId = done.destination.batchId as string;
    const batch = (await s.call('GET', `${CATALOG}/batches/${batchId}`)).body[batchId];
    expect(batch).toMatchObject({ status: 'success', relatedObjects: [{ type: 'dataSet', id: targetDs }], metrics: { inputRecordCount: 3, outputRecordCount: 3, failedRecordCount: 0 } });

    const records = (await rowsOf(batchId)).map((r) => r.record).sort((a: any, b: any) => a.personalEmail.address.localeCompare(b.personalEmail.address));
    // The schema has no legacy `identities` list: identities.id is written as the profile's identityMap (CRMID outranks Email as primary).
    expect(records).toEqual([
      { personalEmail: { address: 'ann@example.com' }, person: { name: { firstName: 'Ann' } }, identityMap: { Email: [{ id: 'ann@example.com' }], CRMID: [{ id: 'crm-ann', primary: true }] } },
      { personalEmail: { address: 'bob@example.com' }, identityMap: { Email: [{ id: 'bob@example.com', primary: true }] } },
      { personalEmail: { address: 'dee@example.com' }, person: { name: { firstName: 'Dee' } }, identityMap: { Email: [{ id: 'dee@example.com', primary: true }] } },
    ]);
    const rows = await rowsOf(batchId);
    expect(rows.every((r) => r.datasetId === targetDs && r.identities!.includes(`Email:${(r.record as any).personalEmail.address}`))).toBe(true);

    // Running the job's workflow again (what a retry amounts to) writes no row twice.
    const again = await t.deps.temporal.workflow.start('exportJobWorkflow', { taskQueue: TASK_QUEUES.segmentation, workflowId: `${done.workflow.workflowId}/again`, args: [{ sandbox: s.sandbox, jobId: done.id }] });
    expect(await again.result()).toBe('SUCCEEDED');
    expect(await rowsOf(batchId)).toHaveLength(3);
    expect((await job(done.id)).metrics.totalExportedProfileCounter).toBe(3);

    const list = await s.call('GET', `${UPS}/export/jobs?limit=10`);
    expect(list.body.records.map((j: any) => j.id)).toContain(done.id);
    expect((await s.call('DELETE', `${UPS}/export/jobs/${done.id}`)).status).toBe(422);
  });

  it('without fields exports the whole profile projected onto the dataset schema; filters by status and qualification time', async () => {
    const all = await finished((await s.call('POST', `${UPS}/export/jobs`, body({ fields: undefined }))).body.id);
    expect(all.status).toBe('SUCCEEDED');
    const recs = (await rowsOf(all.destination.batchId)).map((r) => r.record as any);
    expect(recs).toHaveLength(3);
    const ann = recs.find((r) => r.personalEmail.address === 'ann@example.com');
    expect(ann).toMatchObject({ homeAddress: { countryCode: 'US' }, person: { name: { firstName: 'Ann', lastName: 'A' } }, identityMap: { CRMID: [{ id: 'crm-ann' }] } });

    const exited = await finished((await s.call('POST', `${UPS}/export/jobs`, body({ filter: { segments: [{ segmentId, status: ['exited'] }] } }))).body.id);
    expect(exited).toMatchObject({ status: 'SUCCEEDED', metrics: { totalExportedProfileCounter: 0 } });
    const future = await finished((await s.call('POST', `${UPS}/export/jobs`, body({ filter: { segments: [{ segmentId }], segmentQualificationTime: { startTime: '2999-01-01T00:00:00Z' } } }))).body.id);
    expect(future).toMatchObject({ status: 'SUCCEEDED', metrics: { totalExportedProfileCounter: 0 } });
    const noFilter = await finished((await s.call('POST', `${UPS}/export/jobs`, { fields: 'personalEmail.address', destination: { datasetId: targetDs } })).body.id);
    expect(noFilter).toMatchObject({ status: 'SUCCEEDED', metrics: { totalExportedProfileCounter: 5 } });

    // A profile with no profile records (events only) is exported only with emptyProfiles: true.
    const graphId = 'emptyprofile0001';
    await t.deps.stores.profiles.profiles.insertOne({ _id: `${s.sandbox}|${graphId}`, sandbox: s.sandbox, graphId, partition: 1, sources: [], lastModifiedAt: Date.now(), entity: { identityMap: { CRMID: [{ id: 'only-events', primary: true }] } } });
    try {
      const withEmpty = await finished((await s.call('POST', `${UPS}/export/jobs`, { fields: 'identities.id', destination: { datasetId: targetDs }, filter: { emptyProfiles: true } })).body.id);
      expect(withEmpty).toMatchObject({ status: 'SUCCEEDED', metrics: { totalExportedProfileCounter: 6 } });
      const withoutEmpty = await finished((await s.call('POST', `${UPS}/export/jobs`, { fields: 'identities.id', destination: { datasetId: targetDs }, filter: { emptyProfiles: false } })).body.id);
      expect(withoutEmpty).toMatchObject({ status: 'SUCCEEDED', metrics: { totalExportedProfileCounter: 5 } });
    } finally {
      await t.deps.stores.profiles.profiles.deleteOne({ _id: `${s.sandbox}|${graphId}` });
    }
  });

  it('refuses bad requests naming the field', async () => {
    const expect422 = async (b: object, field: string) => {
      const r = await s.call('POST', `${UPS}/export/jobs`, b);
      expect({ status: r.status, detail: r.body.detail.split(':')[0] }).toEqual({ status: 422, detail: field });
    };
    await expect422(body({ destination: { datasetId: 'nope' } }), 'destination.datasetId');
    const events = (await s.call('POST', '/data/foundation/schemaregistry/tenant/schemas', { title: `Export events ${s.sandbox}`, type: 'object', allOf: [{ $ref: EVENT }] })).body;
    const eventDs = (await s.call('POST', `${CATALOG}/dataSets`, { name: 'events', schemaRef: { id: events.$id } })).body[0].split('/').pop();
    await expect422(body({ destination: { datasetId: eventDs } }), 'destination.datasetId');
    await expect422(body({ filter: { segments: [{ segmentId: 'no-such-segment' }] } }), 'filter.segments[0].segmentId');
    await expect422(body({ mergePolicy: { id: 'no-such-policy' } }), 'mergePolicy.id');
    const mp = (await s.call('POST', `${UPS}/export/jobs`, body())).body.mergePolicy;
    await expect422(body({ mergePolicy: { id: mp.id, version: mp.version + 7 } }), 'mergePolicy.version');
    await expect422(body({ fields: 'personalEmail.nope' }), 'fields');
    await expect422(body({ fields: 'a..b' }), 'fields');
    await expect422(body({ schema: { name: '_xdm.context.experienceevent' } }), 'schema.name');
    const bad = await s.call('POST', `${UPS}/export/jobs`, body({ filter: { segments: [{ segmentId, status: ['gone'] }] } }));
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^filter\.segments\[0\]\.status\[0\]/);
    expect((await s.call('GET', `${UPS}/export/jobs/nope`)).status).toBe(404);
    expect((await s.call('DELETE', `${UPS}/export/jobs/nope`)).status).toBe(404);
  });

  it('cancels a running export: CANCELLED, its batch aborted and empty', async () => {
    // Enough profiles (written straight to the profile store) that the export is still running when cancelled.
    const n = 6000;
    const sandbox = s.sandbox;
    const now = new Date().toISOString();
    const docs = Array.from({ length: n }, (_, i) => {
      const graphId = `cancel${String(i).padStart(6, '0')}${(i % 65536).toString(16).padStart(4, '0')}`;
      return {
        _id: `${sandbox}|${graphId}`, sandbox, graphId, partition: parseInt(graphId.slice(-4), 16) % 8, sources: ['x'], lastModifiedAt: Date.now(),
        entity: { personalEmail: { address: `c${i}@example.com` }, identityMap: { Email: [{ id: `c${i}@example.com`, primary: true }] } },
        segmentMembership: { ups: { [segmentId]: { status: 'realized' as const, lastQualificationTime: now } } },
      };
    });
    for (let i = 0; i < n; i += 2000) await t.deps.stores.profiles.profiles.insertMany(docs.slice(i, i + 2000));
    try {
      const created = await s.call('POST', `${UPS}/export/jobs`, body({ fields: 'personalEmail.address' }));
      expect(created.status).toBe(200);
      expect((await s.call('DELETE', `${UPS}/export/jobs/${created.body.id}`)).status).toBe(204);
      const done = await finished(created.body.id);
      expect(done.status).toBe('CANCELLED');
      if (done.destination.batchId) {
        const batch = (await s.call('GET', `${CATALOG}/batches/${done.destination.batchId}`)).body[done.destination.batchId];
        expect(batch.status).toBe('aborted');
        expect(await rowsOf(done.destination.batchId)).toHaveLength(0);
      }
      // The same export left to finish: every profile once; the rate is what the README reports.
      const full = await s.call('POST', `${UPS}/export/jobs`, body({ fields: 'personalEmail.address' }));
      const ok = await finished(full.body.id);
      expect(ok).toMatchObject({ status: 'SUCCEEDED', metrics: { totalExportedProfileCounter: n + 3 } });
      expect(await t.deps.stores.datasetRecords.countDocuments({ sandbox, batchId: ok.destination.batchId })).toBe(n + 3);
      const ms = ok.metrics.profileExportTime.totalTimeInMs;
      console.log(`[export] ${n + 3} profiles in ${ms} ms (${Math.round(((n + 3) / ms) * 1000)} rows/s; whole job ${ok.metrics.totalTime.totalTimeInMs} ms)`);
    } finally {
      await t.deps.stores.profiles.profiles.deleteMany({ sandbox, graphId: { $regex: '^cancel' } });
    }
  }, 400_000);
});
