import { MongoClient } from 'mongodb';
import type { Collection } from 'mongodb';
import { detectWriteMode, insertNew, replaceDocs, replayRedo } from '../../infra/mongo/bulk';
import { testConfig } from '../helpers/env';

/** The write helpers every activity relies on, against the real Mongo-wire server of the stack. */
describe('bulk writes on the real server', () => {
  let client: MongoClient;
  let coll: Collection<{ _id: string; v: number }>;
  beforeAll(async () => {
    const cfg = testConfig();
    client = await new MongoClient(cfg.mongo.uri!).connect();
    coll = client.db(cfg.mongo.db).collection(`bulk_${process.pid}`);
  });
  afterAll(async () => {
    await coll.drop().catch(() => undefined);
    await client.close();
  });

  it('insertNew skips ids that are already there (a retried chunk adds nothing twice)', async () => {
    await insertNew(coll, [{ _id: 'a', v: 1 }, { _id: 'b', v: 1 }]);
    await insertNew(coll, [{ _id: 'b', v: 2 }, { _id: 'c', v: 2 }]);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([{ _id: 'a', v: 1 }, { _id: 'b', v: 1 }, { _id: 'c', v: 2 }]);
  });

  it('replaceDocs replaces in the mode the server needs', async () => {
    const mode = await detectWriteMode(client.db(testConfig().mongo.db));
    expect(mode).toBe('deleteInsert'); // the test stack runs FerretDB
    await replaceDocs(coll, [{ _id: 'a', v: 9 }], mode, 'test');
    expect(await coll.findOne({ _id: 'a' })).toEqual({ _id: 'a', v: 9 });
  });

  it('a crash between delete and insert loses nothing: the redo log is replayed', async () => {
    // What a writer that died after its delete leaves behind: the logged new version, the old one gone.
    await client.db(testConfig().mongo.db).collection('_redo').insertOne({ _id: `dead-writer|${coll.collectionName}|b` as any, scope: 'dead-writer', coll: coll.collectionName, doc: { _id: 'b', v: 7 } });
    await coll.deleteOne({ _id: 'b' });
    expect(await replayRedo(coll, 'another-writer')).toBe(0); // never replays a concurrent writer's log
    expect(await replayRedo(coll, 'dead-writer')).toBe(1);
    expect(await coll.findOne({ _id: 'b' })).toEqual({ _id: 'b', v: 7 });
    expect(await replayRedo(coll, 'dead-writer')).toBe(0);
  });
});
