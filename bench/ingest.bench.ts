import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../config/env';
import { createS3Client, ensureBucket } from '../infra/s3/client';
import { devApiKey, startPlatform } from '../scripts/platform';
import { ApiClient } from '../scripts/walkthrough/client';
import { generateCustomers } from '../scripts/walkthrough/sample-data';

/**
 * `npm run bench`: ingests a generated CSV (OPENXP_BENCH_ROWS customers, default 100k) from S3
 * through the real ingestion workflow, then bulk-writes the same final profile documents raw into
 * the same server, and reports rows/s for both and their ratio in bench/results/ingest.json.
 */
async function main() {
  const cfg = loadConfig(process.env);
  const log = (l: string) => console.log(l);
  const p = await startPlatform({ ...cfg, logLevel: 'warn' }, { ui: false, ports: 'random', persistent: false, dataDir: path.join(cfg.stateDir, `bench-${process.pid}`), api: true, workers: 'all', apiKey: devApiKey(cfg), apiPort: 0, log });
  try {
    const api = new ApiClient(p.apiUrl!, p.cfg.api.apiKey!, 'bench');
    const s3 = createS3Client(p.cfg.s3);
    const sample = generateCustomers(cfg.benchRows, 7);
    const bucket = `bench-${randomBytes(3).toString('hex')}`;
    await ensureBucket(s3, bucket);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/customers.csv', Body: sample.csv }));
    log(`[bench] ${sample.expected.rows} rows (${(sample.csv.length / 1e6).toFixed(1)} MB) on S3`);
    const schema = await api.ok('POST', '/data/foundation/schemaregistry/tenant/schemas', { title: 'bench', allOf: [{ $ref: 'https://ns.adobe.com/xdm/context/profile' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' }, { $ref: 'https://ns.adobe.com/xdm/context/profile-person-details' }, { $ref: 'https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details' }] });
    await api.ok('POST', '/data/foundation/schemaregistry/tenant/descriptors', { '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': '/personalEmail/address', 'xdm:namespace': 'Email', 'xdm:property': 'xdm:code', 'xdm:isPrimary': true });
    await api.ok('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${schema['meta:altId']}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }]);
    const [ref] = await api.ok('POST', '/data/foundation/catalog/dataSets', { name: 'bench', schemaRef: { id: schema.$id }, tags: { unifiedProfile: ['enabled:true'] } });
    const conn = await api.ok('POST', '/data/foundation/flowservice/connections', { name: 'b', connectionSpec: { id: 'ecadc60c-7455-4d87-84dc-2a0e293d997b' }, auth: { specName: 'Access Key', params: { s3AccessKey: p.info.s3AccessKeyId, s3SecretKey: p.info.s3SecretAccessKey, serviceUrl: p.info.s3Endpoint, region: p.info.s3Region } } });
    const src = await api.ok('POST', '/data/foundation/flowservice/sourceConnections', { baseConnectionId: conn.id, connectionSpec: { id: 'ecadc60c-7455-4d87-84dc-2a0e293d997b' }, data: { format: 'delimited' }, params: { path: `/${bucket}/in/*.csv` } });
    const tgt = await api.ok('POST', '/data/foundation/flowservice/targetConnections', { connectionSpec: { id: 'c604ff05-7f1a-43c0-8e18-33bf874cb11c' }, params: { dataSetId: String(ref).split('/').pop() } });
    const cols: [string, string][] = [['email', 'personalEmail.address'], ['phone', 'mobilePhone.number'], ['first_name', 'person.name.firstName'], ['last_name', 'person.name.lastName'], ['birth_date', 'person.birthDate'], ['country', 'homeAddress.countryCode'], ['city', 'homeAddress.city'], ['loyalty_points', 'loyalty.points'], ['loyalty_tier', 'loyalty.tier']];
    const mapping = await api.ok('POST', '/data/foundation/conversion/mappingSets', { xdmSchema: schema.$id, mappings: cols.map(([source, destination]) => ({ sourceType: 'ATTRIBUTE', source, destination })) });
    const t0 = Date.now();
    const flow = await api.ok('POST', '/data/foundation/flowservice/flows', { name: 'bench', flowSpec: { id: '9753525b-82c7-4dce-8a9b-5ccfce2b9876' }, sourceConnectionIds: [src.id], targetConnectionIds: [tgt.id], transformations: [{ name: 'Mapping', params: { mappingId: mapping.id } }], scheduleParams: { frequency: 'once' } });
    const runs = await api.waitFor(() => api.ok('GET', `/data/foundation/flowservice/runs?property=flowId==${flow.id}`), (r: any) => ['success', 'failed'].includes(r.items[0]?.metrics.statusSummary.status), { timeoutMs: 3_600_000 });
    const ingestSec = (Date.now() - t0) / 1000;
    const run = runs.items[0];
    log(`[bench] ingestion workflow: ${run.metrics.recordSummary.outputRecordCount} rows in ${ingestSec.toFixed(1)}s`);

    // Baseline: the same final profile documents, raw bulk inserts into a scratch collection of the same server.
    const client = new MongoClient(p.cfg.mongo.uri!);
    await client.connect();
    const docs = await client.db(p.cfg.mongo.db).collection('profiles').find({ sandbox: 'bench' }).toArray();
    const scratch = client.db(p.cfg.mongo.db).collection(`bench_raw_${Date.now()}`);
    const t1 = Date.now();
    for (let i = 0; i < docs.length; i += 1000) await scratch.bulkWrite(docs.slice(i, i + 1000).map((d) => ({ insertOne: { document: d } })), { ordered: false });
    const rawSec = (Date.now() - t1) / 1000;
    const build = await client.db('admin').command({ buildInfo: 1 });
    await scratch.drop();
    await client.close();
    const ingestRate = run.metrics.recordSummary.inputRecordCount / ingestSec;
    const rawRate = docs.length / rawSec;
    const result = {
      at: new Date().toISOString(), rows: run.metrics.recordSummary.inputRecordCount, ingested: run.metrics.recordSummary.outputRecordCount, profiles: docs.length,
      ingestion: { seconds: ingestSec, rowsPerSecond: Math.round(ingestRate) }, rawBulkWrite: { seconds: rawSec, rowsPerSecond: Math.round(rawRate) },
      ratio: Number((ingestRate / rawRate).toFixed(4)),
      machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      server: { mongoWire: build.version, ferretdb: build.ferretdbVersion ?? null, writeMode: 'ferretdbVersion' in build ? 'deleteInsert' : 'upsert' },
    };
    fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
    fs.writeFileSync(path.join(__dirname, 'results', 'ingest.json'), `${JSON.stringify(result, null, 2)}\n`);
    log(`[bench] ${JSON.stringify(result)}`);
  } finally {
    await p.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
