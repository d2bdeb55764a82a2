import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DEFAULT_BENCH_SEG_PROFILES, loadConfig } from '../config/env';
import { buildApi } from '../api/server';
import { evaluatePql } from '../domain/pql';
import { expressionAst } from '../domain/segment/expression';
import { profileEvents } from '../domain/segment/evaluate-partition';
import type { EvalEvent } from '../domain/segment/evaluate-partition';
import { TERMINAL } from '../domain/segment/job';
import type { SegmentDefinition, SegmentJob } from '../domain/segment/model';
import { EXPERIENCE_EVENT_CLASS_ID, PROFILE_CLASS_ID } from '../domain/xdm';
import { replaceDocs } from '../infra/mongo/bulk';
import { partitionOf, PROFILE_PARTITIONS } from '../infra/mongo/profile.repo';
import type { EventDoc, ProfileDoc, ProfileRepo } from '../infra/mongo/profile.repo';
import { stackEnv } from '../scripts/platform';
import { TASK_QUEUES } from '../workflows/definitions';
import { log, machineInfo, progress, round3, runBench, seededRandom, serverInfo, sizeLabel, startBenchPlatform, writeResult } from './common';

const SANDBOX = 'bench-segmentation';
const DATASET = 'bench-segmentation-events';
const UPS = '/data/core/ups';
const SEED = 11;
/** Documents per insertMany while seeding. */
const INSERT_BATCH = 5000;
/** Profile i has events when i % EVENTS_EVERY = 0 (10 %). */
const EVENTS_EVERY = 10;
/** Profile i is changed before the incremental job when i % CHANGE_EVERY = CHANGE_OFFSET (1 %). */
const CHANGE_EVERY = 100;
const CHANGE_OFFSET = 37;
const DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Data: profile i (and its events) is a function of (SEED, i) alone.

