import { gzipSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { ensureBucket } from '../../infra/s3/client';
import type { ApiClient } from './client';
import { generateCustomers } from './sample-data';
import type { SampleData } from './sample-data';

const S3_SOURCE = 'ecadc60c-7455-4d87-84dc-2a0e293d997b';
const S3_DEST = '4890fc95-5a1f-4983-94bb-e060c08e3f81';
const DATA_LAKE = 'c604ff05-7f1a-43c0-8e18-33bf874cb11c';
const CLOUD_TO_PLATFORM = '9753525b-82c7-4dce-8a9b-5ccfce2b9876';
const PROFILE_TO_CLOUD = '71471eba-b620-49e4-90fd-23f1fa0174d8';

export interface WalkthroughOptions extends S3Access {
  customers: number;
  /** Bucket names are suffixed so several runs (tests) never share objects. */
  suffix: string;
  log: (line: string) => void;
}

export interface WalkthroughResult {
  expected: SampleData['expected'];
  schemaId: string;
  datasetId: string;
  flowId: string;
  run: any;
  batch: any;
  rowErrors: any[];
  profileSample: any;
  clusterMembers: any[];
  segments: { id: string; name: string; size: number }[];
  segmentJob: any;
  exportJob: any;
  destinationRun: any;
  exportedFile: { bucket: string; key: string; rows: number; header: string };
  temporalLinks: string[];
}

export interface S3Access { s3: S3Client; s3Endpoint: string; s3AccessKeyId: string; s3SecretAccessKey: string; s3Region: string }

/**
 * Steps 1-3 of the workflow: schema with Email (primary) and Phone identities enabled for Profile,
 * a profile-enabled dataset, the CSV put on S3, and a `once` S3 dataflow into the dataset, then
 * waits for its run. Used by the walkthrough and the benchmark.
 */
export async function ingestCustomers(api: ApiClient, o: S3Access & { suffix: string; csv: string; describe: string; log: (line: string) => void; step: (n: number, what: string) => void; scheduleParams?: Record<string, unknown>; gzip?: boolean; wait?: boolean; timeoutMs?: number }) {
  const { log, step } = o;
  const sourceBucket = `openxp-landing-${o.suffix}`;
  step(1, 'Schema: XDM Individual Profile + contact, demographic and loyalty field groups; Email identity; enabled for Profile');
  const schema = await api.ok('POST', '/data/foundation/schemaregistry/tenant/schemas', {
    title: `Loyalty customers ${o.suffix}`, type: 'object', description: 'Customers from the CRM export',
    allOf: [
      { $ref: 'https://ns.adobe.com/xdm/context/profile' },
      { $ref: 'https://ns.adobe.com/xdm/context/profile-personal-details' },
      { $ref: 'https://ns.adobe.com/xdm/context/profile-person-details' },
      { $ref: 'https://ns.adobe.com/xdm/mixins/profile/profile-loyalty-details' },
    ],
  });
  for (const [path, ns, primary] of [['/personalEmail/address', 'Email', true], ['/mobilePhone/number', 'Phone', false]] as const) {
    await api.ok('POST', '/data/foundation/schemaregistry/tenant/descriptors', {
      '@type': 'xdm:descriptorIdentity', 'xdm:sourceSchema': schema.$id, 'xdm:sourceVersion': 1, 'xdm:sourceProperty': path, 'xdm:namespace': ns, 'xdm:property': 'xdm:code', 'xdm:isPrimary': primary,
    });
  }
  await api.ok('PATCH', `/data/foundation/schemaregistry/tenant/schemas/${encodeURIComponent(schema['meta:altId'])}`, [{ op: 'add', path: '/meta:immutableTags', value: ['union'] }]);
  log(`  schema ${schema['meta:altId']} with identities Email (primary) and Phone`);

  step(2, 'Dataset bound to the schema, enabled for Profile');
  const [dsRef] = await api.ok('POST', '/data/foundation/catalog/dataSets', { name: `Customers ${o.suffix}`, schemaRef: { id: schema.$id, contentType: 'application/vnd.adobe.xed-full+json;version=1' }, tags: { unifiedProfile: ['enabled:true'], unifiedIdentity: ['enabled:true'] } });
  const datasetId = String(dsRef).split('/').pop()!;
  log(`  dataset ${datasetId}`);

  step(3, `Source: ${o.describe}`);
  await ensureBucket(o.s3, sourceBucket);
  await o.s3.send(o.gzip
    ? new PutObjectCommand({ Bucket: sourceBucket, Key: 'crm/customers-001.csv.gz', Body: gzipSync(o.csv), ContentType: 'application/gzip' })
    : new PutObjectCommand({ Bucket: sourceBucket, Key: 'crm/customers-001.csv', Body: o.csv, ContentType: 'text/csv' }));
  const conn = await api.ok('POST', '/data/foundation/flowservice/connections', {
    name: 'Landing bucket', connectionSpec: { id: S3_SOURCE, version: '1.0' },
    auth: { specName: 'Access Key', params: { s3AccessKey: o.s3AccessKeyId, s3SecretKey: o.s3SecretAccessKey, serviceUrl: o.s3Endpoint, region: o.s3Region } },
  });
  const src = await api.ok('POST', '/data/foundation/flowservice/sourceConnections', { name: 'CRM exports', baseConnectionId: conn.id, connectionSpec: { id: S3_SOURCE, version: '1.0' }, data: { format: 'delimited', columnDelimiter: ',' }, params: { path: `/${sourceBucket}/crm/*.csv${o.gzip ? '*' : ''}` } });
  const tgt = await api.ok('POST', '/data/foundation/flowservice/targetConnections', { name: 'Customers dataset', connectionSpec: { id: DATA_LAKE, version: '1.0' }, data: { schema: { id: schema.$id, version: 'application/vnd.adobe.xed-full+json;version=1' } }, params: { dataSetId: datasetId } });
  const mapping = await api.ok('POST', '/data/foundation/conversion/mappingSets', {
    xdmSchema: schema.$id, xdmVersion: '1.0',
    mappings: [
      ['email', 'personalEmail.address'], ['phone', 'mobilePhone.number'], ['first_name', 'person.name.firstName'], ['last_name', 'person.name.lastName'],
      ['birth_date', 'person.birthDate'], ['country', 'homeAddress.countryCode'], ['city', 'homeAddress.city'], ['loyalty_points', 'loyalty.points'], ['loyalty_tier', 'loyalty.tier'],
    ].map(([source, destination]) => ({ sourceType: 'ATTRIBUTE', source, destination })),
  });
  const flow = await api.ok('POST', '/data/foundation/flowservice/flows', {
    name: `CRM customers ${o.suffix}`, flowSpec: { id: CLOUD_TO_PLATFORM, version: '1.0' }, sourceConnectionIds: [src.id], targetConnectionIds: [tgt.id],
    transformations: [{ name: 'Mapping', params: { mappingId: mapping.id, mappingVersion: 0 } }], scheduleParams: o.scheduleParams ?? { startTime: Math.floor(Date.now() / 1000), frequency: 'once' },
  });
  log(`  dataflow ${flow.id} started (schedule: ${String(o.scheduleParams?.frequency ?? 'once')})`);
  if (o.wait === false) return { schema, datasetId, flow, run: undefined };
  let last = '';
  const runs = await api.waitFor(
    () => api.ok('GET', `/data/foundation/flowservice/runs?property=flowId==${flow.id}`),
    (r: any) => ['success', 'failed'].includes(r.items[0]?.metrics.statusSummary.status),
    { timeoutMs: o.timeoutMs, progress: (r: any) => {
      const s = r.items[0]?.metrics;
      const line = s ? `  run ${s.statusSummary.status}: ${s.recordSummary.inputRecordCount} rows read, ${s.recordSummary.outputRecordCount} ingested, ${s.recordSummary.failedRecordCount} failed` : '  waiting for the run…';
      if (line !== last) log((last = line));
    } },
  );
  return { schema, datasetId, flow, run: runs.items[0] };
}

/**
 * The whole AEP workflow through the HTTP API, exactly as a user would drive it:
 * schema → dataset → S3 dataflow → identity → profile → segment job → export job → S3 destination → runs.
 * Shared by `npm run demo` and the e2e test, so the demo is what the test proves.
 */
export async function runWalkthrough(api: ApiClient, o: WalkthroughOptions): Promise<WalkthroughResult> {
  const log = o.log;
  const t0 = Date.now();
  const step = (n: number, what: string) => log(`\n[${n}/9] ${what}  (+${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  const sample = generateCustomers(o.customers);
  const exportBucket = `openxp-exports-${o.suffix}`;

  const { schema, datasetId, flow, run } = await ingestCustomers(api, { ...o, csv: sample.csv, describe: `${o.customers} customers as CSV on S3 (${sample.expected.rows} rows, ${sample.expected.failedRows} deliberately bad)`, step });
  const batchId = run.batchId;
  const batch = (await api.ok('GET', `/data/foundation/catalog/batches/${batchId}`))[batchId];
  const meta = await api.ok('GET', `/data/foundation/export/batches/${batchId}/meta?path=row_errors`);
  const rowErrors: any[] = [];
  for (const f of meta.data) {
    const { text } = await api.call('GET', `/data/foundation/export/batches/${batchId}/failed?path=${encodeURIComponent(f.name)}`);
    for (const line of text.split('\n').filter(Boolean)) rowErrors.push(JSON.parse(line));
  }
  log(`  batch ${batchId}: ${batch.status}, ${batch.metrics.outputRecordCount} records ingested, ${batch.metrics.failedRecordCount} failed`);
  for (const e of rowErrors.slice(0, 3)) log(`    row ${e.rowNumber}: ${e._errors[0].code} ${e._errors[0].message}`);

  step(4, 'Identity: customer 25 wrote two emails sharing one phone; both are in one graph');
  const members = (await api.ok('GET', `/data/core/identity/identity/cluster/members?ns=Email&id=${encodeURIComponent('CUSTOMER25@example.com ')}`)).members;
  log(`  graph of customer25@example.com: ${members.map((m: any) => `${m.namespace}:${m.id}`).join(', ')}`);

  step(5, 'Profile: merged view looked up by email');
  const prof = await api.ok('GET', `/data/core/ups/access/entities?schema.name=_xdm.context.profile&entityId=customer10@example.com&entityIdNS=email`);
  const profileSample = Object.values(prof)[0] as any;
  log(`  ${profileSample.entity.person?.name?.firstName} ${profileSample.entity.person?.name?.lastName}: tier ${profileSample.entity.loyalty?.tier}, ${profileSample.entity.loyalty?.points} points, ${profileSample.entity.homeAddress?.countryCode}`);

  step(6, 'Segmentation: two audiences in PQL, evaluated by one segment job');
  const defs = [
    { name: 'US gold and platinum members', value: 'homeAddress.countryCode = "US" and loyalty.tier in ["gold", "platinum"]' },
    { name: 'High-value members outside the US', value: 'loyalty.points >= 5000 and not(homeAddress.countryCode = "US")' },
  ];
  const segs: { id: string; name: string }[] = [];
  for (const d of defs) {
    const s = await api.ok('POST', '/data/core/ups/segment/definitions', { name: `${d.name} ${o.suffix}`, profileInstanceId: 'ups', schema: { name: '_xdm.context.profile' }, expression: { type: 'PQL', format: 'pql/text', value: d.value }, evaluationInfo: { batch: { enabled: true }, continuous: { enabled: false }, synchronous: { enabled: false } } });
    segs.push({ id: s.id, name: d.name });
    log(`  ${s.id}: ${d.value}`);
  }
  const job = await api.ok('POST', '/data/core/ups/segment/jobs', segs.map((s) => ({ segmentId: s.id })));
  const segmentJob = await api.waitFor(() => api.ok('GET', `/data/core/ups/segment/jobs/${job.id}`), (j: any) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status));
  const segments = segs.map((s) => ({ ...s, size: segmentJob.metrics.segmentedProfileCounter?.[s.id] ?? 0 }));
  log(`  job ${job.id}: ${segmentJob.status} over ${segmentJob.metrics.totalProfiles} profiles`);
  for (const s of segments) log(`    ${s.name}: ${s.size} profiles`);

  step(7, 'Export job: the first audience into a new dataset');
  const [exRef] = await api.ok('POST', '/data/foundation/catalog/dataSets', { name: `Audience export ${o.suffix}`, schemaRef: { id: schema.$id, contentType: 'application/vnd.adobe.xed-full+json;version=1' } });
  const exportDataset = String(exRef).split('/').pop()!;
  const ej = await api.ok('POST', '/data/core/ups/export/jobs', { fields: 'personalEmail.address,person.name,loyalty', filter: { segments: [{ segmentId: segs[0].id, segmentNs: 'ups', status: ['realized', 'existing'] }] }, destination: { datasetId: exportDataset }, schema: { name: '_xdm.context.profile' } });
  const exportJob = await api.waitFor(() => api.ok('GET', `/data/core/ups/export/jobs/${ej.id}`), (j: any) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(j.status));
  log(`  export job ${ej.id}: ${exportJob.status}, ${exportJob.metrics.exportedProfileCounter} profiles into dataset ${exportDataset} (batch ${exportJob.destination.batchId})`);

  step(8, 'Destination: Amazon S3, activating the first audience with four attributes');
  await ensureBucket(o.s3, exportBucket);
  const dconn = await api.ok('POST', '/data/foundation/flowservice/connections', { name: 'Marketing bucket', connectionSpec: { id: S3_DEST, version: '1.0' }, auth: { specName: 'Access Key', params: { s3AccessKey: o.s3AccessKeyId, s3SecretKey: o.s3SecretAccessKey, serviceUrl: o.s3Endpoint, region: o.s3Region } } });
  const dtgt = await api.ok('POST', '/data/foundation/flowservice/targetConnections', { name: 'Marketing bucket / audiences', baseConnectionId: dconn.id, connectionSpec: { id: S3_DEST, version: '1.0' }, data: { format: 'CSV' }, params: { bucketName: exportBucket, path: 'audiences', compression: 'NONE' } });
  const dflow = await api.ok('POST', '/data/foundation/flowservice/flows', { name: 'Marketing S3', flowSpec: { id: PROFILE_TO_CLOUD, version: '1.0' }, sourceConnectionIds: ['profile'], targetConnectionIds: [dtgt.id] });
  const etag1 = (await api.call('GET', `/data/foundation/flowservice/flows/${dflow.id}`)).headers.get('etag')!;
  const attrs = ['personalEmail.address', 'person.name.firstName', 'person.name.lastName', 'loyalty.tier'];
  const patched = await api.ok('PATCH', `/data/foundation/flowservice/flows/${dflow.id}`, [
    ...attrs.map((p) => ({ op: 'add', path: '/transformations/0/params/profileSelectors/selectors/-', value: { type: 'JSON_PATH', value: { path: p } } })),
    { op: 'add', path: '/transformations/0/params/segmentSelectors/selectors/-', value: { type: 'PLATFORM_SEGMENT', value: { id: segs[0].id, name: segs[0].name, filenameTemplate: '%DESTINATION_NAME%_%SEGMENT_ID%_%DATETIME(YYYYMMdd_HHmmss)%', exportMode: 'DAILY_FULL_EXPORT', schedule: { frequency: 'ONCE', startDate: new Date().toISOString().slice(0, 10) } } } },
  ], { 'if-match': etag1 });
  log(`  activation flow ${dflow.id} patched (etag ${patched.etag})`);
  const druns = await api.waitFor(() => api.ok('GET', `/data/foundation/flowservice/runs?property=flowId==${dflow.id}`), (r: any) => ['success', 'failed'].includes(r.items[0]?.metrics.statusSummary.status));
  const destinationRun = druns.items[0];
  const fileName: string = destinationRun.activities[0]?.name ?? '';
  const key = fileName.replace(`s3://${exportBucket}/`, '');
  const obj = await o.s3.send(new GetObjectCommand({ Bucket: exportBucket, Key: key }));
  const text = await obj.Body!.transformToString();
  const lines = text.split('\n').filter(Boolean);
  const exportedFile = { bucket: exportBucket, key, rows: lines.length - 1, header: lines[0] };
  log(`  wrote s3://${exportBucket}/${key}: ${exportedFile.rows} rows (${exportedFile.header})`);

  step(9, 'Monitoring: dataflow runs with record counts and their Temporal workflows');
  for (const r of [run, destinationRun]) {
    const m = r.metrics;
    log(`  run ${r.id} (${r.kind}): ${m.statusSummary.status}, in ${m.recordSummary.inputRecordCount} / out ${m.recordSummary.outputRecordCount} / failed ${m.recordSummary.failedRecordCount}, ${((m.durationSummary.completedAtUTC - m.durationSummary.startedAtUTC) / 1000).toFixed(1)}s`);
  }
  const temporalLinks = [run.workflow, segmentJob.workflow, exportJob.workflow, destinationRun.workflow].map((w: any) => w.uiUrl ?? w.workflowId);
  return { expected: sample.expected, schemaId: schema.$id, datasetId, flowId: flow.id, run, batch, rowErrors, profileSample, clusterMembers: members, segments, segmentJob, exportJob, destinationRun, exportedFile, temporalLinks };
}
