import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { StreamMessage } from '../../workflows/definitions';
import { workflowBundle } from '../../workers/start';
import { realApp } from '../helpers/env';

const FLOW = '/data/foundation/flowservice';
const HTTP_API = 'bc7b00d6-623a-4dfc-9fdb-f1240aeadaeb';
const STREAMING_FLOW = 'd8a6f005-7eaf-4153-983e-e8574508b877';
const DATA_LAKE = 'c604ff05-7f1a-43c0-8e18-33bf874cb11c';
const XED = 'application/vnd.adobe.xed-full+json;version=1';

/**
 * Streaming ingestion on the real stack: an HTTP API streaming connection and its dataflow, records
 * validated synchronously by POST /collection, buffered by the dataset's streaming workflow and
 * flushed through the shared write path into the dataset and the profile.
 */
describe('streaming ingestion (/collection → streamingIngestionWorkflow)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  const sandbox = `stream-${process.pid}`;
  const headers = { 'x-sandbox-name': sandbox };
  let schemaId: string;
  let datasetId: string;
  let connId: string;

  const call = async (method: string, path: string, body?: unknown, raw?: string) => {
    const res = await t.request(method, path, { headers, ...(body === undefined ? {} : { body }), ...(raw === undefined ? {} : { raw }) });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const message = (entity: object) => ({ header: { schemaRef: { id: schemaId, contentType: XED }, imsOrgId: 'ORG@AdobeOrg', source: { name: 'test' } }, body: { xdmMeta: { schemaRef: { id: schemaId, contentType: XED } }, xdmEntity: entity } });
  const person = (email: string, firstName: string) => ({ personalEmail: { address: email }, person: { name: { firstName } } });
  /** Polls the profile of an email until `ok(entity)` holds (or `ms` pass); returns the last entity. */
  const profileWhen = async (email: string, ok: (entity: any) => boolean, ms = 20_000) => {
    const until = Date.now() + ms;
    let entity: any;
    while (Date.now() < until) {
      const r = await call('GET', `/data/core/ups/access/entities?entityId=${encodeURIComponent(email)}&entityIdNS=Email`);
      entity = r.status === 200 ? (Object.values(r.body)[0] as any).entity : undefined;
      if (entity && ok(entity)) return entity;
      await new Promise((r) => setTimeout(r, 200));
    }
    return entity;
  };

  beforeAll(async () => {
    t = await realApp();
    const schema = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', {
      title: 'Streamed customers', type: 'object',
      allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/profile' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-person-details' }],
    })).body;
    schemaId = schema.$id;
    await call('POST', '/data/foundation/schemaregistry/tenant/descriptors', {
      '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schemaId, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': '/personalEmail/address', 'xdm:namespace': 'Email', 'xdm:property': 'xdm:code', 'xdm:isPrimary': true,
    });
    await call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(schema['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }]);
    datasetId = (await call('POST', '/data/foundation/catalog/dataSets', { name: 'Streamed customers', schemaRef: { id: schemaId, contentType: XED }, tags: { unifiedProfile: ['enabled:true'] } })).body[0].split('/').pop();

    const conn = await call('POST', `${FLOW}/connections`, { name: 'Web signups', connectionSpec: { id: HTTP_API, version: '1.0' }, auth: { specName: 'Streaming Connection', params: { sourceId: 'web-signups', dataType: 'xdm', name: 'Web signups' } } });
    expect(conn.status).toBe(201);
    expect(conn.body).toEqual({ id: expect.any(String), etag: expect.any(String) });
    connId = conn.body.id;
    // The source connection handler still requires data/params, which AEP's streaming source connection does not send.
    const src = await call('POST', `${FLOW}/sourceConnections`, { name: 'Web signups source', baseConnectionId: connId, connectionSpec: { id: HTTP_API, version: '1.0' }, data: { format: 'json' }, params: { path: '/streaming/web-signups' } });
    expect(src.status).toBe(201);
    const tgt = await call('POST', `${FLOW}/targetConnections`, { name: 'Streamed customers', connectionSpec: { id: DATA_LAKE, version: '1.0' }, data: { schema: { id: schemaId, version: XED } }, params: { dataSetId: datasetId } });
    expect(tgt.status).toBe(201);
    const flow = await call('POST', `${FLOW}/flows`, { name: 'Web signups → customers', flowSpec: { id: STREAMING_FLOW, version: '1.0' }, sourceConnectionIds: [src.body.id], targetConnectionIds: [tgt.body.id] });
    expect(flow.status).toBe(201);
  });
  afterAll(() => t?.close());

  it('shows the inlet of a streaming connection, and refuses a streaming dataflow without one', async () => {
    const got = await call('GET', `${FLOW}/connections/${connId}`);
    expect(got.body.items[0].auth.params).toMatchObject({ inletId: connId, inletUrl: expect.stringMatching(new RegExp(`/collection/${connId}$`)), dataType: 'xdm', sourceId: 'web-signups' });
    expect(got.body.items[0].params).toMatchObject({ inletId: connId });
    const bad = await call('POST', `${FLOW}/flows`, { name: 'x', flowSpec: { id: STREAMING_FLOW, version: '1.0' }, sourceConnectionIds: ['nope'], targetConnectionIds: ['nope'] });
    expect(bad).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^sourceConnectionIds/) } });
    expect(await call('POST', `${FLOW}/connections`, { name: 'raw', connectionSpec: { id: HTTP_API, version: '1.0' }, auth: { specName: 'Streaming Connection', params: { dataType: 'raw' } } })).toMatchObject({ status: 422, body: { detail: expect.stringMatching(/^auth\.params\.dataType/) } });
  });

  it('accepts one message and the profile has it within seconds', async () => {
    const t0 = Date.now();
    const res = await call('POST', `/collection/${connId}`, message(person('one@example.com', 'Una')));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ inletId: connId, xactionId: expect.any(String), receivedTimeMs: expect.any(Number) });
    const entity = await profileWhen('one@example.com', (e) => e.person?.name?.firstName === 'Una');
    expect(entity?.person?.name?.firstName).toBe('Una');
    expect(Date.now() - t0).toBeLessThan(10_000);
    const wf = await t.deps.temporal.workflow.getHandle(`stream/${sandbox}/${datasetId}`).describe();
    expect(wf.type).toBe('streamingIngestionWorkflow');
    expect(await t.deps.stores.datasetRecords.countDocuments({ sandbox, datasetId, 'record.personalEmail.address': 'one@example.com' })).toBe(1);
  });

  it('evaluates continuous segments on each accepted record: realized within seconds, exited when it no longer qualifies', async () => {
    const def = await call('POST', '/data/core/ups/segment/definitions', {
      name: 'Named Ada', expression: { type: 'PQL', format: 'pql/text', value: 'person.name.firstName = "Ada"' },
      evaluationInfo: { batch: { enabled: true }, continuous: { enabled: true }, synchronous: { enabled: false } },
    });
    expect(def.status).toBe(200);
    const segmentId = def.body.id as string;
    const sent = Date.now();
    expect((await call('POST', `/collection/${connId}`, message(person('ada@example.com', 'Ada')))).status).toBe(200);
    const realized = await profileWhen('ada@example.com', (e) => e.segmentMembership?.ups?.[segmentId]?.status === 'realized');
    expect(realized.segmentMembership.ups[segmentId]).toMatchObject({ status: 'realized', lastQualificationTime: expect.any(String) });
    expect(Date.now() - sent).toBeLessThan(15_000);
    expect((await call('POST', `/collection/${connId}`, message(person('ada@example.com', 'Augusta')))).status).toBe(200);
    const exited = await profileWhen('ada@example.com', (e) => e.segmentMembership?.ups?.[segmentId]?.status === 'exited');
    expect(exited.segmentMembership.ups[segmentId].status).toBe('exited');
    // Someone who never qualified gets no membership entry for it.
    expect((await call('POST', `/collection/${connId}`, message(person('bob.s@example.com', 'Bob')))).status).toBe(200);
    const bob = await profileWhen('bob.s@example.com', () => true);
    expect(bob.segmentMembership?.ups?.[segmentId]).toBeUndefined();
  });

  it('answers a batch message by message: the bad one gets a 400 entry, the others are ingested', async () => {
    const res = await call('POST', `/collection/batch/${connId}`, {
      messages: [message(person('b1@example.com', 'Bea')), message({ ...person('b2@example.com', 'Bad'), person: { birthDate: 'yesterday' } }), message(person('b3@example.com', 'Bo'))],
    });
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ inletId: connId, batchId: expect.any(String), receivedTimeMs: expect.any(Number) });
    expect(res.body.responses.map((r: any) => r.status)).toEqual([200, 400, 200]);
    expect(res.body.responses[1].message).toMatch(/person\.birthDate/);
    expect(res.body.responses[1].errors[0]).toMatchObject({ path: 'person.birthDate', rule: 'format' });
    expect((await profileWhen('b1@example.com', (e) => e.person?.name?.firstName === 'Bea'))?.person?.name?.firstName).toBe('Bea');
    expect((await profileWhen('b3@example.com', (e) => e.person?.name?.firstName === 'Bo'))?.person?.name?.firstName).toBe('Bo');
    expect(await profileWhen('b2@example.com', () => true, 500)).toBeUndefined();
  });

  it('validates synchronously: a bad record, a bad envelope, a missing identity, an unknown connection, an oversized message', async () => {
    const bad = await call('POST', `/collection/${connId}`, message({ ...person('x@example.com', 'X'), person: { birthDate: 'yesterday' } }));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status: 400, detail: expect.stringMatching(/person\.birthDate/), report: { message: expect.any(String), errors: [{ path: 'person.birthDate', rule: 'format', message: expect.any(String) }] } });

    const envelope = await call('POST', `/collection/${connId}`, { header: {}, body: { xdmEntity: person('y@example.com', 'Y') } });
    expect(envelope).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/^header\.schemaRef/) } });

    const anonymous = await call('POST', `/collection/${connId}`, message({ person: { name: { firstName: 'Anon' } } }));
    expect(anonymous).toMatchObject({ status: 400, body: { report: { errors: [{ path: 'personalEmail.address', rule: 'identity' }] } } });

    const wrongSchema = await call('POST', `/collection/${connId}`, { ...message(person('z@example.com', 'Z')), header: { schemaRef: { id: 'https://ns.adobe.com/other', contentType: XED } } });
    expect(wrongSchema).toMatchObject({ status: 400, body: { detail: expect.stringMatching(/^header\.schemaRef\.id/) } });

    expect((await call('POST', '/collection/no-such-connection', message(person('n@example.com', 'N')))).status).toBe(404);
    expect((await call('POST', `/collection/batch/no-such-connection`, { messages: [message(person('n@example.com', 'N'))] })).status).toBe(404);

    const huge = await call('POST', `/collection/${connId}`, undefined, JSON.stringify(message({ ...person('big@example.com', 'Big'), person: { name: { firstName: 'x'.repeat(1_100_000) } } })));
    expect(huge).toMatchObject({ status: 413, body: { detail: expect.stringMatching(/1 MB/) } });
  });

  it('flushes at most 500 records at a time, each flush a catalog batch of the dataset', async () => {
    const messages = Array.from({ length: 600 }, (_, i) => message(person(`bulk${i}@example.com`, `Bulk${i}`)));
    const res = await call('POST', `/collection/batch/${connId}`, { messages });
    expect(res.status).toBe(200);
    expect(res.body.responses.every((r: any) => r.status === 200)).toBe(true);
    expect((await profileWhen('bulk599@example.com', (e) => e.person?.name?.firstName === 'Bulk599', 30_000))?.person?.name?.firstName).toBe('Bulk599');
    const { items } = await t.deps.stores.batches.list(sandbox, { 'relatedObjects.id': datasetId }, { limit: 1000 });
    const sizes = items.map((b) => b.metrics.inputRecordCount);
    expect(sizes).toEqual(expect.arrayContaining([500, 100]));
    expect(items.every((b) => b.status === 'success' && b.tags.openxp_ingestionMode?.[0] === 'streaming')).toBe(true);
    expect(await t.deps.stores.datasetRecords.countDocuments({ sandbox, datasetId, 'record.person.name.firstName': /^Bulk/ })).toBe(600);
  });

  it('lets the latest message win, even one with the same content as an earlier one', async () => {
    for (const name of ['First', 'Second', 'First']) {
      expect((await call('POST', `/collection/${connId}`, message(person('latest@example.com', name)))).status).toBe(200);
      expect((await profileWhen('latest@example.com', (e) => e.person?.name?.firstName === name))?.person?.name?.firstName).toBe(name);
      await new Promise((r) => setTimeout(r, 5)); // distinct receive times
    }
  });
});

