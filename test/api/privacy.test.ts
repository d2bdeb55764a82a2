import { deletePerson, createPrivacyActivities, saveProgress } from '../../activities/privacy.activities';
import type { ActivityDeps } from '../../activities/deps';
import { DELETE_STEPS, privacyWorkflowId, startProgress } from '../../domain/privacy/model';
import type { DeleteProgress, DeleteStore, PrivacyJob } from '../../domain/privacy/model';
import { TASK_QUEUES } from '../../workflows/definitions';
import { startWorkers } from '../../workers/start';
import { realApp } from '../helpers/env';

const PROFILE = 'https://ns.adobe.com/xdm/context/profile';
const EVENT = 'https://ns.adobe.com/xdm/context/experienceevent';
const IDMAP = 'https://ns.adobe.com/xdm/context/identitymap';
const IMPORT = '/data/foundation/import';
const CATALOG = '/data/foundation/catalog';
const JOBS = '/data/core/privacy/jobs';
/** A database of its own, served by a worker of this test on a queue of its own. */
const DB = `openxp_privacy_${process.pid}`;

/**
 * Privacy delete end to end on the real stack: people and their events ingested through the batch
 * API, a delete submitted for one of them by a secondary identity, and then every trace of that
 * person — identities, graph, history, fragments, profile, events, dataset records — gone and
 * proven gone, the other person untouched, and a later record with one of the deleted identities
 * starting a new profile from nothing.
 */
