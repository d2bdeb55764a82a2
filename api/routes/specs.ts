import { SPECS } from '../../domain/flow/model';

/**
 * Streaming ingestion (HTTP API): AEP's public ids of the HTTP API connection spec, its provider and
 * its XDM streaming flow spec (the raw-data flow spec with a mapping, c1a19761-…, is not implemented).
 */
export const STREAMING = {
  connectionSpec: 'bc7b00d6-623a-4dfc-9fdb-f1240aeadaeb',
  providerId: '521eee4d-8cbe-4906-bb48-fb6bd4450033',
  flowSpec: 'd8a6f005-7eaf-4153-983e-e8574508b877',
} as const;

/** The connection and flow specs OpenXP implements, with AEP's ids where AEP publishes them. */
export const CONNECTION_SPECS = [
  { id: SPECS.s3Source, name: 'amazon-s3', providerId: '0ed90a81-07f4-4586-8190-b40eccef1c5a', version: '1.0', attributes: { category: 'CloudStorage', isSource: true }, authSpec: [{ name: 'Access Key', spec: { required: ['s3AccessKey', 's3SecretKey'], properties: { s3AccessKey: { type: 'string' }, s3SecretKey: { type: 'string', format: 'password' }, serviceUrl: { type: 'string' }, region: { type: 'string' } } } }] },
  { id: SPECS.s3Destination, name: 'Amazon S3', version: '1.0', attributes: { category: 'CloudStorage', isDestination: true }, authSpec: [{ name: 'Access Key', spec: { required: ['s3AccessKey', 's3SecretKey'] } }], targetSpec: { spec: { properties: { bucketName: { type: 'string' }, path: { type: 'string' } } } } },
  { id: SPECS.dataLake, name: 'Data Lake', version: '1.0', attributes: { category: 'Platform', isTarget: true } },
  { id: STREAMING.connectionSpec, name: 'HTTP API', providerId: STREAMING.providerId, version: '1.0', attributes: { category: 'Streaming', isSource: true }, authSpec: [{ name: 'Streaming Connection', spec: { required: ['dataType'], properties: { sourceId: { type: 'string' }, dataType: { type: 'string', enum: ['xdm'] }, name: { type: 'string' } } } }] },
];

export const FLOW_SPECS = [
  { id: SPECS.cloudStorageToPlatform, name: 'CloudStorageToAEP', version: '1.0', sourceConnectionSpecIds: [SPECS.s3Source], targetConnectionSpecIds: [SPECS.dataLake] },
  { id: SPECS.profileToCloudStorage, name: 'ProfileToCloudStorage', version: '1.0', sourceConnectionSpecIds: [], targetConnectionSpecIds: [SPECS.s3Destination] },
  { id: STREAMING.flowSpec, name: 'Streaming Dataflow', version: '1.0', sourceConnectionSpecIds: [STREAMING.connectionSpec], targetConnectionSpecIds: [SPECS.dataLake] },
];