const COUNTRIES = ['US', 'US', 'US', 'FR', 'DE', 'GB', 'ES', 'IT', 'JP', 'BR', 'CA', 'AU'];
const CITIES = ['Springfield', 'Paris', 'Berlin', 'London', 'Madrid', 'Rome', 'Tokyo', 'Toronto', 'Sydney', 'Lyon'];
const FIRST = ['Anna', 'Ben', 'Carla', 'David', 'Emma', 'Felix', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Karen', 'Liam', 'Maria', 'Noah', 'Olivia', 'Paul', 'Rosa', 'Sam', 'Tina', 'Victor'];
const LAST = ['Smith', 'Martin', 'Müller', 'Jones', 'Garcia', 'Rossi', 'Sato', 'Silva', 'Brown', 'Johnson', 'Moreau', 'Wilson'];
const TIERS = ['bronze', 'bronze', 'silver', 'silver', 'gold', 'platinum'];
const DOMAINS = ['gmail.com', 'example.com', 'yahoo.fr', 'outlook.com'];
const EVENT_TYPES = ['commerce.purchases', 'commerce.productViews', 'commerce.productViews', 'commerce.checkouts'];

const pick = <T>(xs: T[], i: number, salt: number) => xs[Math.floor(seededRandom(SEED, i, salt) * xs.length)];
const graphIdOf = (i: number) => `g${i.toString(16).padStart(8, '0')}`;

/** Profile i's entity; `version` > 0 gives the changed entity of the incremental job. */
function entityOf(i: number, version = 0): Record<string, unknown> {
  const v = version * 1000;
  const first = pick(FIRST, i, 1);
  const birth = new Date(Date.UTC(1940, 0, 1) + Math.floor(seededRandom(SEED, i, 2) * 68 * 365.25) * DAY).toISOString().slice(0, 10);
  const email = `${first.toLowerCase()}.${i}@${pick(DOMAINS, i, 3)}`;
  return {
    person: { name: { firstName: first, lastName: pick(LAST, i, 4) }, birthDate: birth },
    personalEmail: { address: email },
    homeAddress: { countryCode: pick(COUNTRIES, i, 5 + v), city: pick(CITIES, i, 6 + v) },
    loyalty: { points: Math.floor(seededRandom(SEED, i, 7 + v) * 10_000), tier: pick(TIERS, i, 8 + v) },
    identityMap: { Email: [{ id: email, primary: true }], CRMID: [{ id: `c${i}` }] },
  };
}

function profileOf(i: number, lastModifiedAt: number): ProfileDoc {
  const graphId = graphIdOf(i);
  return { _id: `${SANDBOX}|${graphId}`, sandbox: SANDBOX, graphId, partition: partitionOf(graphId), entity: entityOf(i), sources: [DATASET], lastModifiedAt };
}

/** 1–8 events over the 60 days before `now` for every tenth profile. */
function eventsOf(i: number, now: number): EventDoc[] {
  if (i % EVENTS_EVERY !== 0) return [];
  const graphId = graphIdOf(i);
  const email = (entityOf(i).personalEmail as { address: string }).address;
  return Array.from({ length: 1 + Math.floor(seededRandom(SEED, i, 20) * 8) }, (_, k) => {
    const eventType = pick(EVENT_TYPES, i, 21 + k);
    const timestamp = new Date(now - Math.floor(seededRandom(SEED, i, 40 + k) * 60 * DAY)).toISOString();
    const commerce = eventType === 'commerce.purchases'
      ? { purchases: { value: 1 }, order: { priceTotal: Math.round(seededRandom(SEED, i, 60 + k) * 30_000) / 100, currencyCode: 'USD' } }
      : { [eventType.split('.')[1]]: { value: 1 } };
    const id = `e${i}-${k}`;
    return { _id: `${SANDBOX}|${DATASET}|${id}`, sandbox: SANDBOX, datasetId: DATASET, batchId: 'bench', graphId, partition: partitionOf(graphId), identities: [`Email:${email}`], timestamp, eventType, data: { _id: id, timestamp, eventType, commerce } };
  });
}

/** Inserts the profiles and their events in batches of INSERT_BATCH. */
async function seed(repo: ProfileRepo, n: number, now: number) {
  const tick = progress('inserting profiles', n, 'profiles', { everyMs: 5_000 });
  let events = 0;
  const t0 = performance.now();
  for (let start = 0; start < n; start += INSERT_BATCH) {
    const ids = Array.from({ length: Math.min(INSERT_BATCH, n - start) }, (_, k) => start + k);
    await repo.profiles.insertMany(ids.map((i) => profileOf(i, now)), { ordered: false });
    const evs = ids.flatMap((i) => eventsOf(i, now));
    for (let e = 0; e < evs.length; e += INSERT_BATCH) await repo.events.insertMany(evs.slice(e, e + INSERT_BATCH), { ordered: false });
    events += evs.length;
    tick(start + ids.length);
  }
  return { events, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// The 50 segments: 45 on profile attributes, 5 on events.

const SEGMENTS: [string, string][] = [
  ...['US', 'FR', 'DE', 'GB', 'ES', 'IT', 'JP', 'BR', 'CA', 'AU'].map((c): [string, string] => [`Country ${c}`, `homeAddress.countryCode = "${c}"`]),
  ...['bronze', 'silver', 'gold', 'platinum'].map((t): [string, string] => [`Tier ${t}`, `loyalty.tier = "${t}"`]),
  ['Points ≥ 1000', 'loyalty.points >= 1000'],
  ['Points ≥ 5000', 'loyalty.points >= 5000'],
  ['Points ≥ 9000', 'loyalty.points >= 9000'],
  ['Points < 500', 'loyalty.points < 500'],
  ['Points 2000–4000', 'loyalty.points >= 2000 and loyalty.points < 4000'],
  ['North America', 'homeAddress.countryCode in ["US", "CA"]'],
  ['EU-4', 'homeAddress.countryCode in ["FR", "DE", "ES", "IT"]'],
  ['Gold or platinum', 'loyalty.tier in ["gold", "platinum"]'],
  ['Some first names', 'person.name.firstName in ["Anna", "Ben", "Carla", "Maria"]'],
  ['First name A…', 'person.name.firstName.startsWith("A")'],
  ['First name has "an"', 'person.name.firstName.contains("an")'],
  ['First name …a', 'person.name.firstName.endsWith("a")'],
  ['Gmail users', 'personalEmail.address.endsWith("@gmail.com")'],
  ['Last name …son', 'person.name.lastName.like("%son")'],
  ['Last name M…', 'person.name.lastName.startsWith("M")'],
  ['City has "o"', 'homeAddress.city.contains("o")'],
  ['French e-mail', 'personalEmail.address.like("%.fr")'],
  ['Born < 30 years ago', 'person.birthDate occurs < 30 years before now'],
  ['Born < 50 years ago', 'person.birthDate occurs < 50 years before now'],
  ['Born > 65 years ago', 'person.birthDate occurs > 65 years before now'],
  ['Born > 40 years ago', 'person.birthDate occurs > 40 years before now'],
  ['US gold+', 'homeAddress.countryCode = "US" and loyalty.tier in ["gold", "platinum"]'],
  ['High value outside US', 'loyalty.points >= 5000 and not(homeAddress.countryCode = "US")'],
  ['Young EU', 'homeAddress.countryCode in ["FR", "DE", "ES", "IT"] and person.birthDate occurs < 35 years before now'],
  ['Bronze or low points', 'loyalty.tier = "bronze" or loyalty.points < 1000'],
  ['Paris gold', 'homeAddress.city = "Paris" and loyalty.tier = "gold"'],
  ['Senior Gmail', 'personalEmail.address.endsWith("@gmail.com") and person.birthDate occurs > 60 years before now'],
  ['Not North America, silver', 'not(homeAddress.countryCode in ["US", "CA"]) and loyalty.tier = "silver"'],
  ['Emma or Noah in GB', '(person.name.firstName = "Emma" or person.name.firstName = "Noah") and homeAddress.countryCode = "GB"'],
  ['Japan ≥ 3000 points', 'homeAddress.countryCode = "JP" and loyalty.points >= 3000'],
  ['Outlook platinum', 'personalEmail.address.endsWith("@outlook.com") and loyalty.tier = "platinum"'],
  ['Bought this week', 'exists E from xEvent where (E.eventType = "commerce.purchases" and E.timestamp occurs <= 7 days before now)'],
  ['Viewed a product', 'exists E from xEvent where (E.eventType = "commerce.productViews")'],
  ['More than 3 events', 'xEvent.count() > 3'],
  ['Spent over 200', '(sum X.commerce.order.priceTotal over X from xEvent where X.eventType = "commerce.purchases") > 200'],
  ['Active this month', '(count X over X from xEvent where X.timestamp occurs <= 30 days before now) >= 2'],
];

// ---------------------------------------------------------------------------------------------

type App = Awaited<ReturnType<typeof buildApi>>['app'];

function apiCaller(app: App, apiKey: string) {
  return async (method: string, p: string, body?: unknown): Promise<any> => {
    const res = await app.request(p, { method, headers: { 'x-api-key': apiKey, 'x-sandbox-name': SANDBOX, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const out = await res.json().catch(() => null);
    if (res.status >= 300) throw new Error(`${method} ${p} → ${res.status}: ${JSON.stringify(out)}`);
    return out;
  };
}
type Call = ReturnType<typeof apiCaller>;

/** Profile and ExperienceEvent union schemas (what definitions are checked against), then the 50 definitions, all through the API. */
async function createDefinitions(call: Call): Promise<SegmentDefinition[]> {
  const union = async (title: string, refs: string[]) => {
    const s = await call('POST', '/data/foundation/schemaregistry/tenant/schemas', { title, type: 'object', allOf: refs.map(($ref) => ({ $ref })) });
    await call('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(s['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }]);
  };
  await union('Bench people', [PROFILE_CLASS_ID, 'https://ns.adobe.com/xdm/context/profile-personal-details', 'https://ns.adobe.com/xdm/context/profile-person-details', 'https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details', 'https://ns.adobe.com/xdm/context/identitymap']);
  await union('Bench events', [EXPERIENCE_EVENT_CLASS_ID, 'https://ns.adobe.com/xdm/context/identitymap', 'https://ns.adobe.com/xdm/context/experienceevent-commerce']);
  const defs: SegmentDefinition[] = [];
  for (const [name, value] of SEGMENTS) defs.push(await call('POST', `${UPS}/segment/definitions`, { name, expression: { type: 'PQL', format: 'pql/text', value } }));
  return defs;
}

/** A segment job of every definition, through POST /segment/jobs, polled until it ends; its time is the job's own totalTime. */
async function runJob(call: Call, defs: SegmentDefinition[], label: string) {
  const created: SegmentJob = await call('POST', `${UPS}/segment/jobs`, defs.map((d) => ({ segmentId: d.id })));
  const t0 = performance.now();
  let job = created;
  let lastLog = t0;
  while (!TERMINAL.includes(job.status)) {
    await new Promise((r) => setTimeout(r, 200));
    job = await call('GET', `${UPS}/segment/jobs/${created.id}`);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`[bench] ${label}: ${job.status}, ${job.progress?.profilesDone ?? 0} profiles evaluated, ${((lastLog - t0) / 1000).toFixed(0)}s`);
    }
  }
  if (job.status !== 'SUCCEEDED') throw new Error(`${label}: segment job ${job.id} ${job.status}: ${JSON.stringify(job.errors)}`);
  const m = job.metrics;
  const statuses = { realized: 0, existing: 0, exited: 0 };
  for (const c of Object.values(m.segmentedProfileByStatusCounter ?? {})) for (const k of ['realized', 'existing', 'exited'] as const) statuses[k] += c[k];
  const out = {
    jobId: job.id, seconds: m.totalTime!.totalTimeInMs! / 1000, segmentationSeconds: m.profileSegmentationTime!.totalTimeInMs! / 1000,
    profiles: m.totalProfiles!, events: job.inputs?.dataWatermark?.events ?? 0, statuses, workflowId: job.workflow.workflowId, now: job.inputs!.now,
    counts: m.segmentedProfileCounter ?? {},
  };
  log(`[bench] ${label}: ${out.profiles} profiles × ${defs.length} segments in ${out.seconds.toFixed(1)}s (segmentation ${out.segmentationSeconds.toFixed(1)}s); realized ${statuses.realized}, existing ${statuses.existing}, exited ${statuses.exited}`);
  return out;
}
type JobRun = Awaited<ReturnType<typeof runJob>>;

/**
 * Baseline: a raw cursor scan of the sandbox's events (grouped by profile) and profiles, and the
 * 50 parsed expressions evaluated in memory with evaluatePql at the job's `now`. Returns the
 * qualifying count per segment (which must equal the job's) and the time split scan / evaluation.
 */
async function baseline(repo: ProfileRepo, defs: SegmentDefinition[], now: string) {
  const t0 = performance.now();
  const asts = defs.map((d) => ({ id: d.id, ast: expressionAst(d.expression) }));
  const counts: Record<string, number> = Object.fromEntries(defs.map((d) => [d.id, 0]));
  const ctx = { now: new Date(now), membership: () => undefined };
  const byGraph = new Map<string, EvalEvent[]>();
  let events = 0;
  for await (const e of repo.events.find({ sandbox: SANDBOX }, { projection: { graphId: 1, timestamp: 1, eventType: 1, data: 1 } }) as AsyncIterable<EventDoc>) {
    if (e.timestamp > now) continue;
    events++;
    const list = byGraph.get(e.graphId);
    if (list) list.push(e);
    else byGraph.set(e.graphId, [e]);
  }
  let evalMs = 0;
  let profiles = 0;
  for await (const p of repo.profiles.find({ sandbox: SANDBOX })) {
    const t = performance.now();
    const view = { entity: p.entity, events: profileEvents(byGraph.get(p.graphId) ?? []) };
    for (const s of asts) if (evaluatePql(s.ast, view, ctx)) counts[s.id]++;
    evalMs += performance.now() - t;
    profiles++;
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, evaluateSeconds: evalMs / 1000, scanSeconds: seconds - evalMs / 1000, profiles, events, counts };
}

/**
 * Where the job's reading time goes: its slice queries (profiles and events of the partitions p
 * with p % slices = slice, all slices at once, as the job's evaluatePartition activities issue
 * them; 2 slices on FerretDB, one per partition on MongoDB), read without evaluating anything.
 */
async function sliceScans(repo: ProfileRepo, writeMode: 'upsert' | 'deleteInsert') {
  const slices = writeMode === 'deleteInsert' ? 2 : PROFILE_PARTITIONS;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: slices }, async (_, slice) => {
    const filter = { sandbox: SANDBOX, partition: { $in: Array.from({ length: PROFILE_PARTITIONS }, (__, i) => i).filter((i) => i % slices === slice) } };
    for await (const e of repo.events.find(filter, { projection: { graphId: 1, timestamp: 1, eventType: 1, data: 1 } })) void e;
    for await (const p of repo.profiles.find(filter)) void p;
  }));
  return { slices, seconds: (performance.now() - t0) / 1000 };
}

