import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { realApp } from '../helpers/env';
import { person, profileSandbox } from '../helpers/profile-data';

const UPS = '/data/core/ups';
const JOBS = `${UPS}/segment/jobs`;
const pqlText = (value: string) => ({ type: 'PQL', format: 'pql/text', value });
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Segment jobs as real workflows on the real worker: lifecycle and metrics, inSegment ordering
 * within one pass, membership written as changes only, a deterministic re-run with pinned inputs,
 * and cancel while PROCESSING. With RECORD_HISTORIES=1 the first test saves its history for the
 * replay test.
 */
describe('segment job workflow', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  beforeAll(async () => { t = await realApp(); });
  afterAll(() => t.close());

  it('goes QUEUED → SUCCEEDED and records metrics, cancelling a finished job is refused', async () => {
    const headers = { 'x-sandbox-name': `wf-${process.pid}` };
    const schema: any = await (await t.request('POST', '/data/foundation/schemaregistry/tenant/schemas', { headers, body: { title: 'S', allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/profile' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' }] } })).json();
    await t.request('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${schema['meta:altId']}`, { headers, body: [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }] });
    const def: any = await (await t.request('POST', `${UPS}/segment/definitions`, { headers, body: { name: 'US', expression: pqlText('homeAddress.countryCode = "US"') } })).json();
    const job: any = await (await t.request('POST', JOBS, { headers, body: [{ segmentId: def.id }] })).json();
    expect(job.status).toBe('QUEUED');
    const handle = t.deps.temporal.workflow.getHandle(job.workflow.workflowId);
    expect(await handle.result()).toBe('SUCCEEDED');
    const done: any = await (await t.request('GET', `${JOBS}/${job.id}`, { headers })).json();
    expect(done.status).toBe('SUCCEEDED');
    expect(done.metrics.totalProfiles).toBe(0);
    expect(done.metrics.segmentedProfileCounter).toEqual({ [def.id]: 0 });
    expect((await t.request('DELETE', `${JOBS}/${job.id}`, { headers })).status).toBe(422);
    if (process.env.RECORD_HISTORIES) {
      const history = await handle.fetchHistory();
      // Binary protobuf (base64): protobufjs' JSON helpers break under jest's module registry.
      fs.writeFileSync(path.join(__dirname, '../replay/histories/segment-job.history.b64'), Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('base64'));
    }
  });

  it('evaluates inSegment dependencies first in the same pass, writes changes only, and re-runs deterministically', async () => {
    const sb = await profileSandbox(t, `sj-${process.pid}`);
    const who = (first: string, country: string, email: string) => person(email, {}, { person: { name: { firstName: first } }, homeAddress: { countryCode: country } });
    await sb.ingest([who('Ann', 'US', 'ann1@x.io'), who('Ann', 'FR', 'ann2@x.io'), who('Bob', 'US', 'bob@x.io'), who('Ann', 'US', 'ann3@x.io'), who('Eve', 'DE', 'eve@x.io')]);
    const us = (await sb.call('POST', `${UPS}/segment/definitions`, { name: 'US', expression: pqlText('homeAddress.countryCode = "US"') })).body;
    const annUs = (await sb.call('POST', `${UPS}/segment/definitions`, { name: 'Ann in US', expression: pqlText(`inSegment("${us.id}") and person.name.firstName = "Ann"`) })).body;
    const run = async (body: unknown) => {
      const created = await sb.call('POST', JOBS, body);
      expect(created.status).toBe(200);
      await t.deps.temporal.workflow.getHandle(created.body.workflow.workflowId).result();
      return (await sb.call('GET', `${JOBS}/${created.body.id}`)).body;
    };
    const memberships = async () => {
      const docs = await t.deps.stores.profiles.profiles.find({ sandbox: sb.sandbox }).toArray();
      return Object.fromEntries(docs.map((d) => [(d.entity as any).personalEmail.address, d.segmentMembership?.ups ?? {}])) as Record<string, Record<string, { status: string; lastQualificationTime: string; jobId: string }>>;
    };
    const qualified = (m: Awaited<ReturnType<typeof memberships>>) => Object.fromEntries(Object.entries(m).map(([email, ups]) => [email, Object.entries(ups).filter(([, x]) => x.status !== 'exited').map(([seg, x]) => `${seg}@${x.lastQualificationTime}`).sort()]));

    // Only "Ann in US" is asked for: the job adds "US" and evaluates it first; the stored membership
    // of US is empty, so "Ann in US" can only qualify by seeing this pass's result.
    const first = await run([{ segmentId: annUs.id }]);
    expect(first.status).toBe('SUCCEEDED');
    expect(first.segments.map((s: any) => [s.segmentId, !!s.dependency])).toEqual([[us.id, true], [annUs.id, false]]);
    expect(first.metrics).toMatchObject({
      totalProfiles: 5,
      segmentedProfileCounter: { [us.id]: 3, [annUs.id]: 2 },
      segmentedProfileByStatusCounter: { [us.id]: { realized: 3, existing: 0, exited: 0 }, [annUs.id]: { realized: 2, existing: 0, exited: 0 } },
    });
    expect(first.metrics.totalTime.totalTimeInMs).toBeGreaterThanOrEqual(first.metrics.profileSegmentationTime.totalTimeInMs);
    expect(first.inputs).toMatchObject({ now: new Date(first.creationTime).toISOString(), mergePolicy: { id: first.inputs.mergePolicy.id, version: expect.any(Number) }, segments: [{ segmentId: us.id, expressionHash: us.expressionHash }, { segmentId: annUs.id, expressionHash: annUs.expressionHash }] });
    expect(first.inputs.dataWatermark).toMatchObject({ profiles: 5, events: 0 });
    expect(first.progress).toMatchObject({ partitions: expect.any(Number), profilesDone: 5 });
    const afterFirst = await memberships();
    expect(afterFirst['ann1@x.io'][annUs.id]).toMatchObject({ status: 'realized', lastQualificationTime: first.inputs.now });
    expect(afterFirst['ann2@x.io'][annUs.id]).toBeUndefined();
    expect(afterFirst['bob@x.io'][us.id].status).toBe('realized');

    // Re-run with the pinned inputs (same now, same expressions): the same audience, qualification times included.
    await wait(20);
    const again = await run({ rerunOf: first.id });
    expect(again.status).toBe('SUCCEEDED');
    expect(again.inputs).toMatchObject({ now: first.inputs.now, rerunOf: first.id, segments: first.inputs.segments, dataWatermark: first.inputs.dataWatermark });
    expect(again.rerun).toEqual({ of: first.id, sameData: true, sameMergePolicy: true });
    expect(again.metrics.segmentedProfileByStatusCounter[annUs.id]).toEqual({ realized: 0, existing: 2, exited: 0 });
    const afterAgain = await memberships();
    expect(qualified(afterAgain)).toEqual(qualified(afterFirst));
    expect((await sb.call('POST', JOBS, { rerunOf: 'nope' })).status).toBe(422);

    // Ann #1 moves to France: both segments exit her; the stable members are not rewritten.
    await sb.ingest([who('Ann', 'FR', 'ann1@x.io')], 'move.json');
    const third = await run([{ segmentId: '*' }]);
    expect(third.metrics.segmentedProfileByStatusCounter).toEqual({
      [us.id]: { realized: 0, existing: 2, exited: 1 }, [annUs.id]: { realized: 0, existing: 1, exited: 1 },
    });
    expect(third.inputs.dataWatermark.hash).not.toBe(first.inputs.dataWatermark.hash);
    const afterThird = await memberships();
    expect(afterThird['ann1@x.io'][us.id]).toMatchObject({ status: 'exited', lastQualificationTime: third.inputs.now, jobId: third.id });
    expect(afterThird['ann3@x.io'][annUs.id]).toEqual(afterAgain['ann3@x.io'][annUs.id]);
    expect(afterThird['bob@x.io'][us.id]).toEqual(afterAgain['bob@x.io'][us.id]);

    const list = await sb.call('GET', `${JOBS}?limit=2`);
    expect(list.body._page).toMatchObject({ totalCount: 3, pageSize: 2, next: '2' });
    expect(list.body.children.map((j: any) => j.id)).toEqual([third.id, again.id]);
    expect((await sb.call('GET', `${JOBS}?status=succeeded&start=2`)).body.children.map((j: any) => j.id)).toEqual([first.id]);
    expect((await sb.call('POST', JOBS, [{ segmentId: 'missing' }])).status).toBe(422);
  });

  it('reads events only for segments that use them, from the earliest instant any of them looks at', async () => {
    const sb = await profileSandbox(t, `sj-ev-${process.pid}`);
    const events = (await sb.call('POST', '/data/foundation/schemaregistry/tenant/schemas', { title: 'Events', type: 'object', allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/experienceevent' }, { $ref: 'https://ns.adobe.com/xdm/context/identitymap' }] })).body;
    expect((await sb.call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(events['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }])).status).toBe(200);
    const eventDs = (await sb.call('POST', '/data/foundation/catalog/dataSets', { name: 'Events', schemaRef: { id: events.$id }, tags: { unifiedProfile: ['enabled:true'] } })).body[0].split('/').pop();
    await sb.ingest([person('ann@x.io'), person('bob@x.io'), person('cat@x.io')]);
    const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
    const ev = (id: string, email: string, eventType: string, timestamp: string) => ({ _id: id, timestamp, eventType, identityMap: { Email: [{ id: email, primary: true }] } });
    const batch = (await sb.call('POST', '/data/foundation/import/batches', { datasetId: eventDs, inputFormat: { format: 'json' } })).body.id;
    const rows = [ev('e1', 'ann@x.io', 'commerce.purchases', daysAgo(2)), ev('e2', 'ann@x.io', 'web.webpagedetails.pageViews', daysAgo(3)), ev('e3', 'bob@x.io', 'commerce.purchases', daysAgo(20))];
    const put = await t.app.request(`/data/foundation/import/batches/${batch}/datasets/${eventDs}/files/events.json`, { method: 'PUT', headers: { 'x-api-key': t.cfg.api.apiKey!, ...sb.headers, 'content-type': 'application/octet-stream' }, body: rows.map((r) => JSON.stringify(r)).join('\n') });
    expect(put.status).toBe(200);
    expect((await sb.call('POST', `/data/foundation/import/batches/${batch}?action=COMPLETE`)).status).toBe(200);
    for (let i = 0; i < 240 && (await sb.call('GET', `/data/foundation/catalog/batches/${batch}`)).body[batch].status !== 'success'; i++) await wait(250);

    const def = async (name: string, value: string) => (await sb.call('POST', `${UPS}/segment/definitions`, { name, expression: pqlText(value) })).body;
    const recent = await def('bought this week', 'exists E from xEvent where (E.eventType = "commerce.purchases" and E.timestamp occurs <= 7 days before now)');
    const busy = await def('more than one event', 'xEvent.count() > 1');
    const plain = await def('anyone with an email', 'personalEmail.address.contains("@")');
    const run = async (ids: string[]) => {
      const created = (await sb.call('POST', JOBS, ids.map((segmentId) => ({ segmentId })))).body;
      await t.deps.temporal.workflow.getHandle(created.workflow.workflowId).result();
      return (await sb.call('GET', `${JOBS}/${created.id}`)).body;
    };
    const windowed = await run([recent.id, plain.id]);
    expect(windowed.metrics.segmentedProfileCounter).toEqual({ [recent.id]: 1, [plain.id]: 3 });
    expect(windowed.inputs.dataWatermark.events).toBe(2); // bob's purchase 20 days ago is outside the 7-day window
    const all = await run([busy.id, recent.id]);
    expect(all.metrics.segmentedProfileCounter).toEqual({ [busy.id]: 1, [recent.id]: 1 });
    expect(all.inputs.dataWatermark.events).toBe(3);
    expect((await run([plain.id])).inputs.dataWatermark.events).toBe(0);
    const ann = (await t.deps.stores.profiles.profiles.find({ sandbox: sb.sandbox }).toArray()).find((p) => (p.entity as any).personalEmail.address === 'ann@x.io')!;
    expect(ann.segmentMembership?.ups?.[recent.id]?.status).toBe('existing');
    expect(ann.segmentMembership?.ups?.[busy.id]?.status).toBe('realized');
  });

  it('over many profiles: reports its time and progress, and DELETE while PROCESSING ends it CANCELLED', async () => {
    // FerretDB (the test server) scans its collection on every query and update: a few thousand profiles keep a job PROCESSING for seconds.
    const N = Number(process.env.SEGMENT_JOB_PROFILES ?? 6000);
    const sb = await profileSandbox(t, `sj-big-${process.pid}`);
    const profiles = t.deps.stores.profiles.profiles;
    const countries = ['US', 'FR', 'DE'];
    for (let i = 0; i < N; i += 5000) {
      await profiles.insertMany(Array.from({ length: Math.min(5000, N - i) }, (_, k) => {
        const n = i + k;
        const graphId = `g${n.toString(16).padStart(8, '0')}`;
        return { _id: `${sb.sandbox}|${graphId}`, sandbox: sb.sandbox, graphId, partition: n % 8, entity: { homeAddress: { countryCode: countries[n % 3] }, person: { name: { firstName: `P${n % 100}` } } }, sources: [], lastModifiedAt: 1 };
      }));
    }
    try {
      const defs: any[] = [];
      for (const c of countries) defs.push((await sb.call('POST', `${UPS}/segment/definitions`, { name: c, expression: pqlText(`homeAddress.countryCode = "${c}"`) })).body);
      const body = defs.map((d) => ({ segmentId: d.id }));
      const first = (await sb.call('POST', JOBS, body)).body;
      await t.deps.temporal.workflow.getHandle(first.workflow.workflowId).result();
      const done = (await sb.call('GET', `${JOBS}/${first.id}`)).body;
      expect(done.metrics.totalProfiles).toBe(N);
      expect(Object.values(done.metrics.segmentedProfileCounter).reduce((a: number, b) => a + (b as number), 0)).toBe(N);
      console.log(`[segment-job] ${N} profiles × ${defs.length} segments, all realized: total ${done.metrics.totalTime.totalTimeInMs} ms, segmentation ${done.metrics.profileSegmentationTime.totalTimeInMs} ms`);

      const second = (await sb.call('POST', JOBS, body)).body;
      let seen: any;
      for (let i = 0; i < 600; i++) {
        seen = (await sb.call('GET', `${JOBS}/${second.id}`)).body;
        if (seen.status !== 'NEW' && seen.status !== 'QUEUED') break;
        await wait(25);
      }
      expect(seen.status).toBe('PROCESSING');
      expect(seen.progress).toMatchObject({ partitions: expect.any(Number), partitionsDone: expect.any(Number), profilesDone: expect.any(Number) });
      expect((await sb.call('DELETE', `${JOBS}/${second.id}`)).status).toBe(204);
      expect(['CANCELLING', 'CANCELLED']).toContain((await sb.call('GET', `${JOBS}/${second.id}`)).body.status);
      await expect(t.deps.temporal.workflow.getHandle(second.workflow.workflowId).result()).rejects.toThrow();
      const cancelled = (await sb.call('GET', `${JOBS}/${second.id}`)).body;
      expect(cancelled.status).toBe('CANCELLED');
      expect((await sb.call('DELETE', `${JOBS}/${second.id}`)).body.detail).toBe(`status: segment job ${second.id} is already CANCELLED`);

      // No data changed: the next job turns realized into existing (a write per member), the one after writes nothing.
      for (const what of ['realized → existing', 'nothing to write']) {
        const next = (await sb.call('POST', JOBS, body)).body;
        await t.deps.temporal.workflow.getHandle(next.workflow.workflowId).result();
        const stable = (await sb.call('GET', `${JOBS}/${next.id}`)).body;
        expect(Object.values(stable.metrics.segmentedProfileByStatusCounter)).toEqual(defs.map(() => ({ realized: 0, existing: N / 3, exited: 0 })));
        console.log(`[segment-job] ${N} profiles × ${defs.length} segments, ${what}: total ${stable.metrics.totalTime.totalTimeInMs} ms`);
      }
    } finally {
      await profiles.deleteMany({ sandbox: sb.sandbox });
    }
  }, 600_000);
});
