import type { XdmSchemaDocument } from './types';

/** Stored Schema Registry and Data Prep resources. */
/** A tenant schema as stored: the XDM document plus its store id (= meta:altId) and dates. */
export type SchemaDoc = XdmSchemaDocument & {
  id: string;
  'meta:createdDate': string;
  'meta:updatedDate'?: string;
};

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
