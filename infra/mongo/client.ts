import { MongoClient } from 'mongodb';
import { ensureIndexes } from './collections';

/** Connects, checks the server answers, and makes sure every index exists. */
export async function connectMongo(uri: string, dbName: string) {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 15_000 });
  await client.connect();
  const db = client.db(dbName);
  await db.command({ ping: 1 });
  await ensureIndexes(db);
  return { client, db };
}
