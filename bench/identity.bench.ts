import { performance } from 'node:perf_hooks';
import type { MongoClient } from 'mongodb';
import { DEFAULT_BENCH_PROFILES, loadConfig } from '../config/env';
import { buildApi } from '../api/server';
import { DisjointSets } from '../domain/identity/components';
import { findNamespace, normalizeIdentity, parseIdentityKey, STANDARD_NAMESPACES } from '../domain/identity/namespaces';
import { buildInfra } from '../infra/deps';
import { linkingRulesOf } from '../infra/identity/linking-rules';
import { sandboxNamespaces } from '../infra/identity/namespaces';
import { recoverWrites } from '../infra/mongo/stores';
import type { Stores } from '../infra/mongo/stores';
import { defaultMergePolicyOf } from '../infra/profile/merge-policies';
import { GraphCache } from '../activities/profile/graph-cache';
import { writeRecords } from '../activities/profile/write-records';
import type { IncomingRecord } from '../activities/profile/write-records';
import { copyIndexes, log, machineInfo, progress, runBench, serverInfo, startBenchPlatform, writeResult } from './common';

const SANDBOX = 'bench-identity';
const DATASET = 'bench-identity-dataset';
const BATCH = 'bench-identity-batch';
const SCOPE = `bench/identity/${SANDBOX}`;
/** Records per writeRecords call, as file ingestion chunks them. */
const CHUNK = 2500;
/** Documents per insertMany of the baseline. */
const RAW_BATCH = 10_000;
/** One cross-link record after every this many profile records (10 %). */
const CROSS_EVERY = 10;
const SEED = 7;
const T0 = Date.UTC(2025, 0, 1);
const NAMESPACES = ['CRMID', 'Email', 'ECID'] as const;
type Ns = (typeof NAMESPACES)[number];

// ---------------------------------------------------------------------------------------------
// Data: record n is a function of (SEED, n) alone, so every pass regenerates the same stream.