describe('API: privacy delete (/data/core/privacy/jobs)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  let workers: Awaited<ReturnType<typeof startWorkers>>;
  const sandbox = `privacy-${process.pid}`;
  const headers = { 'x-sandbox-name': sandbox };
  const queue = `openxp-ingestion-privacy-${process.pid}`;
  let profileDs: string;
  let eventDs: string;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await t.request(method, path, { headers, ...(body === undefined ? {} : { body }) });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  /** One batch with one NDJSON file, completed, waited for. */
  const ingest = async (datasetId: string, rows: object[]) => {
    const { body: batch } = await call('POST', `${IMPORT}/batches`, { datasetId, inputFormat: { format: 'json' } });
    const put = await t.app.request(`${IMPORT}/batches/${batch.id}/datasets/${datasetId}/files/rows.json`, {
      method: 'PUT', headers: { 'x-api-key': t.cfg.api.apiKey!, ...headers, 'content-type': 'application/octet-stream' }, body: rows.map((r) => JSON.stringify(r)).join('\n'),
    });
    expect(put.status).toBe(200);
    expect((await call('POST', `${IMPORT}/batches/${batch.id}?action=COMPLETE`)).status).toBe(200);
    for (let i = 0; i < 240; i++) {
      const b = (await call('GET', `${CATALOG}/batches/${batch.id}`)).body[batch.id];
      if (b.status === 'success' || b.status === 'failed') {
        expect(b).toMatchObject({ status: 'success', metrics: { outputRecordCount: rows.length } });
        return batch.id as string;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`batch ${batch.id} did not finish within 60 s`);
  };
  const waitJob = async (jobId: string) => {
    for (let i = 0; i < 240; i++) {
      const r = await call('GET', `${JOBS}/${jobId}`);
      expect(r.status).toBe(200);
      if (r.body.status !== 'processing') return r.body;
      await new Promise((res) => setTimeout(res, 250));
    }
    throw new Error(`privacy job ${jobId} did not finish within 60 s`);
  };
  const submit = async (key: string, userIDs: object[], extra: object = {}) => call('POST', JOBS, { companyContexts: [{ namespace: 'imsOrgID', value: 'org' }], users: [{ key, action: ['delete'], userIDs }], regulation: 'gdpr', ...extra });
  const profileOf = (ns: string, id: string) => call('GET', `/data/core/ups/access/entities?entityId=${encodeURIComponent(id)}&entityIdNS=${ns}`);
  const eventsOf = (ns: string, id: string) => call('GET', `/data/core/ups/access/entities?schema.name=_xdm.context.experienceevent&relatedEntityId=${encodeURIComponent(id)}&relatedEntityIdNS=${ns}`);
  const membersOf = (ns: string, id: string) => call('GET', `/data/core/identity/identity/cluster/members?ns=${ns}&id=${encodeURIComponent(id)}`);

  /** What is stored of a person, counted independently of the job's own queries. */
  const footprint = async (graphId: string, keys: string[]) => {
    const s = t.deps.stores;
    return {
      identities: await s.identities.coll.countDocuments({ sandbox, graphId }),
      graphs: await s.graphs.coll.countDocuments({ _id: `${sandbox}|${graphId}` }),
      history: await s.graphs.history.countDocuments({ sandbox, $or: [{ graphId }, { link: { $in: keys } }, { identities: { $in: keys } }, { identity: { $in: keys } }] }),
      fragments: await s.profiles.fragments.countDocuments({ sandbox, graphId }),
      events: await s.profiles.events.countDocuments({ sandbox, graphId }),
      profiles: await s.profiles.profiles.countDocuments({ _id: `${sandbox}|${graphId}` }),
      datasetRecords: await s.datasetRecords.countDocuments({ sandbox, identities: { $in: keys } }),
    };
  };
  const graphOf = async (key: string) => (await t.deps.stores.identities.graphsOf(sandbox, [key])).get(key);

  beforeAll(async () => {
    t = await realApp({ db: DB });
    workers = await startWorkers(t.cfg, ['ingestion'], { taskQueues: { ingestion: queue } });
    // The API starts ingestion-queue workflows on the shared queue, whose worker reads the default database: send them to this test's worker.
    const wf = t.deps.temporal.workflow;
    const onOwnQueue = <O extends { taskQueue: string }>(o: O): O => ({ ...o, taskQueue: o.taskQueue === TASK_QUEUES.ingestion ? queue : o.taskQueue });
    const start = wf.start.bind(wf);
    const signalWithStart = wf.signalWithStart.bind(wf);
    wf.start = ((type: any, o: any) => start(type, onOwnQueue(o))) as typeof wf.start;
    wf.signalWithStart = ((type: any, o: any) => signalWithStart(type, onOwnQueue(o))) as typeof wf.signalWithStart;

    const schema = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', {
      title: 'Privacy customers', type: 'object',
      allOf: [{ $ref: PROFILE }, { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-person-details' }, { $ref: 'https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details' }, { $ref: IDMAP }],
    })).body;
    for (const [path, ns, primary] of [['/personalEmail/address', 'Email', true], ['/mobilePhone/number', 'Phone', false]] as const) {
      expect((await call('POST', '/data/foundation/schemaregistry/tenant/descriptors', {
        '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': path, 'xdm:namespace': ns, 'xdm:property': 'xdm:code', 'xdm:isPrimary': primary,
      })).status).toBe(201);
    }
    expect((await call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(schema['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }])).status).toBe(200);
    profileDs = (await call('POST', `${CATALOG}/dataSets`, { name: 'Privacy customers', schemaRef: { id: schema.$id }, tags: { unifiedProfile: ['enabled:true'] } })).body[0].split('/').pop();
    const events = (await call('POST', '/data/foundation/schemaregistry/tenant/schemas', { title: 'Privacy events', type: 'object', allOf: [{ $ref: EVENT }, { $ref: IDMAP }] })).body;
    eventDs = (await call('POST', `${CATALOG}/dataSets`, { name: 'Privacy events', schemaRef: { id: events.$id } })).body[0].split('/').pop();

    // Alice: email + CRM id, then her phone alone (a second graph), then phone + CRM id (the two graphs merge: a history entry).
    // Two fragments (by email, by phone), one person. Bob and Carol: unrelated.
    await ingest(profileDs, [
      { personalEmail: { address: 'Alice@Example.com' }, identityMap: { CRMID: [{ id: 'crm-alice' }] }, person: { name: { firstName: 'Alice' } }, loyalty: { points: 10 } },
      { mobilePhone: { number: '+1 415 555 0100' }, person: { birthDate: '1990-01-01' } },
      { mobilePhone: { number: '+1 415 555 0100' }, identityMap: { CRMID: [{ id: 'crm-alice' }] } },
      { personalEmail: { address: 'bob@example.com' }, identityMap: { CRMID: [{ id: 'crm-bob' }] }, person: { name: { firstName: 'Bob' } }, loyalty: { points: 20 } },
      { personalEmail: { address: 'carol@example.com' }, person: { name: { firstName: 'Carol' } } },
    ]);
    await ingest(eventDs, [
      { _id: 'ev-a1', timestamp: '2024-05-01T10:00:00Z', eventType: 'web.webpagedetails.pageViews', identityMap: { Email: [{ id: 'alice@example.com', primary: true }] } },
      { _id: 'ev-a2', timestamp: '2024-05-02T10:00:00Z', eventType: 'commerce.purchases', identityMap: { CRMID: [{ id: 'crm-alice', primary: true }] } },
      { _id: 'ev-b1', timestamp: '2024-05-03T10:00:00Z', eventType: 'web.webpagedetails.pageViews', identityMap: { Email: [{ id: 'bob@example.com', primary: true }] } },
      { _id: 'ev-c1', timestamp: '2024-05-04T10:00:00Z', eventType: 'web.webpagedetails.pageViews', identityMap: { Email: [{ id: 'carol@example.com', primary: true }] } },
    ]);
  }, 180_000);
  afterAll(async () => {
    await workers?.shutdown();
    await t?.deps.stores.db.dropDatabase();
    await t?.close();
  });

  it('deletes a person found by their phone: identities, graph, history, fragments, profile, events and dataset records, verified gone', async () => {
    const aliceKeys = ['CRMID:crm-alice', 'Email:alice@example.com', 'Phone:+14155550100'];
    const gA = (await graphOf('Phone:+14155550100'))!;
    const gB = (await graphOf('Email:bob@example.com'))!;
    expect(gA).toBeTruthy();
    expect(await graphOf('CRMID:crm-alice')).toBe(gA);
    expect((await profileOf('Email', 'alice@example.com')).status).toBe(200);
    const before = await footprint(gA, aliceKeys);
    expect(before).toEqual({ identities: 3, graphs: 1, history: 1, fragments: 2, events: 2, profiles: 1, datasetRecords: 5 });
    const bobBefore = await footprint(gB, ['CRMID:crm-bob', 'Email:bob@example.com']);

    const sent = await submit('alice', [{ namespace: 'phone', value: '+1 (415) 555-0100', type: 'standard' }]);
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ requestStatus: 1, totalRecords: 1, jobs: [{ jobId: expect.any(String), customer: { user: { key: 'alice', action: ['delete'] } } }] });
    const jobId = sent.body.jobs[0].jobId;
    const described = await t.deps.temporal.workflow.getHandle(privacyWorkflowId(sandbox, jobId)).describe();
    expect(described.taskQueue).toBe(queue);

    const job = await waitJob(jobId);
    expect(job).toMatchObject({
      jobId, userKey: 'alice', action: 'delete', status: 'complete', regulation: 'gdpr', include: ['ProfileService', 'identity', 'aepDataLake'],
      userIds: [{ namespace: 'phone', value: '+1 (415) 555-0100', type: 'standard', namespaceId: 7 }],
      removed: { ...before, pendingExports: 0 },
      verification: { remaining: 0 },
    });
    expect(job.createdDate).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2} [AP]M GMT$/);
    expect(job.productResponses.map((p: any) => [p.product, p.productStatusResponse.status])).toEqual([['ProfileService', 'complete'], ['identity', 'complete'], ['aepDataLake', 'complete']]);
    expect(job.verification.checked.map((c: any) => c.store).sort()).toEqual(DELETE_STEPS.map((s) => s.store).sort());
    // The job forgets whom it deleted: no working state with the person's identities is kept.
    expect((await t.deps.stores.privacyJobs.get(sandbox, jobId))!.work).toBeUndefined();

    expect(await footprint(gA, aliceKeys)).toEqual({ identities: 0, graphs: 0, history: 0, fragments: 0, events: 0, profiles: 0, datasetRecords: 0 });
    for (const [ns, id] of [['Email', 'alice@example.com'], ['CRMID', 'crm-alice'], ['Phone', '+14155550100']]) {
      expect((await profileOf(ns, id)).status).toBe(404);
      expect((await eventsOf(ns, id)).body.children).toEqual([]);
      const members = (await membersOf(ns, id)).body.members;
      expect(members).toHaveLength(1);
      expect(members[0]).toMatchObject({ namespace: ns, id });
    }

    // Bob is untouched.
    expect(await footprint(gB, ['CRMID:crm-bob', 'Email:bob@example.com'])).toEqual(bobBefore);
    const bob = await profileOf('Email', 'bob@example.com');
    expect(bob.status).toBe(200);
    expect((Object.values(bob.body)[0] as any).entity).toMatchObject({ person: { name: { firstName: 'Bob' } }, loyalty: { points: 20 } });
    expect((await eventsOf('Email', 'bob@example.com')).body.children).toHaveLength(1);
    expect((await membersOf('CRMID', 'crm-bob')).body.members).toHaveLength(2);

    // Listed, newest first, and filterable.
    const list = await call('GET', `${JOBS}?regulation=gdpr&status=complete`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((j: any) => j.jobId)).toContain(jobId);
  });

  it('a deleted identity seen again starts a new profile from nothing (no deleted attribute comes back)', async () => {
    // Her email alone starts a graph whose id is derived the same way as her deleted one's: nothing of the old graph may join it.
    await ingest(profileDs, [{ identityMap: { CRMID: [{ id: 'crm-alice', primary: true }] }, loyalty: { points: 99 } }, { personalEmail: { address: 'alice@example.com' }, loyalty: { points: 5 } }]);
    // A later record of the same email reads back the stored fragment: it must hold only what came after the delete.
    await ingest(profileDs, [{ personalEmail: { address: 'alice@example.com' }, loyalty: { points: 6 } }]);
    const byEmail = await profileOf('Email', 'alice@example.com');
    expect(byEmail.status).toBe(200);
    expect((Object.values(byEmail.body)[0] as any).entity).toMatchObject({ loyalty: { points: 6 } });
    expect((Object.values(byEmail.body)[0] as any).entity.person).toBeUndefined();
    expect((await eventsOf('Email', 'alice@example.com')).body.children).toEqual([]);
    const p = await profileOf('CRMID', 'crm-alice');
    expect(p.status).toBe(200);
    const entity = (Object.values(p.body)[0] as any).entity;
    expect(entity.loyalty).toEqual({ points: 99 });
    expect(entity.person).toBeUndefined();
    expect(entity.personalEmail).toBeUndefined();
    expect(entity.mobilePhone).toBeUndefined();
    if (entity.identityMap) expect(Object.keys(entity.identityMap)).toEqual(['CRMID']);
    expect((await eventsOf('CRMID', 'crm-alice')).body.children).toEqual([]);
    expect((await profileOf('Phone', '+14155550100')).status).toBe(404);
  });

  it('a delete that dies mid-step resumes: it deletes what is left and the counts add up across attempts', async () => {
    const keys = ['Email:carol@example.com'];
    const g = (await graphOf(keys[0]))!;
    const before = await footprint(g, keys);
    expect(before).toMatchObject({ identities: 1, fragments: 1, events: 1, profiles: 1, datasetRecords: 2 });
    const now = Date.now();
    const job: PrivacyJob = {
      id: `crash-${process.pid}`, requestId: 'r', userKey: 'carol', action: 'delete', regulation: 'gdpr', include: ['ProfileService', 'identity', 'aepDataLake'],
      userIds: [{ namespace: 'Email', value: 'carol@example.com', type: 'standard' }], identityKeys: keys, status: 'processing', createdAt: now, updatedAt: now,
      workflow: { workflowId: privacyWorkflowId(sandbox, `crash-${process.pid}`) },
    };
    await t.deps.stores.privacyJobs.insert(sandbox, job);
    const deps: ActivityDeps = { stores: t.deps.stores, s3For: () => { throw new Error('no S3 here'); }, now: () => Date.now() };
    const steps = DELETE_STEPS.map((s) => s.store);
    const save = saveProgress(t.deps.stores, sandbox, job.id);
    /** Dies right after deleting `store`, before recording it (the worst moment for the counts). */
    const dyingAfter = (store: DeleteStore) => async (p: DeleteProgress) => {
      if (p.done === steps.indexOf(store) + 1 && !p.inflight) throw new Error(`worker died after deleting ${store}`);
      await save(p);
    };
    const resume = async () => {
      const stored = (await t.deps.stores.privacyJobs.get(sandbox, job.id))!;
      return { stored, from: stored.work?.progress ?? startProgress() };
    };
    await expect(deletePerson(deps, sandbox, job, startProgress(), dyingAfter('fragments'))).rejects.toThrow(/after deleting fragments/);
    // The identities go last, so the second attempt can die after them and the third must still know whom to delete.
    let r = await resume();
    expect(r.from.inflight).toEqual({ step: steps.indexOf('fragments'), matched: 1 });
    await expect(deletePerson(deps, sandbox, r.stored, r.from, dyingAfter('identities'))).rejects.toThrow(/after deleting identities/);
    expect(await graphOf(keys[0])).toBeUndefined();
    r = await resume();
    const out = await deletePerson(deps, sandbox, r.stored, r.from, save);
    expect(out.removed).toEqual({ ...before, pendingExports: 0 });
    expect(out.verification.remaining).toBe(0);
    expect(await footprint(g, keys)).toEqual({ identities: 0, graphs: 0, history: 0, fragments: 0, events: 0, profiles: 0, datasetRecords: 0 });

    expect(await createPrivacyActivities(deps).finishPrivacyJob({ sandbox, jobId: job.id, result: { ...out, retryCount: 2 } })).toBe('complete');
    const view = (await call('GET', `${JOBS}/${job.id}`)).body;
    expect(view).toMatchObject({ status: 'complete', removed: out.removed, productResponses: [{ retryCount: 2 }, { retryCount: 2 }, { retryCount: 2 }] });

    // A second delete of the same person finds nothing and completes.
    const again = await submit('carol-again', [{ namespace: 'Email', value: 'CAROL@example.com', type: 'standard' }], { include: ['aepDataLake', 'ProfileService'] });
    const done = await waitJob(again.body.jobs[0].jobId);
    expect(done).toMatchObject({ status: 'complete', include: ['ProfileService', 'identity', 'aepDataLake'], verification: { remaining: 0 } });
    expect(Object.values(done.removed).every((n) => n === 0)).toBe(true);
  });

  it('refuses bad requests naming the field', async () => {
    const email = [{ namespace: 'Email', value: 'x@example.com', type: 'standard' }];
    const bad = async (body: unknown, status: number, field: RegExp) => {
      const r = await call('POST', JOBS, body);
      expect({ status: r.status, detail: r.body?.detail }).toEqual({ status, detail: expect.stringMatching(field) });
    };
    await bad({ regulation: 'gdpr' }, 400, /^users/);
    await bad({ users: [], regulation: 'gdpr' }, 400, /^users/);
    await bad({ users: [{ key: 'k', action: ['delete'], userIDs: [] }], regulation: 'gdpr' }, 400, /^users\[0\]\.userIDs/);
    await bad({ users: [{ key: 'k', action: ['delete'], userIDs: email }] }, 400, /^regulation/);
    await bad({ users: [{ key: 'k', action: ['access'], userIDs: email }], regulation: 'gdpr' }, 422, /^users\[0\]\.action\[0\]: "access" is not supported/);
    await bad({ users: [{ key: 'k', action: ['delete'], userIDs: [{ namespace: 'Nope', value: 'x', type: 'standard' }] }], regulation: 'gdpr' }, 422, /^users\[0\]\.userIDs\[0\]\.namespace: "Nope"/);
    await bad({ users: [{ key: 'k', action: ['delete'], userIDs: [{ namespace: 'Email', value: 'not-an-email', type: 'standard' }] }], regulation: 'gdpr' }, 422, /^users\[0\]\.userIDs\[0\]\.value/);
    await bad({ users: [{ key: 'k', action: ['delete'], userIDs: [{ namespace: 'Email', value: 'x@example.com', type: 'nope' }] }], regulation: 'gdpr' }, 400, /^users\[0\]\.userIDs\[0\]\.type/);
    await bad({ users: [{ key: 'k', action: ['delete'], userIDs: email }], regulation: 'nope' }, 422, /^regulation: "nope"/);
    await bad({ users: [{ key: 'k', action: ['delete'], userIDs: email }], regulation: 'gdpr', include: ['Analytics'] }, 422, /^include\[0\]: "Analytics"/);
    await bad({ users: [{ key: 'k', action: ['delete'], userIDs: email }, { key: 'k', action: ['delete'], userIDs: email }], regulation: 'gdpr' }, 422, /^users\[1\]\.key/);
    expect((await call('GET', `${JOBS}/no-such-job`)).status).toBe(404);
    expect((await call('GET', `${JOBS}?size=5000`)).status).toBe(400);
    expect((await call('GET', `${JOBS}?fromDate=yesterday`)).body.detail).toMatch(/^fromDate/);
    // Nothing was created by the refused requests.
    expect((await call('GET', `${JOBS}?status=processing`)).body.totalRecords).toBe(0);
  });
});
