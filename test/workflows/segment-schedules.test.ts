import { ScheduleNotFoundError } from '@temporalio/client';
import { realApp } from '../helpers/env';
import { person, profileSandbox } from '../helpers/profile-data';

const UPS = '/data/core/ups';
const SCHEDULES = `${UPS}/config/schedules`;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `/config/schedules` on the real stack: a Quartz cron schedule becomes a Temporal Schedule that
 * fires (every 3 seconds here) and creates segment jobs carrying `properties.scheduleId/runId`;
 * PATCH pauses it and changes its cron; bad crons and unsupported types are refused; DELETE
 * removes the Temporal Schedule.
 */
describe('segment schedules (/data/core/ups/config/schedules)', () => {
  let t: Awaited<ReturnType<typeof realApp>>;
  beforeAll(async () => { t = await realApp(); });
  afterAll(() => t.close());

  it('fires on a seconds cron and creates segment jobs with scheduleId and runId; PATCH pauses; DELETE removes it', async () => {
    const sb = await profileSandbox(t, `ss-${process.pid}`);
    await sb.ingest([person('s1@x.io', {}, { homeAddress: { countryCode: 'US' } }), person('s2@x.io', {}, { homeAddress: { countryCode: 'FR' } })]);
    const us = (await sb.call('POST', `${UPS}/segment/definitions`, { name: 'US', expression: { type: 'PQL', format: 'pql/text', value: 'homeAddress.countryCode = "US"' } })).body;

    expect((await sb.call('POST', SCHEDULES, { name: 'bad', type: 'batch_segmentation', properties: { segments: ['*'] }, schedule: '0 0 1 * *' })).body.detail).toMatch(/^schedule: a Quartz cron expression has 6 or 7 fields/);
    expect((await sb.call('POST', SCHEDULES, { name: 'bad', type: 'batch_segmentation', properties: { segments: ['*'] }, schedule: '0 0 25 * * ?' })).status).toBe(422);
    expect((await sb.call('POST', SCHEDULES, { name: 'bad', type: 'batch_segmentation', properties: { segments: ['nope'] }, schedule: '0 0 1 * * ?' })).body.detail).toMatch(/^properties\.segments\[0\]: /);
    expect((await sb.call('POST', SCHEDULES, { name: 'x', type: 'export', properties: { segments: ['*'] }, schedule: '0 0 1 * * ?' })).body.detail).toMatch(/^type: "export" schedules are not supported yet/);

    const created = await sb.call('POST', SCHEDULES, { name: 'every 3 s', type: 'batch_segmentation', properties: { segments: ['*'] }, schedule: '*/3 * * * * ?', state: 'active' });
    expect(created.status).toBe(200);
    const s = created.body;
    expect(s).toMatchObject({ name: 'every 3 s', type: 'batch_segmentation', state: 'active', schedule: '*/3 * * * * ?', sandbox: { sandboxName: sb.sandbox } });
    const handle = t.deps.temporal.schedule.getHandle(s.temporalScheduleId);
    const described = await handle.describe();
    expect(described.spec.calendars?.[0]?.second).toEqual([{ start: 0, end: 59, step: 3 }]);
    expect(described.state.paused).toBe(false);
    const got = (await sb.call('GET', `${SCHEDULES}/${s.id}`)).body;
    expect(got.nextRunTimes.length).toBeGreaterThan(0);
    expect(Date.parse(got.nextRunTimes[1]) - Date.parse(got.nextRunTimes[0])).toBe(3000);
    expect((await sb.call('GET', SCHEDULES)).body.children.map((x: any) => x.id)).toEqual([s.id]);

    // Wait for two scheduled jobs to finish.
    let jobs: any[] = [];
    for (let i = 0; i < 120 && jobs.filter((j) => j.status === 'SUCCEEDED').length < 2; i++) {
      await wait(500);
      jobs = (await sb.call('GET', `${UPS}/segment/jobs`)).body.children;
    }
    const done = jobs.filter((j) => j.status === 'SUCCEEDED');
    expect(done.length).toBeGreaterThanOrEqual(2);
    for (const j of done) {
      expect(j.properties).toEqual({ scheduleId: s.id, runId: expect.any(String) });
      expect(j.segments.map((x: any) => x.segmentId)).toEqual([us.id]);
      expect(j.metrics.segmentedProfileCounter).toEqual({ [us.id]: 1 });
    }
    expect(new Set(done.map((j) => j.properties.runId)).size).toBe(done.length);

    // Inactive → the Temporal Schedule is paused; a new cron replaces the spec.
    expect((await sb.call('PATCH', `${SCHEDULES}/${s.id}`, [{ op: 'replace', path: '/state', value: 'inactive' }])).status).toBe(204);
    expect((await handle.describe()).state.paused).toBe(true);
    expect((await sb.call('PATCH', `${SCHEDULES}/${s.id}`, [{ op: 'replace', path: '/schedule', value: '0 30 2 ? * MON-FRI' }])).status).toBe(204);
    const respec = await handle.describe();
    expect(respec.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }], dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }] });
    expect(respec.state.paused).toBe(true);
    expect((await sb.call('GET', `${SCHEDULES}/${s.id}`)).body).toMatchObject({ state: 'inactive', schedule: '0 30 2 ? * MON-FRI' });
    const bad = await sb.call('PATCH', `${SCHEDULES}/${s.id}`, [{ op: 'replace', path: '/schedule', value: '0 0 1 15W * ?' }]);
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/^schedule: /);
    expect((await sb.call('PATCH', `${SCHEDULES}/${s.id}`, [{ op: 'replace', path: '/type', value: 'export' }])).status).toBe(422);

    expect((await sb.call('DELETE', `${SCHEDULES}/${s.id}`)).status).toBe(204);
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await sb.call('GET', `${SCHEDULES}/${s.id}`)).status).toBe(404);
  }, 180_000);
});
