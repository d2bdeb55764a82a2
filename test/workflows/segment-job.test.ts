import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { realApp } from '../helpers/env';

/** A segment job as a real workflow on the real worker; with RECORD_HISTORIES=1 it saves its history for the replay test. */
describe('segment job workflow', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  beforeAll(async () => { t = await realApp(); });
  afterAll(() => t.close());

  it('goes QUEUED → SUCCEEDED and records metrics, cancelling a finished job is refused', async () => {
    const headers = { 'x-sandbox-name': `wf-${process.pid}` };
    const schema: any = await (await t.request('POST', '/data/foundation/schemaregistry/tenant/schemas', { headers, body: { title: 'S', allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/profile' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' }] } })).json();
    await t.request('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${schema['meta:altId']}`, { headers, body: [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }] });
    const def: any = await (await t.request('POST', '/data/core/ups/segment/definitions', { headers, body: { name: 'US', expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.countryCode = "US"' } } })).json();
    const job: any = await (await t.request('POST', '/data/core/ups/segment/jobs', { headers, body: [{ segmentId: def.id }] })).json();
    expect(job.status).toBe('QUEUED');
    const handle = t.deps.temporal.workflow.getHandle(job.workflow.workflowId);
    expect(await handle.result()).toBe('SUCCEEDED');
    const done: any = await (await t.request('GET', `/data/core/ups/segment/jobs/${job.id}`, { headers })).json();
    expect(done.status).toBe('SUCCEEDED');
    expect(done.metrics.totalProfiles).toBe(0);
    expect(done.metrics.segmentedProfileCounter).toEqual({ [def.id]: 0 });
    expect((await t.request('DELETE', `/data/core/ups/segment/jobs/${job.id}`, { headers })).status).toBe(422);
    if (process.env.RECORD_HISTORIES) {
      const history = await handle.fetchHistory();
      // Binary protobuf (base64): protobufjs' JSON helpers break under jest's module registry.
      fs.writeFileSync(path.join(__dirname, '../replay/histories/segment-job.history.b64'), Buffer.from(temporal.api.history.v1.History.encode(history).finish()).toString('base64'));
    }
  });
});