/**
 * The workflow alone, on a queue of its own with a recording writeStreamRecords: 1005 signals make it
 * continue as new (after 1000), and every record is flushed exactly once across the two runs.
 */
describe('streamingIngestionWorkflow continues as new without losing a record', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  let worker: Worker;
  let running: Promise<void>;
  const queue = `openxp-streaming-can-${process.pid}`;
  const flushes: { batchId: string; messages: StreamMessage[] }[] = [];

  beforeAll(async () => {
    t = await realApp();
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const connection = await NativeConnection.connect({ address: t.cfg.temporal.address! });
    worker = await Worker.create({
      connection, namespace: t.cfg.temporal.namespace, taskQueue: queue, workflowBundle: await workflowBundle(),
      activities: { writeStreamRecords: async (input: { batchId: string; messages: StreamMessage[] }) => {
        flushes.push(input);
        return { input: input.messages.length, output: input.messages.length, failed: 0, errorCounts: {} };
      } },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await t?.close();
  });

  it('carries the buffer and the flush count over continue-as-new', async () => {
    const workflowId = `stream/can-${process.pid}/ds`;
    const send = (i: number) => t.deps.temporal.workflow.signalWithStart('streamingIngestionWorkflow', {
      taskQueue: queue, workflowId, args: [{ sandbox: `can-${process.pid}`, datasetId: 'ds' }], signal: 'streamRecords',
      signalArgs: [{ messages: [{ xactionId: `x${i}`, receivedTimeMs: i, entity: { n: i } }] }],
    });
    const first = await send(0);
    for (let i = 1; i < 1005; i++) await send(i);
    for (let waited = 0; flushes.reduce((n, f) => n + f.messages.length, 0) < 1005 && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    const ids = flushes.flatMap((f) => f.messages.map((m) => m.xactionId));
    expect(ids).toHaveLength(1005);
    expect(new Set(ids).size).toBe(1005);
    expect(new Set(flushes.map((f) => f.batchId)).size).toBe(flushes.length);
    expect(flushes.every((f) => f.messages.length <= 500)).toBe(true);
    // The run continues as new right after its last flush; give it a moment to do so.
    let latest = await t.deps.temporal.workflow.getHandle(workflowId).describe();
    for (let waited = 0; latest.runId === first.signaledRunId && waited < 10_000; waited += 200) {
      await new Promise((r) => setTimeout(r, 200));
      latest = await t.deps.temporal.workflow.getHandle(workflowId).describe();
    }
    expect(latest.runId).not.toBe(first.signaledRunId);
    await t.deps.temporal.workflow.getHandle(workflowId).terminate('test done');
  });
});
