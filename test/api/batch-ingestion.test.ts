import { gzipSync } from 'node:zlib';
import { realApp } from '../helpers/env';

const PROFILE = 'https://ns.adobe.com/xdm/context/profile';
const EVENT = 'https://ns.adobe.com/xdm/context/experienceevent';
const IMPORT = '/data/foundation/import';
const CATALOG = '/data/foundation/catalog';

/**
 * The batch ingestion API end to end on the real stack: batches created, files uploaded to the
 * landing bucket, COMPLETE → the ingestion workflow → catalog status, metrics and row errors.
 */
describe('API: batch ingestion (/data/foundation/import)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  const sandbox = `bi-${process.pid}`;
  const headers = { 'x-sandbox-name': sandbox };
  let profileDs: string;
  let eventDs: string;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { headers, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const put = async (batchId: string, datasetId: string, name: string, bytes: string | Buffer) => {
    const res = await t.app.request(`${IMPORT}/batches/${batchId}/datasets/${datasetId}/files/${name}`, {
      method: 'PUT', headers: { 'x-api-key': t.cfg.api.apiKey!, ...headers, 'content-type': 'application/octet-stream' }, body: bytes,
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const createBatch = async (datasetId: string, inputFormat: object, extra: object = {}) => {
    const r = await call('POST', `${IMPORT}/batches`, { datasetId, inputFormat, ...extra });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const waitDone = async (batchId: string) => {
    for (let i = 0; i < 240; i++) {
      const b = (await call('GET', `${CATALOG}/batches/${batchId}`)).body[batchId];
      if (b.status === 'success' || b.status === 'failed') return b;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`batch ${batchId} did not finish within 60 s`);
  };
  /** One batch, its files, COMPLETE, and the finished catalog batch. */
  const ingest = async (datasetId: string, inputFormat: object, files: [string, string | Buffer][], extra: object = {}) => {
    const id = await createBatch(datasetId, inputFormat, extra);
    for (const [name, bytes] of files) expect((await put(id, datasetId, name, bytes)).status).toBe(200);
    expect((await call('POST', `${IMPORT}/batches/${id}?action=COMPLETE`)).status).toBe(200);
    return { id, batch: await waitDone(id) };
  };
  const rowErrors = async (batchId: string) => {
    const meta = await call('GET', `/data/foundation/export/batches/${batchId}/meta?path=row_errors`);
    const rows: any[] = [];
    for (const f of meta.body.data) {
      const res = await t.request('GET', `/data/foundation/export/batches/${batchId}/failed?path=${encodeURIComponent(f.name)}`, { headers });
      rows.push(...(await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    }
    return rows;
  };
  const profileOf = (email: string) => call('GET', `/data/core/ups/access/entities?entityId=${encodeURIComponent(email)}&entityIdNS=Email`);

  beforeAll(async () => {
    t = await realApp();
    const schema = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', {
      title: 'Batch API customers', type: 'object',
      allOf: [{ $ref: PROFILE }, { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-person-details' }, { $ref: 'https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details' }],
    })).body;
    expect((await call('POST', '/data/foundation/schemaregistry/tenant/descriptors', {
      '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': '/personalEmail/address', 'xdm:namespace': 'Email', 'xdm:property': 'xdm:code', 'xdm:isPrimary': true,
    })).status).toBe(201);
    expect((await call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(schema['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }])).status).toBe(200);
    profileDs = (await call('POST', `${CATALOG}/dataSets`, { name: 'Batch API customers', schemaRef: { id: schema.$id }, tags: { unifiedProfile: ['enabled:true'] } })).body[0].split('/').pop();
    const events = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', { title: 'Batch API events', type: 'object', allOf: [{ $ref: EVENT }, { $ref: 'https://ns.adobe.com/xdm/context/identitymap' }] })).body;
    expect(events.$id).toBeTruthy();
    eventDs = (await call('POST', `${CATALOG}/dataSets`, { name: 'Batch API events', schemaRef: { id: events.$id } })).body[0].split('/').pop();
  });
  afterAll(() => t?.close());

  it('ingests a JSON array file, an NDJSON file and a CSV file, each in its own batch, with exact counts', async () => {
    const json = JSON.stringify([1, 2, 3].map((i) => ({ personalEmail: { address: `arr${i}@example.com` }, person: { name: { firstName: `Arr${i}` } }, loyalty: { points: i * 10 } })));
    const ndjson = [1, 2, 3, 4].map((i) => JSON.stringify({ personalEmail: { address: `nd${i}@example.com` }, person: { name: { firstName: `Nd${i}` } } })).join('\n');
    const csv = ['personalEmail.address,person.name.firstName,loyalty.points,person.birthDate', ...[1, 2, 3, 4, 5].map((i) => `csv${i}@example.com,Csv${i},${i * 100},1990-01-0${i}`)].join('\n');

    const created = await call('POST', `${IMPORT}/batches`, { datasetId: profileDs, inputFormat: { format: 'json' } });
    expect(created.body).toMatchObject({ status: 'loading', relatedObjects: [{ type: 'dataSet', id: profileDs }] });
    expect(created.body.created).toEqual(expect.any(Number));

    const a = await ingest(profileDs, { format: 'json' }, [['customers.json', json]]);
    expect(a.batch).toMatchObject({ status: 'success', metrics: { inputFileCount: 1, inputRecordCount: 3, outputRecordCount: 3, failedRecordCount: 0 } });
    expect(a.batch.metrics.inputByteSize).toBe(Buffer.byteLength(json));
    const b = await ingest(profileDs, { format: 'json' }, [['more/customers.ndjson', ndjson]]);
    expect(b.batch).toMatchObject({ status: 'success', metrics: { inputFileCount: 1, inputRecordCount: 4, outputRecordCount: 4, failedRecordCount: 0 } });
    const c = await ingest(profileDs, { format: 'csv' }, [['customers.csv', csv]]);
    expect(c.batch).toMatchObject({ status: 'success', metrics: { inputFileCount: 1, inputRecordCount: 5, outputRecordCount: 5, failedRecordCount: 0 } });

    expect(await t.deps.stores.datasetRecords.countDocuments({ sandbox, batchId: { $in: [a.id, b.id, c.id] } })).toBe(12);
    const p = await profileOf('csv3@example.com');
    expect(p.status).toBe(200);
    const entity = (Object.values(p.body)[0] as any).entity;
    expect(entity).toMatchObject({ person: { name: { firstName: 'Csv3' }, birthDate: '1990-01-03' }, loyalty: { points: 300 } });
    expect((await profileOf('arr2@example.com')).status).toBe(200);
    expect((await profileOf('nd4@example.com')).status).toBe(200);
  });

  it('gunzips a .gz file on ingest', async () => {
    const csv = ['personalEmail.address,person.name.firstName', ...[1, 2, 3].map((i) => `gz${i}@example.com,Gz${i}`)].join('\n');
    const { batch } = await ingest(profileDs, { format: 'csv' }, [['customers.csv.gz', gzipSync(csv)]]);
    expect(batch).toMatchObject({ status: 'success', metrics: { inputRecordCount: 3, outputRecordCount: 3, failedRecordCount: 0 } });
    expect((await profileOf('gz2@example.com')).status).toBe(200);
  });

  const badFile = [
    JSON.stringify({ personalEmail: { address: 'ok1@example.com' } }),
    JSON.stringify({ personalEmail: { address: 'typo@example.com' }, loyalty: { points: 'lots' } }),
    JSON.stringify({ person: { name: { firstName: 'Nobody' } } }),
    '{"personalEmail": {"address": ',
    JSON.stringify({ personalEmail: { address: 'ok2@example.com' } }),
  ].join('\n');

  it('lists bad rows (type mismatch, missing identity, corrupt JSON) with their codes; under the threshold the batch succeeds', async () => {
    const { id, batch } = await ingest(profileDs, { format: 'json' }, [['bad.json', badFile]], { enableErrorDiagnostics: true, partialIngestionPercentage: 80 });
    expect(batch).toMatchObject({ status: 'success', tags: { acp_partialIngestionPercent: ['80'], acp_enableErrorDiagnostics: ['true'] }, metrics: { inputRecordCount: 5, outputRecordCount: 2, failedRecordCount: 3 } });
    expect(batch.errors.map((e: any) => e.code)).toEqual(expect.arrayContaining(['INGEST-1212-400', 'INGEST-1401-400', 'INGEST-1402-400', 'INGEST-1555-400']));
    const rows = await rowErrors(id);
    expect(rows.map((r) => [r.rowNumber, r._errors[0].code])).toEqual([[2, 'INGEST-1402-400'], [3, 'INGEST-1555-400'], [4, 'INGEST-1401-400']]);
    expect(rows[0]._errors[0].message).toMatch(/loyalty\.points/);
    expect(rows[2]._corrupt_record).toContain('"personalEmail"');
  });

  it('fails a batch whose failed rows exceed the threshold, saying why', async () => {
    const { batch } = await ingest(profileDs, { format: 'json' }, [['bad.json', badFile]]);
    expect(batch.status).toBe('failed');
    expect(batch.errors.find((e: any) => e.code === 'INGEST-1212-400').description).toMatch(/3 of 5 records failed .*threshold 5%/);
  });

  it('COMPLETE is safe to retry: a second one answers 200 and starts nothing new', async () => {
    const id = await createBatch(profileDs, { format: 'json' });
    expect((await put(id, profileDs, 'one.json', JSON.stringify({ personalEmail: { address: 'twice@example.com' } }))).status).toBe(200);
    expect((await call('POST', `${IMPORT}/batches/${id}?action=COMPLETE`)).status).toBe(200);
    const again = await call('POST', `${IMPORT}/batches/${id}?action=COMPLETE`);
    expect(again.status).toBe(200);
    const handle = t.deps.temporal.workflow.getHandle(`batch/${sandbox}/${id}`);
    const firstRun = (await handle.describe()).runId;
    const done = await waitDone(id);
    expect(done.metrics).toMatchObject({ inputRecordCount: 1, outputRecordCount: 1 });
    const late = await call('POST', `${IMPORT}/batches/${id}?action=COMPLETE`);
    expect(late).toMatchObject({ status: 200, body: { status: 'success' } });
    expect((await handle.describe()).runId).toBe(firstRun);
    expect((await put(id, profileDs, 'late.json', '{}')).status).toBe(409);
  });

  it('ABORT stops a loading batch; an aborted batch takes no files and cannot be completed', async () => {
    const id = await createBatch(profileDs, { format: 'json' });
    expect((await put(id, profileDs, 'x.json', JSON.stringify({ personalEmail: { address: 'aborted@example.com' } }))).status).toBe(200);
    expect(await call('POST', `${IMPORT}/batches/${id}?action=ABORT`)).toMatchObject({ status: 200, body: { status: 'aborted' } });
    expect((await call('GET', `${CATALOG}/batches/${id}`)).body[id].status).toBe('aborted');
    const late = await put(id, profileDs, 'y.json', '{}');
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/aborted/);
    expect((await call('POST', `${IMPORT}/batches/${id}?action=COMPLETE`)).status).toBe(409);
    expect((await profileOf('aborted@example.com')).status).toBe(404);
  });

  it('refuses bad requests naming the field or the limit', async () => {
    expect(await call('POST', `${IMPORT}/batches`, { datasetId: 'nope', inputFormat: { format: 'json' } })).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^datasetId/) } });
    expect(await call('POST', `${IMPORT}/batches`, { datasetId: profileDs, inputFormat: { format: 'xml' } })).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^inputFormat\.format/) } });
    expect(await call('POST', `${IMPORT}/batches`, { datasetId: profileDs, inputFormat: { format: 'json' }, partialIngestionPercentage: 150 })).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^partialIngestionPercentage/) } });
    expect((await call('POST', `${IMPORT}/batches`, { inputFormat: { format: 'json' } })).status).toBe(400);

    const id = await createBatch(profileDs, { format: 'json' });
    expect(await call('POST', `${IMPORT}/batches/${id}?action=COMPLETE`)).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/no files/) } });
    expect(await call('POST', `${IMPORT}/batches/${id}?action=PUBLISH`)).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/^action/) } });
    expect((await call('POST', `${IMPORT}/batches/nope?action=COMPLETE`)).status).toBe(404);
    expect((await put(id, eventDs, 'a.json', '{}')).status).toBe(422);
    expect((await put(id, profileDs, 'dir//empty-segment.json', '{}')).status).toBe(400);

    // The guardrails (25,000 files, 1 TB) are counted on the batch: put it at the edge and upload one more.
    await t.deps.stores.batches.update(sandbox, id, { 'metrics.inputFileCount': 25_000 } as never);
    expect(await put(id, profileDs, 'one-too-many.json', '{}')).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/at most 25000 files.*INGEST-1410-400/) } });
    await t.deps.stores.batches.update(sandbox, id, { 'metrics.inputFileCount': 1, 'metrics.inputByteSize': 1024 ** 4 - 3 } as never);
    expect(await put(id, profileDs, 'too-big.json', '{"a":12345}')).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/1 TB/) } });
    expect((await call('GET', `${CATALOG}/batches/${id}`)).body[id].metrics).toMatchObject({ inputFileCount: 1, inputByteSize: 1024 ** 4 - 3 });
  });

  it('ingests ExperienceEvents: stored as events of the profile of their identity', async () => {
    const events = [
      { _id: 'e1', timestamp: '2024-03-01T10:00:00Z', eventType: 'web.webpagedetails.pageViews', identityMap: { Email: [{ id: 'ev1@example.com', primary: true }] } },
      { _id: 'e2', timestamp: '2024-03-01T10:05:00Z', eventType: 'commerce.purchases', identityMap: { Email: [{ id: 'ev1@example.com', primary: true }] } },
      { _id: 'e3', timestamp: '2024-03-02T09:00:00Z', eventType: 'web.webpagedetails.pageViews', identityMap: { Email: [{ id: 'ev2@example.com', primary: true }] } },
    ];
    const { id, batch } = await ingest(eventDs, { format: 'json' }, [['events.json', events.map((e) => JSON.stringify(e)).join('\n')]]);
    expect(batch).toMatchObject({ status: 'success', metrics: { inputRecordCount: 3, outputRecordCount: 3, failedRecordCount: 0 } });
    const stored = await t.deps.stores.profiles.events.find({ sandbox, datasetId: eventDs, batchId: id }).sort({ timestamp: 1 }).toArray();
    expect(stored.map((e) => [e.eventType, e.timestamp])).toEqual([['web.webpagedetails.pageViews', '2024-03-01T10:00:00.000Z'], ['commerce.purchases', '2024-03-01T10:05:00.000Z'], ['web.webpagedetails.pageViews', '2024-03-02T09:00:00.000Z']]);
    expect(stored[0].graphId).toBe(stored[1].graphId);
    const p = await profileOf('ev1@example.com');
    expect(p.status).toBe(200);
    expect(Object.keys(p.body)[0]).toBe(stored[0].graphId);
  });
});
