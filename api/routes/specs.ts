import { SPECS } from '../../domain/flow/model';

/** The connection and flow specs OpenXP implements, with AEP's ids where AEP publishes them. */
export const CONNECTION_SPECS = [
  { id: SPECS.s3Source, name: 'amazon-s3', providerId: '0ed90a81-07f4-4586-8190-b40eccef1c5a', version: '1.0', attributes: { category: 'CloudStorage', isSource: true }, authSpec: [{ name: 'Access Key', spec: { required: ['s3AccessKey', 's3SecretKey'], properties: { s3AccessKey: { type: 'string' }, s3SecretKey: { type: 'string', format: 'password' }, serviceUrl: { type: 'string' }, region: { type: 'string' } } } }] },
  { id: SPECS.s3Destination, name: 'Amazon S3', version: '1.0', attributes: { category: 'CloudStorage', isDestination: true }, authSpec: [{ name: 'Access Key', spec: { required: ['s3AccessKey', 's3SecretKey'] } }], targetSpec: { spec: { properties: { bucketName: { type: 'string' }, path: { type: 'string' } } } } },
  { id: SPECS.dataLake, name: 'Data Lake', version: '1.0', attributes: { category: 'Platform', isTarget: true } },
];

export const FLOW_SPECS = [
  { id: SPECS.cloudStorageToPlatform, name: 'CloudStorageToAEP', version: '1.0', sourceConnectionSpecIds: [SPECS.s3Source], targetConnectionSpecIds: [SPECS.dataLake] },
  { id: SPECS.profileToCloudStorage, name: 'ProfileToCloudStorage', version: '1.0', sourceConnectionSpecIds: [], targetConnectionSpecIds: [SPECS.s3Destination] },
];