/** Changes 1 % of the profiles (country, city, points, tier) through the profile store's replacement, with a new lastModifiedAt. */
async function changeProfiles(repo: ProfileRepo, writeMode: 'upsert' | 'deleteInsert', n: number): Promise<{ changed: number; seconds: number }> {
  const t0 = performance.now();
  const ids = Array.from({ length: Math.ceil((n - CHANGE_OFFSET) / CHANGE_EVERY) }, (_, k) => CHANGE_OFFSET + k * CHANGE_EVERY).filter((i) => i < n);
  const stored = await repo.profiles.find({ _id: { $in: ids.map((i) => `${SANDBOX}|${graphIdOf(i)}`) } }).toArray();
  const now = Date.now();
  const changed = stored.map((p) => ({ ...p, entity: entityOf(parseInt(p.graphId.slice(1), 16), 1), lastModifiedAt: now }));
  await replaceDocs(repo.profiles, changed, writeMode, `bench/segmentation/${process.pid}`);
  return { changed: changed.length, seconds: (performance.now() - t0) / 1000 };
}

/** A second segmentation worker in a process of its own, resolved once Temporal lists two pollers on the queue. */
async function secondWorker(cfg: Parameters<typeof stackEnv>[0], client: Client): Promise<ChildProcess> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '../workers/main.ts')], {
    env: { ...process.env, ...stackEnv(cfg), OPENXP_WORKERS: 'segmentation', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the second worker exited with ${child.exitCode}`);
    if ((await pollers(cfg.temporal.namespace, client)).length >= 2) return child;
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill('SIGTERM');
  throw new Error('the second worker did not poll within 5 minutes');
}

/** Identities of the workers polling the segmentation queue for activities. */
async function pollers(namespace: string, client: Client): Promise<string[]> {
  const res = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: TASK_QUEUES.segmentation }, taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY });
  return [...new Set((res.pollers ?? []).map((p) => p.identity ?? ''))];
}

/** Which worker ran each evaluatePartition of a job (from its workflow history). */
async function partitionWorkers(client: Client, run: JobRun): Promise<Record<string, number>> {
  const history = await client.workflow.getHandle(run.workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const out: Record<string, number> = {};
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === 'evaluatePartition') out[started.identity ?? '?'] = (out[started.identity ?? '?'] ?? 0) + 1;
  }
  return out;
}

const jobResult = (r: JobRun) => ({ seconds: round3(r.seconds), segmentationSeconds: round3(r.segmentationSeconds), profiles: r.profiles, events: r.events, memberships: r.statuses });

/**
 * `npm run bench -- segmentation`: OPENXP_BENCH_SEG_PROFILES materialised profiles (events for
 * 10 %) inserted raw, 50 segment definitions created through the API, then segment jobs through
 * the API and Temporal: the first full job, timed against a raw cursor scan of the same profiles
 * and events plus the 50 parsed expressions evaluated in memory (whose counts must equal the
 * job's); a settling job (realized → existing); a job after 1 % of the profiles changed
 * (incremental); and a job with nothing changed on 1 worker, then on 2 (a second worker process).
 * Results go to bench/results/segmentation.json (segmentation-<N>-profiles.json for other sizes).
 */
async function main() {
  const cfg = loadConfig(process.env);
  const n = cfg.benchSegProfiles;
  const p = await startBenchPlatform(cfg, { api: false, workers: ['segmentation'] });
  const api = await buildApi(p.cfg);
  const connection = await Connection.connect({ address: p.cfg.temporal.address! });
  const client = new Client({ connection, namespace: p.cfg.temporal.namespace });
  const { stores } = api.infra;
  const repo = stores.profiles;
  let child: ChildProcess | undefined;
  try {
    const call = apiCaller(api.app, p.cfg.api.apiKey!);
    const defs = await createDefinitions(call);
    const eventSegments = defs.filter((d) => d.expression.value.includes('xEvent')).length;
    log(`[bench] segmentation: ${defs.length} definitions (${eventSegments} on events) created through the API; inserting ${n} profiles (events for 1 in ${EVENTS_EVERY})…`);
    const seeded = await seed(repo, n, Date.now());
    log(`[bench] inserted ${n} profiles and ${seeded.events} events in ${seeded.seconds.toFixed(1)}s`);

    const full = await runJob(call, defs, 'full job (1 worker)');
    const base = await baseline(repo, defs, full.now);
    log(`[bench] baseline: cursor scan + ${defs.length} predicates in memory over ${base.profiles} profiles and ${base.events} events in ${base.seconds.toFixed(1)}s (scan ${base.scanSeconds.toFixed(1)}s, evaluation ${base.evaluateSeconds.toFixed(1)}s)`);
    const wrong = defs.filter((d) => (full.counts[d.id] ?? 0) !== base.counts[d.id]);
    if (wrong.length) throw new Error(`the job and the baseline disagree on ${wrong.length} segments, e.g. "${wrong[0].name}": job ${full.counts[wrong[0].id]}, baseline ${base.counts[wrong[0].id]}`);
    if (full.profiles !== n || base.profiles !== n) throw new Error(`expected ${n} profiles, the job read ${full.profiles}, the baseline ${base.profiles}`);
    log(`[bench] check: the job's ${defs.length} segment counts equal the baseline's`);
    const sliced = await sliceScans(repo, stores.writeMode);
    log(`[bench] the job's ${sliced.slices} slice queries alone (concurrent, no evaluation): ${sliced.seconds.toFixed(1)}s`);

    const settle = await runJob(call, defs, 'settling job (realized → existing, 1 worker)');
    const changed = await changeProfiles(repo, stores.writeMode, n);
    log(`[bench] changed ${changed.changed} profiles (1 %) in ${changed.seconds.toFixed(1)}s`);
    const incremental = await runJob(call, defs, 'incremental job (1 % changed, 1 worker)');
    const oneWorker = await runJob(call, defs, 'unchanged data, 1 worker');
    child = await secondWorker(p.cfg, client);
    log('[bench] a second segmentation worker process is polling');
    const twoWorkers = await runJob(call, defs, 'unchanged data, 2 workers');
    const spread = await partitionWorkers(client, twoWorkers);

    const ratio = base.seconds / full.seconds;
    const result = {
      at: new Date().toISOString(), profiles: n, events: seeded.events, profilesWithEvents: Math.ceil(n / EVENTS_EVERY), segments: defs.length, eventSegments,
      seedSeconds: round3(seeded.seconds),
      openxp: {
        full: jobResult(full), settle: jobResult(settle),
        incremental: { ...jobResult(incremental), profilesChanged: changed.changed },
        workers: { one: jobResult(oneWorker), two: { ...jobResult(twoWorkers), partitionsByWorker: spread } },
      },
      baseline: { seconds: round3(base.seconds), scanSeconds: round3(base.scanSeconds), evaluateSeconds: round3(base.evaluateSeconds), profiles: base.profiles, events: base.events },
      sliceQueries: { slices: sliced.slices, seconds: round3(sliced.seconds) },
      ratio: Number(ratio.toFixed(4)),
      multipleOfBaseline: Number((full.seconds / base.seconds).toFixed(2)),
      goal: { multipleOfBaseline: 2, met: full.seconds <= 2 * base.seconds },
      check: { segmentCountsEqual: true },
      machine: machineInfo(),
      server: await serverInfo(stores.db),
    };
    writeResult(n === DEFAULT_BENCH_SEG_PROFILES ? 'segmentation.json' : `segmentation-${sizeLabel(n)}-profiles.json`, result);
    log(`[bench] segmentation summary: full job ${full.seconds.toFixed(1)}s vs baseline ${base.seconds.toFixed(1)}s (ratio ${result.ratio}; job = ${result.multipleOfBaseline}× baseline, goal ≤ 2×: ${result.goal.met ? 'met' : 'not met'}); settling ${settle.seconds.toFixed(1)}s; incremental (1 %) ${incremental.seconds.toFixed(1)}s; unchanged 1 worker ${oneWorker.seconds.toFixed(1)}s vs 2 workers ${twoWorkers.seconds.toFixed(1)}s`);
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await connection.close();
    await api.close();
    await p.stop();
  }
}

runBench(main);