/** A deterministic number in [0, 1) from (seed, n, salt) (a 32-bit integer hash). */
function rand(seed: number, n: number, salt: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 0x632be5ab, 0xc2b2ae35) ^ Math.imul(salt + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** The normalised identity key of profile i in a namespace. */
function keyOf(i: number, ns: Ns): string {
  if (ns === 'CRMID') return `CRMID:c${i}`;
  if (ns === 'Email') return `Email:u${i}@example.com`;
  return `ECID:${String(i).padStart(38, '0')}`;
}
/** Profile i's three identities, primary (CRMID: first in the default namespace priority) first. */
const profileKeys = (i: number) => NAMESPACES.map((ns) => keyOf(i, ns));

const recordCount = (n: number) => n + Math.floor(n / CROSS_EVERY);

/**
 * The record stream: profile i (its three identities and a first name), and after every tenth
 * profile a cross-link record joining an identity of a random profile a with an identity of a
 * random other profile b. Both identities are ones those profiles have, so every cross-link merges
 * two graphs (unless an earlier link had already joined them).
 */
function* records(n: number): Generator<IncomingRecord> {
  let seq = 0;
  for (let i = 0; i < n; i++) {
    yield { identities: profileKeys(i), data: { person: { name: { firstName: `First${i}` } } }, ts: T0 + seq++ };
    if (i % CROSS_EVERY !== CROSS_EVERY - 1) continue;
    const k = Math.floor(i / CROSS_EVERY);
    const a = Math.floor(rand(SEED, k, 1) * n);
    let b = Math.floor(rand(SEED, k, 2) * n);
    if (b === a) b = (a + 1) % n;
    const ka = keyOf(a, NAMESPACES[Math.floor(rand(SEED, k, 3) * 3)]);
    const kb = keyOf(b, NAMESPACES[Math.floor(rand(SEED, k, 4) * 3)]);
    yield { identities: [ka, kb], data: { person: { name: { lastName: `Last${a}` } } }, ts: T0 + seq++ };
  }
}

function* chunks<T>(xs: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const x of xs) {
    chunk.push(x);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

function* allKeys(n: number): Generator<string> {
  for (let i = 0; i < n; i++) yield* profileKeys(i);
}

// ---------------------------------------------------------------------------------------------
// Where the time goes, without touching OpenXP's code: every async method of the identity, graph
// and profile repositories and of the graph cache is timed on this bench's own instances (only
// outermost calls count towards the total; nested ones are listed apart), and every command the
// server runs is timed by the driver's command monitoring, per collection and command.

interface CallTime { calls: number; seconds: number; nested: boolean }

function instrument(targets: Record<string, object>): { times: Map<string, CallTime>; storeSeconds: () => number } {
  const times = new Map<string, CallTime>();
  let depth = 0;
  for (const [label, obj] of Object.entries(targets)) {
    // Methods (prototype or own arrow-function fields), nearest definition first; accessors are left alone.
    const methods = new Map<string, PropertyDescriptor>();
    for (let o = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const name of Object.getOwnPropertyNames(o)) if (!methods.has(name)) methods.set(name, Object.getOwnPropertyDescriptor(o, name)!);
    }
    for (const [name, desc] of methods) {
      const fn = 'value' in desc ? desc.value : undefined;
      if (name === 'constructor' || typeof fn !== 'function') continue;
      (obj as any)[name] = function (this: unknown, ...args: unknown[]) {
        const nested = depth > 0;
        const t0 = performance.now();
        depth++; // before the call: what it calls before its first await is nested too
        let out: unknown;
        try {
          out = fn.apply(this, args);
        } finally {
          if (!(out instanceof Promise)) depth--;
        }
        if (!(out instanceof Promise)) return out;
        const done = () => {
          depth--;
          const key = `${label}.${name}${nested ? ' (nested)' : ''}`;
          const t = times.get(key) ?? { calls: 0, seconds: 0, nested };
          t.calls++;
          t.seconds += (performance.now() - t0) / 1000;
          times.set(key, t);
        };
        return out.then((v) => {
          done();
          return v;
        }, (e) => {
          done();
          throw e;
        });
      };
    }
  }
  return { times, storeSeconds: () => [...times.values()].filter((t) => !t.nested).reduce((s, t) => s + t.seconds, 0) };
}

/** A Mongo URI whose clients report every command (the driver's command monitoring). */
const monitored = (uri: string) => `${uri}${uri.includes('?') ? '&' : /^mongodb(\+srv)?:\/\/[^/]+$/.test(uri) ? '/?' : '?'}monitorCommands=true`;

/** Server time per `<collection>.<command>` of a client connected with command monitoring; `take()` returns and resets it. */
function commandTimes(client: MongoClient) {
  const pending = new Map<number, string>();
  let times = new Map<string, { calls: number; ms: number }>();
  client.on('commandStarted', (e) => {
    const target = e.command[e.commandName];
    pending.set(e.requestId, `${typeof target === 'string' ? target : (e.command.collection ?? e.databaseName)}.${e.commandName}`);
  });
  const done = (e: { requestId: number; duration: number }) => {
    const key = pending.get(e.requestId);
    if (!key) return;
    pending.delete(e.requestId);
    const t = times.get(key) ?? { calls: 0, ms: 0 };
    t.calls++;
    t.ms += e.duration;
    times.set(key, t);
  };
  client.on('commandSucceeded', done);
  client.on('commandFailed', done);
  return {
    take() {
      const out = [...times].sort((a, b) => b[1].ms - a[1].ms);
      times = new Map();
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------

/** The OpenXP path: writeRecords per chunk, holding the graph lease with a graph cache, as file ingestion's writeRows does. */
async function stitch(stores: Stores, n: number) {
  const cache = new GraphCache(stores.writeMode === 'deleteInsert');
  const probe = instrument({ identities: stores.identities, graphs: stores.graphs, profiles: stores.profiles, cache });
  const totals = { graphsTouched: 0, graphsMerged: 0, profilesWritten: 0, linksRefused: 0, identitiesRemoved: 0 };
  /** Seconds of each full chunk: how the cost of a write grows with what is stored. */
  const chunkSeconds: number[] = [];
  let done = 0;
  let seconds = 0;
  // Where the time went so far: the three costliest store calls, as shares of the stitching time.
  const detail = () => [...probe.times].filter(([, t]) => !t.nested).sort((a, b) => b[1].seconds - a[1].seconds).slice(0, 3)
    .map(([k, t]) => `${k} ${Math.round((100 * t.seconds) / seconds)}%`).join(', ');
  const tick = progress('stitching', recordCount(n), 'records', { detail });
  for (const chunk of chunks(records(n), CHUNK)) {
    const t0 = performance.now();
    const rules = await linkingRulesOf(stores, SANDBOX);
    const namespaces = await sandboxNamespaces(stores, SANDBOX);
    const typeOf = (ns: string) => findNamespace(namespaces, ns)?.idType ?? 'Cross_device';
    const mp = await defaultMergePolicyOf(stores, SANDBOX, Date.now());
    const policy = { id: mp.id, version: mp.version, rule: mp.attributeMerge };
    const writer = `${SCOPE}#${done + 1}`;
    const w = await stores.leases.with(`graph/${SANDBOX}`, SCOPE, async (held) => {
      if (held.tookOverFrom) await recoverWrites(stores, held.tookOverFrom);
      cache.onLease(held);
      return writeRecords(stores, SANDBOX, DATASET, BATCH, chunk, Date.now(), SCOPE, { cache, writer, reclaim: false, datasets: [DATASET], rules, typeOf, policy });
    });
    const sec = (performance.now() - t0) / 1000;
    seconds += sec;
    if (chunk.length === CHUNK) chunkSeconds.push(sec);
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += w[k];
    done += chunk.length;
    tick(done);
  }
  const tenth = Math.max(1, Math.floor(chunkSeconds.length / 10));
  const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const phases = Object.fromEntries([...probe.times].sort((a, b) => b[1].seconds - a[1].seconds).map(([k, t]) => [k, { calls: t.calls, seconds: Number(t.seconds.toFixed(3)) }]));
  return {
    seconds, totals, phases,
    inMemorySeconds: seconds - probe.storeSeconds(),
    chunkSeconds: { first10pct: avg(chunkSeconds.slice(0, tenth)), last10pct: avg(chunkSeconds.slice(-tenth)) },
  };
}

/** Baseline, part 1: union-find over the same records' identities (only the unions are timed). */
function unionFind(n: number) {
  const ds = new DisjointSets();
  let seconds = 0;
  for (const chunk of chunks(records(n), CHUNK)) {
    const t0 = performance.now();
    for (const r of chunk) {
      r.identities.forEach((k) => ds.add(k));
      for (let i = 1; i < r.identities.length; i++) ds.union(r.identities[0], r.identities[i]);
    }
    seconds += (performance.now() - t0) / 1000;
  }
  return { ds, seconds };
}

/**
 * Baseline, part 2: each identity's component (timed with the union-find) inserted raw as
 * {_id, sandbox, graphId}, unordered in batches of 10k, into a scratch collection with the
 * indexes of `identities` (only the inserts are timed).
 */
async function rawWrite(stores: Stores, ds: DisjointSets, n: number) {
  const scratch = stores.db.collection<{ _id: string; sandbox: string; graphId: string }>(`bench_raw_identities_${Date.now()}`);
  await copyIndexes(stores.identities.coll, scratch);
  const tick = progress('raw insertMany', 3 * n, 'documents');
  let resolveSeconds = 0;
  let seconds = 0;
  let documents = 0;
  for (const keys of chunks(allKeys(n), RAW_BATCH)) {
    const t0 = performance.now();
    const docs = keys.map((k) => ({ _id: `${SANDBOX}|${k}`, sandbox: SANDBOX, graphId: `g${ds.find(k)}` }));
    const t1 = performance.now();
    await scratch.insertMany(docs, { ordered: false });
    seconds += (performance.now() - t1) / 1000;
    resolveSeconds += (t1 - t0) / 1000;
    documents += docs.length;
    tick(documents);
  }
  await scratch.drop();
  return { seconds, resolveSeconds, documents };
}

/** Component sizes of the union-find (root → identities). */
function componentSizes(ds: DisjointSets, n: number): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const k of allKeys(n)) {
    const r = ds.find(k);
    sizes.set(r, (sizes.get(r) ?? 0) + 1);
  }
  return sizes;
}

/**
 * What was stored agrees with the union-find: as many graphs (graph documents, distinct graph ids
 * of identities and materialised profiles) as components, every identity stored once, and for
 * sampled identities the stored graph holds exactly the identities of their component.
 */
async function check(stores: Stores, ds: DisjointSets, n: number, sizes: Map<string, number>, samples: number) {
  const components = sizes.size;
  const graphDocs = await stores.graphs.coll.countDocuments({ sandbox: SANDBOX });
  const identityGraphs = await stores.identities.countGraphs(SANDBOX);
  const identities = await stores.identities.coll.countDocuments({ sandbox: SANDBOX });
  const profiles = await stores.profiles.profiles.countDocuments({ sandbox: SANDBOX });
  const fail = (msg: string) => { throw new Error(`correctness check failed: ${msg}`); };
  if (graphDocs !== components) fail(`${graphDocs} graph documents, but the union-find has ${components} components`);
  if (identityGraphs !== components) fail(`identities name ${identityGraphs} graphs, but the union-find has ${components} components`);
  if (identities !== 3 * n) fail(`${identities} identities stored, expected ${3 * n}`);
  if (profiles !== components) fail(`${profiles} materialised profiles, expected one per component (${components})`);

  const sampled = Array.from({ length: samples }, (_, s) => keyOf(Math.floor(rand(SEED, s, 5) * n), NAMESPACES[s % 3]));
  const roots = new Set(sampled.map((k) => ds.find(k)));
  const members = new Map<string, string[]>();
  for (const k of allKeys(n)) {
    const r = ds.find(k);
    if (roots.has(r)) members.set(r, [...(members.get(r) ?? []), k]);
  }
  for (const k of sampled) {
    const component = members.get(ds.find(k))!;
    const graphOf = await stores.identities.graphsOf(SANDBOX, component);
    const graphIds = new Set(graphOf.values());
    if (graphOf.size !== component.length || graphIds.size !== 1) fail(`the ${component.length} identities of ${k}'s component are stored in ${graphIds.size} graphs (${graphOf.size} found)`);
    const [graph] = await stores.graphs.getMany(SANDBOX, [...graphIds]);
    const stored = new Set(graph?.members.map((m) => m.k) ?? []);
    if (stored.size !== component.length || component.some((c) => !stored.has(c))) fail(`graph ${[...graphIds][0]} of ${k} holds ${stored.size} identities, its component ${component.length}`);
  }
  return { components, graphDocs, identityGraphs, identities, profiles, sampledIdentities: samples };
}

/** `clients` concurrent callers share `total` lookups of random identities through the API's profile route. */
async function lookups(app: Awaited<ReturnType<typeof buildApi>>['app'], apiKey: string, n: number, clients: number, total: number, serverTimes: () => [string, { calls: number; ms: number }][]) {
  const headers = { 'x-api-key': apiKey, 'x-sandbox-name': SANDBOX };
  const pathOf = (s: number) => {
    const { ns, id } = parseIdentityKey(keyOf(Math.floor(rand(SEED, s, 6) * n), NAMESPACES[Math.floor(rand(SEED, s, 7) * 3)]));
    return `/data/core/ups/access/entities?entityId=${encodeURIComponent(id)}&entityIdNS=${ns}`;
  };
  // Warm-up (not timed): one lookup per client.
  for (let c = 0; c < clients; c++) await (await app.request(pathOf(total + c), { headers })).text();
  serverTimes();
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const tick = progress('lookups', total, 'lookups');
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    for (let s = next++; s < total; s = next++) {
      const t = performance.now();
      const res = await app.request(pathOf(s), { headers });
      const body = await res.text();
      latencies.push(performance.now() - t);
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      if (res.status !== 200 && (statuses[res.status] ?? 0) <= 3) log(`[bench] lookup ${pathOf(s)} → ${res.status} ${body.slice(0, 300)}`);
      tick(latencies.length);
    }
  }));
  const wall = (performance.now() - t0) / 1000;
  // What one lookup asks of the server, on average.
  const serverCommands = Object.fromEntries(serverTimes().map(([k, t]) => [k, { perLookup: Number((t.calls / total).toFixed(2)), msPerLookup: Number((t.ms / total).toFixed(2)) }]));
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => Number(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)].toFixed(2));
  return { clients, lookups: total, seconds: Number(wall.toFixed(3)), requestsPerSecond: Math.round(total / wall), p50Ms: pct(0.5), p95Ms: pct(0.95), p99Ms: pct(0.99), maxMs: pct(1), statuses, serverCommands };
}

