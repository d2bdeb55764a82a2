/** Stored Schema Registry and Data Prep resources. */
export interface SchemaDoc {
  id: string; // meta:altId
  $id: string;
  'meta:altId': string;
  'meta:resourceType': 'schemas';
  title: string;
  description?: string;
  type: 'object';
  'meta:class': string;
  'meta:extends': string[];
  allOf: { $ref: string }[];
  'meta:immutableTags'?: string[];
  version: string;
  'meta:createdDate': string;
  'meta:updatedDate'?: string;
}

export interface DescriptorDoc {
  id: string; // @id
  '@id': string;
  '@type': 'xdm:descriptorIdentity';
  'xdm:sourceSchema': string;
  'xdm:sourceVersion': number;
  'xdm:sourceProperty': string;
  'xdm:namespace': string;
  'xdm:property': string;
  'xdm:isPrimary': boolean;
}

export interface MappingSetDoc {
  id: string;
  version: number;
  xdmSchema: string;
  xdmVersion?: string;
  mappings: { sourceType: string; source: string; destination: string; identity?: boolean; namespaceCode?: string; primaryIdentity?: boolean }[];
  createdDate: number;
}
