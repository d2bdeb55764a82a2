import { MongoClient } from 'mongodb';
import { writeRecords } from '../../activities/profile/write-records';
import type { IncomingRecord } from '../../activities/profile/write-records';
import { GraphCache } from '../../activities/profile/graph-cache';
import { detectWriteMode } from '../../infra/mongo/bulk';
import { ensureIndexes } from '../../infra/mongo/collections';
import { createStores } from '../../infra/mongo/stores';
import type { Stores } from '../../infra/mongo/stores';
import { testConfig } from '../helpers/env';

/** The graph write path (writeRecords) on the real server: state after interrupted writes, caches. */
describe('identity graph writes on the real server', () => {
  let client: MongoClient;
  let stores: Stores;
  const db = `openxp_graphw_${process.pid}`;
  const rec = (identities: string[], name: string, ts = 1): IncomingRecord => ({ identities, data: { person: { name: { firstName: name } } }, ts });
  const state = async (sandbox: string) => {
    const ids = await stores.identities.coll.find({ sandbox }).toArray();
    const graphs = await stores.graphs.coll.find({ sandbox }).toArray();
    const profiles = await stores.profiles.profiles.find({ sandbox }).toArray();
    return { ids, graphs, profiles };
  };

  beforeAll(async () => {
    const cfg = testConfig();
    client = await new MongoClient(cfg.mongo.uri!).connect();
    await ensureIndexes(client.db(db));
    stores = createStores(client.db(db), await detectWriteMode(client.db(db)));
  });
  afterAll(async () => {
    await client.db(db).dropDatabase().catch(() => undefined);
    await client.close();
  });

  it('a merge that died after writing the merged graph, before re-pointing identities, is completed by the next write', async () => {
    const sb = 'leftover';
    await writeRecords(stores, sb, 'ds', 'b1', [rec(['Email:a', 'CRMID:1'], 'A'), rec(['Email:b', 'CRMID:2'], 'B')], 1000, 's1', { datasets: ['ds'] });
    const before = await state(sb);
    expect(before.graphs).toHaveLength(2);
    const [ga, gb] = [before.ids.find((i) => i.ns === 'Email' && i.id === 'a')!.graphId, before.ids.find((i) => i.ns === 'Email' && i.id === 'b')!.graphId];
    // The dead write: the merged graph (b's members and a link added to a's graph) is stored; nothing else was.
    const a = before.graphs.find((g) => g.graphId === ga)!;
    const b = before.graphs.find((g) => g.graphId === gb)!;
    const [win, lose] = ga < gb ? [a, b] : [b, a];
    await stores.graphs.put(sb, [{ id: win.graphId, members: [...win.members, ...lose.members], edges: [...win.edges, ...lose.edges, { a: 'CRMID:1', b: 'Email:b', ts: 2, src: [] }] }], new Set([win.graphId]), 2000, 's2');

    // The next write touches both graphs: the stale one is recognised and merged away.
    await writeRecords(stores, sb, 'ds', 'b2', [rec(['Email:b', 'CRMID:1'], 'B2', 2)], 2000, 's3', { datasets: ['ds'] });
    const after = await state(sb);
    expect(after.graphs.map((g) => g.graphId)).toEqual([win.graphId]);
    expect(new Set(after.ids.map((i) => i.graphId))).toEqual(new Set([win.graphId]));
    expect(after.profiles.map((p) => p.graphId)).toEqual([win.graphId]);
    expect(Object.keys(after.profiles[0].entity.identityMap as object).sort()).toEqual(['CRMID', 'Email']);
  });

  it('a graph cache kept across chunks gives the same graphs as no cache, and re-applying a chunk changes nothing', async () => {
    const chunks = [
      [rec(['Email:x1', 'Phone:+331'], 'x1'), rec(['Email:x2', 'Phone:+332'], 'x2')],
      [rec(['Email:x3', 'Phone:+331'], 'x3'), rec(['Email:x2', 'CRMID:9'], 'x2b')],
      [rec(['CRMID:9', 'Phone:+331'], 'join')],
    ];
    const run = async (sb: string, cache?: GraphCache) => {
      for (const [i, c] of chunks.entries()) {
        await stores.leases.with(`graph/${sb}`, sb, async (held) => {
          cache?.onLease(held);
          await writeRecords(stores, sb, 'ds', `b${i}`, c, 1000 + i, sb, { cache, datasets: ['ds'] });
        });
      }
      const s = await state(sb);
      return s.graphs.map((g) => g.members.map((m) => m.k).sort()).sort();
    };
    const plain = await run('nocache');
    const cached = await run('cache', new GraphCache(true));
    expect(cached).toEqual(plain);
    expect(plain).toEqual([['CRMID:9', 'Email:x1', 'Email:x2', 'Email:x3', 'Phone:+331', 'Phone:+332']]);
    const again = await writeRecords(stores, 'nocache', 'ds', 'b2', chunks[2], 1002, 'nocache', { datasets: ['ds'] });
    expect(again).toMatchObject({ graphsMerged: 0, linksRefused: 0, identitiesRemoved: 0 });
    expect(await run('nocache')).toEqual(plain);
  });
});