const sizeLabel = (n: number) => (n >= 1e6 && n % 1e5 === 0 ? `${n / 1e6}m` : n >= 1e3 && n % 100 === 0 ? `${n / 1e3}k` : String(n));
const round = (x: number) => Number(x.toFixed(3));

/**
 * `npm run bench -- identity`: stitches OPENXP_BENCH_PROFILES generated profiles (3 identities
 * each, plus 10 % cross-link records) through writeRecords, the layer ingestion links and
 * materialises profiles with, in a scratch database; compares it with an in-memory union-find of
 * the same records plus a raw insertMany of the resulting identity → graph ids; checks both agree;
 * then times profile lookups by identity through the API under concurrent load. Results go to
 * bench/results/identity.json (identity-<N>-profiles.json for other sizes).
 */
async function main() {
  const cfg = loadConfig(process.env);
  const n = cfg.benchProfiles;
  if (n < 2) throw new Error('OPENXP_BENCH_PROFILES: at least 2 profiles (cross-links join two)');
  for (const k of profileKeys(n - 1)) {
    const { ns, id } = parseIdentityKey(k);
    if (normalizeIdentity(findNamespace(STANDARD_NAMESPACES, ns)!, id) !== id) throw new Error(`generated identity ${k} is not normalised`);
  }
  const p = await startBenchPlatform(cfg, { api: false, workers: [] });
  const benchCfg = { ...p.cfg, mongo: { uri: monitored(p.cfg.mongo.uri!), db: `bench_identity_${process.pid}` } };
  const infra = await buildInfra(benchCfg);
  const api = await buildApi(benchCfg);
  const { stores } = infra;
  const writes = commandTimes(infra.client);
  const reads = commandTimes(api.infra.client);
  try {
    const total = recordCount(n);
    log(`[bench] identity: ${n} profiles × 3 identities + ${total - n} cross-link records = ${total} records, chunks of ${CHUNK}, database ${benchCfg.mongo.db}`);

    const uf = unionFind(n);
    const sizes = componentSizes(uf.ds, n);
    let largest = 0;
    for (const s of sizes.values()) largest = Math.max(largest, s);
    const rules = await linkingRulesOf(stores, SANDBOX);
    if (largest >= rules.graphLimit) throw new Error(`the generated data has a component of ${largest} identities, at the graph limit ${rules.graphLimit}: the counts could not agree`);
    log(`[bench] union-find: ${sizes.size} components (largest ${largest} identities) in ${uf.seconds.toFixed(2)}s`);

    writes.take();
    const s = await stitch(stores, n);
    const serverCommands = Object.fromEntries(writes.take().map(([k, t]) => [k, { calls: t.calls, seconds: round(t.ms / 1000) }]));
    log(`[bench] OpenXP writeRecords: ${total} records in ${s.seconds.toFixed(1)}s (${Math.round(total / s.seconds)} records/s); ${s.totals.graphsMerged} stored graphs merged`);
    if (s.totals.identitiesRemoved || s.totals.linksRefused) throw new Error(`linking rules intervened (${s.totals.identitiesRemoved} identities removed, ${s.totals.linksRefused} links refused): the data must stay under the graph limit`);

    const raw = await rawWrite(stores, uf.ds, n);
    const baselineSeconds = uf.seconds + raw.resolveSeconds + raw.seconds;
    log(`[bench] baseline: union-find ${(uf.seconds + raw.resolveSeconds).toFixed(2)}s + raw insertMany of ${raw.documents} identity → graph ids ${raw.seconds.toFixed(1)}s`);

    const checked = await check(stores, uf.ds, n, sizes, 50);
    log(`[bench] check: ${checked.graphDocs} graphs stored = ${checked.components} union-find components; ${checked.sampledIdentities} sampled identities agree`);

    const db = infra.db;
    const documentsWritten = Object.fromEntries(await Promise.all(['identities', 'graphs', 'graphHistory', 'fragments', 'profiles'].map(async (c) => [c, await db.collection(c).countDocuments({ sandbox: SANDBOX })] as const)));

    log(`[bench] profile lookups: ${cfg.benchLookups} by random identity, ${cfg.benchClients} concurrent clients, through GET /data/core/ups/access/entities…`);
    const l = await lookups(api.app, benchCfg.api.apiKey!, n, cfg.benchClients, cfg.benchLookups, () => reads.take());
    log(`[bench] lookups: p50 ${l.p50Ms} ms, p95 ${l.p95Ms} ms, p99 ${l.p99Ms} ms, ${l.requestsPerSecond} requests/s`);
    if ((l.statuses['200'] ?? 0) !== l.lookups) throw new Error(`profile lookups: expected ${l.lookups} × 200, got ${JSON.stringify(l.statuses)}`);

    const result = {
      at: new Date().toISOString(), profiles: n, records: total, crossLinks: total - n, chunk: CHUNK,
      components: checked.components, largestComponent: largest,
      documentsWritten,
      openxp: {
        seconds: round(s.seconds), recordsPerSecond: Math.round(total / s.seconds), ...s.totals,
        // Mean seconds of the first and of the last tenth of the full chunks of 2,500 records.
        chunkSeconds: { first10pct: round(s.chunkSeconds.first10pct), last10pct: round(s.chunkSeconds.last10pct) },
        inMemorySeconds: round(s.inMemorySeconds), storeCalls: s.phases, serverCommands,
      },
      baseline: { seconds: round(baselineSeconds), unionFindSeconds: round(uf.seconds + raw.resolveSeconds), rawInsertSeconds: round(raw.seconds), documents: raw.documents },
      ratio: Number((baselineSeconds / s.seconds).toFixed(4)),
      check: checked,
      lookups: l,
      machine: machineInfo(),
      server: await serverInfo(db),
    };
    writeResult(n === DEFAULT_BENCH_PROFILES ? 'identity.json' : `identity-${sizeLabel(n)}-profiles.json`, result);
    log(`[bench] identity summary: OpenXP ${s.seconds.toFixed(1)}s vs baseline ${baselineSeconds.toFixed(1)}s (ratio baseline/OpenXP ${result.ratio}, < 1: OpenXP slower); lookups p50 ${l.p50Ms} ms / p99 ${l.p99Ms} ms at ${l.requestsPerSecond} req/s`);
  } finally {
    await infra.db.dropDatabase().catch((e) => log(`[bench] drop ${benchCfg.mongo.db}: ${(e as Error).message}`));
    await api.close();
    await infra.close();
    await p.stop();
  }
}

runBench(main);
