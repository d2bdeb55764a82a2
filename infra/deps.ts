import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/env';
import type { Connection } from '../domain/flow/model';
import { connectMongo } from './mongo/client';
import { createStores } from './mongo/stores';
import { detectWriteMode } from './mongo/bulk';
import { createS3Client } from './s3/client';
import { SecretBox } from './security/secrets';

/** Resolved settings a process needs once the stack is known (no optional service addresses). */
export function requireServices(cfg: Config) {
  const missing = [
    !cfg.mongo.uri && 'MONGODB_URI',
    !cfg.temporal.address && 'TEMPORAL_ADDRESS',
  ].filter(Boolean);
  if (missing.length) throw new Error(`Missing ${missing.join(', ')}: start the embedded stack with \`npm run dev\`, or point these at your services.`);
  return { mongoUri: cfg.mongo.uri!, temporalAddress: cfg.temporal.address! };
}

/** Builds the shared infrastructure of a worker or API process: Mongo stores, S3 clients, secrets. */
export async function buildInfra(cfg: Config) {
  const { mongoUri } = requireServices(cfg);
  const { client, db } = await connectMongo(mongoUri, cfg.mongo.db);
  const stores = createStores(db, await detectWriteMode(db));
  const secrets = new SecretBox(cfg.secretKey ?? 'openxp-dev-secret-change-me');
  const platformS3 = createS3Client(cfg.s3);
  const cache = new Map<string, S3Client>();
  const s3For = (conn?: Connection): S3Client => {
    if (!conn?.auth.enc) return platformS3;
    const hit = cache.get(`${conn.id}:${conn.etag}`);
    if (hit) return hit;
    const p = secrets.open(conn.auth.enc);
    const c = createS3Client({
      endpoint: p.serviceUrl ?? cfg.s3.endpoint,
      region: p.region ?? cfg.s3.region,
      accessKeyId: p.s3AccessKey,
      secretAccessKey: p.s3SecretKey,
    });
    cache.set(`${conn.id}:${conn.etag}`, c);
    return c;
  };
  return { client, db, stores, secrets, s3For, close: () => client.close() };
}
export type Infra = Awaited<ReturnType<typeof buildInfra>>;
