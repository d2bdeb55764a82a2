import { execSync } from 'node:child_process';
import { MongoClient } from 'mongodb';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { Connection, Client } from '@temporalio/client';
import { loadConfig } from './config/env';
import { startStack } from './scripts/stack';

async function main() {
  const cfg = loadConfig(process.env);
  const t0 = Date.now();
  const stack = await startStack(cfg, { ui: process.argv.includes('--ui'), ports: 'random', persistent: false, dataDir: `/tmp/stacktest/test-${process.pid}`, log: (l) => console.log(l) });
  console.log('startup total', (Date.now() - t0) / 1000, JSON.stringify(stack.info));
  const { info } = stack;
  console.log(execSync(`ps -o pid,ppid,pgid,args --ppid ${process.pid} || true`).toString()); const pids = execSync(`pgrep -P ${process.pid} || true`).toString().trim().split('\n').filter(Boolean);
  console.log('children', pids);
  try {
    const mc = new MongoClient(info.mongoUri);
    const col = mc.db(info.mongoDb).collection('smoke');
    await col.insertOne({ a: 1, name: 'x' });
    console.log('mongo find', await col.find({ a: 1 }).project({ _id: 0 }).toArray());
    await mc.close();
    const s3 = new S3Client({ endpoint: info.s3Endpoint, region: info.s3Region, credentials: { accessKeyId: info.s3AccessKeyId, secretAccessKey: info.s3SecretAccessKey }, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
    await s3.send(new CreateBucketCommand({ Bucket: 'smoke' }));
    await s3.send(new PutObjectCommand({ Bucket: 'smoke', Key: 'k.txt', Body: 'hello' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'smoke', Key: 'k.txt' }));
    console.log('s3 get', await got.Body!.transformToString());
    s3.destroy();
    const conn = await Connection.connect({ address: info.temporalAddress });
    const client = new Client({ connection: conn, namespace: info.temporalNamespace });
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query: 'OpenXPSandbox = "x"' })) ids.push(wf.workflowId);
    console.log('temporal list', ids);
    await conn.close();
    if (info.temporalUiUrl) console.log('ui status', (await fetch(info.temporalUiUrl)).status);
  } finally {
    const t1 = Date.now();
    await stack.stop();
    console.log('stop took', (Date.now() - t1) / 1000);
    for (const p of pids) { try { process.kill(Number(p), 0); console.log('STILL ALIVE', p); } catch { console.log('gone', p); } }
  }
}
main().catch((e) => { console.error('FAILED', e); process.exit(1); });
